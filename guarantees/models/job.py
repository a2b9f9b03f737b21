"""Background jobs: a long import's preview or commit, queued by the pages and run by `flask jobs work`."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from guarantees.models.base import Base, utcnow

JOB_KINDS = ("import_preview", "import_commit")
# queued -> running -> done | failed; a running job whose worker stopped beating is `stale` (nothing it did is
# written: a job writes in one transaction, with its own `done`).
JOB_STATUSES = ("queued", "running", "done", "failed", "stale")


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(10), default="queued")
    upload_token: Mapped[str | None] = mapped_column(sa.String(32), index=True)  # the pending upload it works on
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # what the job needs: sheet, mapping, locale ...
    result: Mapped[dict | None] = mapped_column(sa.JSON)  # what it made: a batch id, counts
    error: Mapped[str | None] = mapped_column(sa.Text)  # why it failed, in the language of whoever queued it
    worker: Mapped[str | None] = mapped_column(sa.String(200))  # host:pid of the worker running it
    created_by: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    __table_args__ = (
        sa.CheckConstraint("kind IN ('import_preview', 'import_commit')", name="kind"),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed', 'stale')", name="status"),
        # A worker claims the oldest queued job; the pages find a user's jobs by id.
        sa.Index("ix_jobs_status_id", "status", "id"),
    )

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running")
