"""The guide's phase 6: the legacy tables retired (dual-write off) and archived (copied to a file, then dropped).

Retiring is a row of `settings` (DUAL_WRITE_SETTING, value "off", who and when); once off, triggers keep it off.
Archiving writes `legacy_archives` (one row: the file, its hash, what it holds) and, in the same transaction,
`legacy_archive_records`: every legacy row as it was, with its session's type and its links, so that the merged
history and the raw legacy view go on without the dropped tables and without the file. Both are append-only.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from guarantees.models.base import Base, utcnow

DUAL_WRITE_SETTING = "dual_write"  # the settings key; absent: the DUAL_WRITE environment default
OFF, ON = "off", "on"


class LegacyArchive(Base):
    """An archive of the legacy tables: the file written, its SHA-256, how many rows of each table it holds."""

    __tablename__ = "legacy_archives"

    id: Mapped[int] = mapped_column(primary_key=True)
    archived_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    archived_by: Mapped[str | None] = mapped_column(sa.String(80))
    file_name: Mapped[str] = mapped_column(sa.Text)
    file_sha256: Mapped[str] = mapped_column(sa.String(64))
    counts: Mapped[dict] = mapped_column(sa.JSON)  # table → rows in the file


class LegacyArchiveRecord(Base):
    """One imported_records row as it was when archived (its legacy columns, then its transition links), with its
    session's type: the columns the history and the raw view read, named as in imported_records."""

    __tablename__ = "legacy_archive_records"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    session_id: Mapped[int | None] = mapped_column(sa.Integer)
    raw_supplier_name: Mapped[str | None] = mapped_column(sa.Text)
    raw_bank_name: Mapped[str | None] = mapped_column(sa.Text)
    amount: Mapped[str | None] = mapped_column(sa.Text)
    guarantee_number: Mapped[str | None] = mapped_column(sa.Text, index=True)
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
    migrated_guarantee_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    migrated_action_id: Mapped[int | None] = mapped_column(sa.Integer)
    import_batch_id: Mapped[int | None] = mapped_column(sa.Integer)
    session_type: Mapped[str | None] = mapped_column(sa.Text)
