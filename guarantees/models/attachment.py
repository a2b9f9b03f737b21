"""Attachments: files on a guarantee (optionally one of its actions), kept by SHA-256 under ATTACHMENTS_DIR.

Never deleted; hidden once with a reason (database triggers refuse any other change).
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from guarantees.domain.file_types import CONTENT_TYPES
from guarantees.models.base import Base, utcnow


class Attachment(Base):
    """A stored file's record: its name as uploaded (made safe to show), size, detected type and hash."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    guarantee_id: Mapped[int] = mapped_column(sa.ForeignKey("guarantees.id"), index=True)
    action_id: Mapped[int | None] = mapped_column(sa.ForeignKey("guarantee_actions.id"), index=True)
    original_name: Mapped[str] = mapped_column(sa.String(255))
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    content_type: Mapped[str] = mapped_column(sa.String(100))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    uploaded_by: Mapped[str] = mapped_column(sa.String(80))
    uploaded_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    hidden_by: Mapped[str | None] = mapped_column(sa.String(80))
    hidden_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    hidden_reason: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint(
            "content_type IN (" + ", ".join(f"'{kind}'" for kind in CONTENT_TYPES) + ")", name="content_type"
        ),
        sa.CheckConstraint("size_bytes > 0", name="size"),
        sa.CheckConstraint("length(sha256) = 64", name="sha256"),
        sa.CheckConstraint(
            "(hidden_by IS NULL AND hidden_at IS NULL AND hidden_reason IS NULL) OR (hidden_by IS NOT NULL AND "
            "hidden_at IS NOT NULL AND hidden_reason IS NOT NULL AND length(trim(hidden_reason)) > 0)",
            name="hidden",
        ),
    )

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None
