"""A guarantee's current, editable state and the append-only audit of its inline edits."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from guarantees.domain import guarantee_types
from guarantees.domain.fields import MATCH_STATUSES, STATUSES  # noqa: F401 - the columns' CHECK values
from guarantees.models.base import Base, Money, utcnow


class Guarantee(Base):
    __tablename__ = "guarantees"

    id: Mapped[int] = mapped_column(primary_key=True)
    guarantee_number: Mapped[str] = mapped_column(sa.String(100), unique=True)
    raw_supplier_name: Mapped[str | None] = mapped_column(sa.Text)
    raw_bank_name: Mapped[str | None] = mapped_column(sa.Text)
    contract_number: Mapped[str | None] = mapped_column(sa.String(100))
    po_number: Mapped[str | None] = mapped_column(sa.String(100))
    related_to: Mapped[str | None] = mapped_column(sa.String(20))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(sa.String(3), default="SAR")
    issue_date: Mapped[date | None] = mapped_column(sa.Date)
    expiry_date: Mapped[date | None] = mapped_column(sa.Date, index=True)
    type: Mapped[str | None] = mapped_column(sa.String(50))
    # The standard type (domain.guarantee_types): always type_code(type), set with `type` (see _type_code).
    type_code: Mapped[str] = mapped_column(
        sa.String(20), default=guarantee_types.OTHER, server_default=guarantee_types.OTHER
    )
    comment: Mapped[str | None] = mapped_column(sa.Text)
    supplier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("suppliers.id"), index=True)
    bank_id: Mapped[int | None] = mapped_column(sa.ForeignKey("banks.id"), index=True)
    supplier_display_name: Mapped[str | None] = mapped_column(sa.Text)
    bank_display: Mapped[str | None] = mapped_column(sa.Text)
    match_status: Mapped[str] = mapped_column(sa.String(20), default="needs_review", index=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="active", index=True)
    is_locked: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    lock_reason: Mapped[str | None] = mapped_column(sa.Text)
    import_batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_batches.id"), index=True)
    import_type: Mapped[str | None] = mapped_column(sa.String(20))
    import_date: Mapped[date | None] = mapped_column(sa.Date)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_by: Mapped[str | None] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow, onupdate=utcnow)

    supplier = relationship("Supplier", lazy="joined")
    bank = relationship("Bank", lazy="joined")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("status IN ('active', 'released')", name="status"),
        sa.CheckConstraint("match_status IN ('ready', 'needs_review')", name="match_status"),
        sa.CheckConstraint("related_to IS NULL OR related_to IN ('contract', 'purchase_order')", name="related_to"),
        sa.CheckConstraint("guarantee_number <> '' AND guarantee_number NOT LIKE '% %'", name="number_normalised"),
        sa.CheckConstraint("amount IS NULL OR amount >= 0", name="amount_not_negative"),
        sa.CheckConstraint("version >= 1", name="version"),
        sa.CheckConstraint(
            f"type_code IN ({', '.join(repr(code) for code in guarantee_types.TYPE_CODES)})", name="type_code"
        ),
        # The list's default order, the dashboard's expiry counts and its totals, each served by an index.
        sa.Index("ix_guarantees_expiry_date_id", "expiry_date", "id"),
        sa.Index("ix_guarantees_status_expiry_date_id", "status", "expiry_date", "id"),
        sa.Index("ix_guarantees_status_currency_amount", "status", "currency", "amount"),
        sa.Index("ix_guarantees_status_expiry_currency_amount", "status", "expiry_date", "currency", "amount"),
        sa.Index("ix_guarantees_amount_id", "amount", "id"),
    )

    @validates("type")
    def _type_code(self, _key: str, value: str | None) -> str | None:
        """Whoever sets the type through the ORM sets its standard code with it."""
        self.type_code = guarantee_types.type_code(value)
        return value

    @property
    def supplier_label(self) -> str:
        return self.supplier_display_name or self.raw_supplier_name or ""

    @property
    def bank_label(self) -> str:
        return self.bank_display or self.raw_bank_name or ""


class GuaranteeEdit(Base):
    """One field changed inline: who, when, old and new value. Append-only (database trigger)."""

    __tablename__ = "guarantee_edits"

    id: Mapped[int] = mapped_column(primary_key=True)
    guarantee_id: Mapped[int] = mapped_column(sa.ForeignKey("guarantees.id"), index=True)
    field: Mapped[str] = mapped_column(sa.String(40))
    old_value: Mapped[str | None] = mapped_column(sa.Text)
    new_value: Mapped[str | None] = mapped_column(sa.Text)
    edited_by: Mapped[str | None] = mapped_column(sa.String(80))
    edited_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    legacy_record_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
