"""The supplier and bank dictionaries: tables of the legacy system's schema that the register reads as its own.

Both systems read them; the register writes them only through the dual-write adapter (the legacy system's
columns, such as its text timestamps, are kept as it wrote them).
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from guarantees.models.base import Base, utcnow


class Supplier(Base):
    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    official_name: Mapped[str] = mapped_column(sa.Text)
    display_name: Mapped[str | None] = mapped_column(sa.Text)
    normalized_name: Mapped[str | None] = mapped_column(sa.Text)
    is_confirmed: Mapped[int | None] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[str | None] = mapped_column(sa.Text)

    @property
    def label(self) -> str:
        return self.display_name or self.official_name


class Bank(Base):
    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    official_name: Mapped[str] = mapped_column(sa.Text)
    official_name_en: Mapped[str | None] = mapped_column(sa.Text)
    official_name_ar: Mapped[str | None] = mapped_column(sa.Text)
    normalized_key: Mapped[str | None] = mapped_column(sa.Text)
    short_code: Mapped[str | None] = mapped_column(sa.Text)
    is_confirmed: Mapped[int | None] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[str | None] = mapped_column(sa.Text)
    address_line_1: Mapped[str | None] = mapped_column(sa.Text)
    address_line_2: Mapped[str | None] = mapped_column(sa.Text)
    contact_email: Mapped[str | None] = mapped_column(sa.Text)
    department: Mapped[str | None] = mapped_column(sa.Text)

    @property
    def label(self) -> str:
        return self.official_name_en or self.official_name


class BankDetail(Base):
    """What the register knows of a bank beyond the legacy columns: its SWIFT/BIC code (one row per bank)."""

    __tablename__ = "bank_details"

    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("banks.id"), primary_key=True)
    swift_bic: Mapped[str | None] = mapped_column(sa.String(11))
    updated_by: Mapped[str | None] = mapped_column(sa.String(80))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.CheckConstraint(
            "swift_bic IS NULL OR (length(swift_bic) IN (8, 11) AND swift_bic = upper(swift_bic))", name="swift_bic"
        ),
    )
