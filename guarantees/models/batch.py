"""Import batches (one per Excel file, one per day for manual entry) and the rows they list."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from guarantees.models.base import Base, utcnow

BATCH_TYPES = ("excel_import", "manual_batch", "text_paste")
DAILY_BATCH_TYPES = ("manual_batch", "text_paste")
ITEM_OUTCOMES = ("created", "updated", "unchanged")


class ImportBatch(Base):
    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_type: Mapped[str] = mapped_column(sa.String(20))
    description: Mapped[str | None] = mapped_column(sa.Text)
    filename: Mapped[str | None] = mapped_column(sa.Text)
    file_sha256: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    batch_date: Mapped[date | None] = mapped_column(sa.Date)
    total_records: Mapped[int] = mapped_column(sa.Integer, default=0)
    ready_records: Mapped[int] = mapped_column(sa.Integer, default=0)
    origin: Mapped[str] = mapped_column(sa.String(10), default="app")  # app | legacy (migrated)
    legacy_session_id: Mapped[int | None] = mapped_column(sa.Integer, unique=True)
    created_by: Mapped[str | None] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    items: Mapped[list["ImportBatchItem"]] = relationship(
        back_populates="batch", order_by="ImportBatchItem.id", lazy="raise_on_sql"
    )

    __table_args__ = (
        sa.CheckConstraint("batch_type IN ('excel_import', 'manual_batch', 'text_paste')", name="batch_type"),
        sa.CheckConstraint("origin IN ('app', 'legacy')", name="origin"),
        sa.CheckConstraint("total_records >= 0 AND ready_records >= 0", name="counts"),
        # One manual (and one paste) batch per day, whoever asks first: the race is settled here.
        sa.Index(
            "uq_import_batches_daily",
            "batch_type",
            "batch_date",
            unique=True,
            sqlite_where=sa.text("batch_type IN ('manual_batch', 'text_paste')"),
            postgresql_where=sa.text("batch_type IN ('manual_batch', 'text_paste')"),
        ),
    )


class ImportBatchItem(Base):
    """One imported row: which guarantee it touched, how, and the field changes it brought."""

    __tablename__ = "import_batch_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("import_batches.id"), index=True)
    row_number: Mapped[int | None] = mapped_column(sa.Integer)
    guarantee_id: Mapped[int] = mapped_column(sa.ForeignKey("guarantees.id"), index=True)
    outcome: Mapped[str] = mapped_column(sa.String(10))
    changes: Mapped[dict | None] = mapped_column(sa.JSON)  # field -> [old, new]
    raw: Mapped[dict | None] = mapped_column(sa.JSON)  # the row as read
    legacy_record_id: Mapped[int | None] = mapped_column(sa.Integer, unique=True)
    created_by: Mapped[str | None] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    batch: Mapped[ImportBatch] = relationship(back_populates="items")

    __table_args__ = (sa.CheckConstraint("outcome IN ('created', 'updated', 'unchanged')", name="outcome"),)
