"""The legacy system's tables, kept and still written during the transition (dual-write)."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from guarantees.models.base import Base

# Columns of imported_records that belong to the legacy system; everything else is a transition column.
LEGACY_RECORD_COLUMNS = (
    "id", "session_id", "raw_supplier_name", "raw_bank_name", "amount", "guarantee_number", "issue_date",
    "expiry_date", "normalized_supplier", "normalized_bank", "match_status", "supplier_id", "bank_id",
    "created_at", "decision_result", "contract_number", "type", "comment", "contract_source", "bank_display",
    "supplier_display_name", "related_to", "record_type",
)  # fmt: skip
TRANSITION_COLUMNS = ("migrated_guarantee_id", "migrated_action_id", "import_batch_id")


class ImportSession(Base):
    __tablename__ = "import_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_type: Mapped[str] = mapped_column(sa.Text)
    record_count: Mapped[int | None] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[str | None] = mapped_column(sa.Text)


class ImportedRecord(Base):
    """One legacy row: an imported guarantee, an action or an edit (by record_type)."""

    __tablename__ = "imported_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int | None] = mapped_column(sa.Integer)
    raw_supplier_name: Mapped[str | None] = mapped_column(sa.Text)
    raw_bank_name: Mapped[str | None] = mapped_column(sa.Text)
    amount: Mapped[str | None] = mapped_column(sa.Text)
    guarantee_number: Mapped[str | None] = mapped_column(sa.Text)
    issue_date: Mapped[str | None] = mapped_column(sa.Text)
    expiry_date: Mapped[str | None] = mapped_column(sa.Text)
    normalized_supplier: Mapped[str | None] = mapped_column(sa.Text)
    normalized_bank: Mapped[str | None] = mapped_column(sa.Text)
    match_status: Mapped[str | None] = mapped_column(sa.Text)
    supplier_id: Mapped[int | None] = mapped_column(sa.Integer)
    bank_id: Mapped[int | None] = mapped_column(sa.Integer)
    created_at: Mapped[str | None] = mapped_column(sa.Text)
    decision_result: Mapped[str | None] = mapped_column(sa.Text)
    contract_number: Mapped[str | None] = mapped_column(sa.Text)
    type: Mapped[str | None] = mapped_column(sa.Text)
    comment: Mapped[str | None] = mapped_column(sa.Text)
    contract_source: Mapped[str | None] = mapped_column(sa.Text)
    bank_display: Mapped[str | None] = mapped_column(sa.Text)
    supplier_display_name: Mapped[str | None] = mapped_column(sa.Text)
    related_to: Mapped[str | None] = mapped_column(sa.Text)
    record_type: Mapped[str | None] = mapped_column(sa.Text)
    # Transition columns (new-architecture revision): links to what the row became.
    migrated_guarantee_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    migrated_action_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    import_batch_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)

    __table_args__ = (
        sa.Index("ix_imported_records_session_id", "session_id"),
        sa.Index("ix_imported_records_guarantee_number", "guarantee_number"),
    )
