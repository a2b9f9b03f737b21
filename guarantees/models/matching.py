"""What staff taught the matcher: aliases, review decisions, and dictionary merges."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from guarantees.models.base import Base, utcnow


class NameAlias(Base):
    """A raw name that means a dictionary entry: learned from a review decision or added by an admin."""

    __tablename__ = "name_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(sa.String(10))
    entity_id: Mapped[int] = mapped_column(sa.Integer)
    raw_name: Mapped[str] = mapped_column(sa.Text)
    normalized_name: Mapped[str] = mapped_column(sa.Text)
    created_by: Mapped[str | None] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("entity IN ('supplier', 'bank')", name="entity"),
        sa.UniqueConstraint("entity", "normalized_name", name="uq_name_aliases_entity_normalized_name"),
    )


class MatchDecision(Base):
    """One guarantee's supplier or bank chosen by a person in the review queue (append-only)."""

    __tablename__ = "match_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    guarantee_id: Mapped[int] = mapped_column(sa.ForeignKey("guarantees.id"), index=True)
    entity: Mapped[str] = mapped_column(sa.String(10))
    raw_name: Mapped[str | None] = mapped_column(sa.Text)
    previous_id: Mapped[int | None] = mapped_column(sa.Integer)
    chosen_id: Mapped[int] = mapped_column(sa.Integer)
    legacy_record_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    decided_by: Mapped[str | None] = mapped_column(sa.String(80))
    decided_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    __table_args__ = (sa.CheckConstraint("entity IN ('supplier', 'bank')", name="entity"),)


class DictionaryMerge(Base):
    """A duplicate dictionary entry merged into another: guarantees re-pointed, history kept."""

    __tablename__ = "dictionary_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(sa.String(10))
    from_id: Mapped[int] = mapped_column(sa.Integer)
    into_id: Mapped[int] = mapped_column(sa.Integer)
    merged_by: Mapped[str | None] = mapped_column(sa.String(80))
    merged_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("entity IN ('supplier', 'bank')", name="entity"),
        sa.CheckConstraint("from_id <> into_id", name="distinct_ids"),
        sa.UniqueConstraint("entity", "from_id", name="uq_dictionary_merges_entity_from_id"),
    )
