"""Indexes and foreign keys set aside during a bulk write and built again at its end, in the same transaction.

Kept up row by row, each index of a table costs every inserted or rewritten row a search and an insertion in
it, and each foreign key a lookup; built once from the finished table, an index is one sort, and a foreign key
one join. Both databases change their schema inside a transaction: a run that fails or is killed before its
commit leaves every index and constraint as it was. Unique indexes and primary keys stay in place (they guard
the data while it is written); so do the foreign keys on SQLite, which cannot drop one without rebuilding its
table.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection

_PG_INDEXES = sa.text(
    "SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
    "JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
    "WHERE n.nspname = current_schema() AND t.relname = ANY(:tables) AND NOT x.indisunique AND NOT x.indisprimary "
    "ORDER BY c.relname"
)
_PG_FOREIGN_KEYS = sa.text(
    "SELECT k.conname, t.relname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
    "JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
    "WHERE k.contype = 'f' AND n.nspname = current_schema() AND t.relname = ANY(:tables) ORDER BY k.conname"
)
_SQLITE_INDEXES = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks}) "
    "AND upper(sql) NOT LIKE 'CREATE UNIQUE%' ORDER BY name"
)


def set_aside(conn: Connection, tables: Sequence[str], *, foreign_keys: bool = True) -> list[str]:
    """Drop the non-unique indexes of `tables` (and on PostgreSQL, with `foreign_keys`, the foreign keys they
    hold); returns the statements that build them again, indexes first."""
    rebuild: list[str] = []
    if conn.dialect.name == "postgresql":
        if foreign_keys:
            keys = conn.execute(_PG_FOREIGN_KEYS, {"tables": list(tables)}).all()
            for name, table, _ in keys:
                conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        indexes = conn.execute(_PG_INDEXES, {"tables": list(tables)}).all()
        for name, _ in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        rebuild += [definition for _, definition in indexes]
        if foreign_keys:
            rebuild += [
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}' for name, table, definition in keys
            ]
        return rebuild
    marks = ", ".join("?" for _ in tables)
    indexes = conn.exec_driver_sql(_SQLITE_INDEXES.format(marks=marks), tuple(tables)).all()
    for name, _ in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [definition for _, definition in indexes]


def build(conn: Connection, statements: Sequence[str]) -> None:
    """Run what set_aside returned."""
    for statement in statements:
        conn.exec_driver_sql(statement.replace("%", "%%") if conn.dialect.name == "postgresql" else statement)


@contextmanager
def aside(conn: Connection, tables: Sequence[str], *, foreign_keys: bool = True) -> Iterator[None]:
    """set_aside on entering, build on a normal exit (an error leaves the rollback to restore them)."""
    statements = set_aside(conn, tables, foreign_keys=foreign_keys)
    yield
    build(conn, statements)
