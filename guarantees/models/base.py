"""Declarative base: stable constraint names and the column types every model shares."""

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CENT = Decimal("0.01")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Money(sa.types.TypeDecorator):
    """Numeric(18, 2) as an exact Decimal on every database.

    SQLite has no decimal type: values go in as text (NUMERIC affinity stores the number) and
    come back through str(), so two-decimal amounts round-trip exactly without float warnings.
    """

    impl = sa.Numeric(18, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.Numeric(18, 2, asdecimal=False))
        return dialect.type_descriptor(sa.Numeric(18, 2))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(value).quantize(CENT)
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(str(value)).quantize(CENT)


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo (stored as such on every database)."""
    return datetime.now(UTC).replace(tzinfo=None)


# Objects that only migrations create: the dialect-specific search index (an FTS5 table and its shadow tables
# on SQLite, a trigram index over the stored search_text column on PostgreSQL) and the supplier and bank sort
# keys (an expression index on PostgreSQL, an index on a virtual generated column on SQLite), and usernames unique
# whatever their case (lower() on PostgreSQL, COLLATE NOCASE on SQLite). The models leave
# them out, so that no writer ever names them; comparing the schema with the models leaves them out too.
UNMODELLED_PREFIXES = (
    "guarantees_search", "ix_guarantees_search_trgm", "search_text", "supplier_sort", "bank_sort",
    "ix_guarantees_supplier_sort", "ix_guarantees_bank_sort", "uq_users_username_lower",
)  # fmt: skip


def include_name(name, type_, parent_names) -> bool:
    """Alembic's include_name hook: False for the objects the models do not describe."""
    return not (name or "").startswith(UNMODELLED_PREFIXES)
