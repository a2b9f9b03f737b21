"""The bank's answer to an issued letter (extension, reduction or release): once per action, append-only."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from guarantees.models.base import Base, utcnow


class BankAnswer(Base):
    """The bank's letter answering one of ours: its date and reference, for an extension the expiry the bank
    granted (which the guarantee takes), and optionally the scanned letter (an attachment tied to the action)."""

    __tablename__ = "bank_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("guarantee_actions.id"), unique=True)
    answer_date: Mapped[date] = mapped_column(sa.Date)
    bank_reference: Mapped[str] = mapped_column(sa.String(100))
    # Extensions only: the expiry the bank granted (the one asked, or the bank's own); NULL for the others.
    granted_expiry_date: Mapped[date | None] = mapped_column(sa.Date)
    attachment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attachments.id"))
    # The legacy `modification` row written when the granted expiry differs from the one asked (dual-write).
    legacy_record_id: Mapped[int | None] = mapped_column(sa.Integer, unique=True)
    recorded_by: Mapped[str] = mapped_column(sa.String(80))
    recorded_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    action = relationship("GuaranteeAction", lazy="joined")

    __table_args__ = (sa.CheckConstraint("length(trim(bank_reference)) > 0", name="bank_reference"),)
