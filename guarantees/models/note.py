"""Notes: an append-only thread on a guarantee, an import batch or an action session (database triggers)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from guarantees.domain.notes import NOTE_MAX
from guarantees.models.base import Base, utcnow


def _one_of(*columns: str) -> str:
    return " + ".join(f"(CASE WHEN {column} IS NULL THEN 0 ELSE 1 END)" for column in columns) + " = 1"


class Note(Base):
    """One note, written once and never changed; it belongs to exactly one guarantee, batch or action session."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    guarantee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("guarantees.id"), index=True)
    import_batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_batches.id"), index=True)
    action_session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("action_sessions.id"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    created_by: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint(_one_of("guarantee_id", "import_batch_id", "action_session_id"), name="one_target"),
        sa.CheckConstraint(f"length(body) BETWEEN 1 AND {NOTE_MAX}", name="body_length"),
    )
