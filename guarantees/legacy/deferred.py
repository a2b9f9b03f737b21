"""Indexes and foreign keys set aside during a bulk write and built again at its end, in the same transaction.

Kept up row by row, each index of a table costs every inserted or rewritten row a search and an insertion in
it, and each foreign key a lookup; built once from the finished table, an index is one sort, and a foreign key
one join. Both databases change their schema inside a transaction: a run that fails or is killed before its
commit leaves every index and constraint as it was. Unique indexes stay in place (they guard the data while it
is written), and so do primary keys unless asked for (the back-links only rewrite rows, and a key built again
checks that the ids are still unique); so do the foreign keys on SQLite, which cannot drop one without
rebuilding its table.
"""

import re
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
# Primary keys no foreign key refers to (a referenced one must stay for the references).
_PG_FREE_PRIMARY_KEYS = sa.text(
    "SELECT k.conname, t.relname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
    "JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
    "WHERE k.contype = 'p' AND n.nspname = current_schema() AND t.relname = ANY(:tables) "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.confrelid = k.conrelid) "
    "ORDER BY k.conname"
)
# An SQLite trigger that copies each new row of a table into another one (the search index): its one statement.
_COPY_TRIGGER = re.compile(
    r"CREATE TRIGGER (\w+) AFTER INSERT ON (\w+) BEGIN INSERT INTO (\w+) \(([^)]*)\) VALUES \((.*)\); END",
    re.DOTALL | re.IGNORECASE,
)
_SQLITE_INDEXES = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks}) "
    "AND upper(sql) NOT LIKE 'CREATE UNIQUE%' ORDER BY name"
)


def set_aside(
    conn: Connection,
    tables: Sequence[str],
    *,
    foreign_keys: bool = True,
    primary_keys: bool = False,
    columns: Sequence[str] | None = None,
) -> list[str]:
    """Drop the non-unique indexes of `tables` (and on PostgreSQL, with `foreign_keys`, the foreign keys they
    hold; with `primary_keys`, their primary keys that no foreign key refers to); returns the statements that
    build them again, keys and indexes first. SQLite, with `columns`: only the indexes of those columns (the others
    cost a statement that leaves their columns alone nothing)."""
    rebuild: list[str] = []
    if conn.dialect.name == "postgresql":
        if primary_keys:
            keys = conn.execute(_PG_FREE_PRIMARY_KEYS, {"tables": list(tables)}).all()
            for name, table, _ in keys:
                conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            rebuild += [_add_constraint(*key) for key in keys]
        foreign = conn.execute(_PG_FOREIGN_KEYS, {"tables": list(tables)}).all() if foreign_keys else []
        for name, table, _ in foreign:
            conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        indexes = conn.execute(_PG_INDEXES, {"tables": list(tables)}).all()
        for name, _ in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        rebuild += [definition for _, definition in indexes]
        rebuild += [_add_constraint(*key) for key in foreign]
        return rebuild
    marks = ", ".join("?" for _ in tables)
    indexes = conn.exec_driver_sql(_SQLITE_INDEXES.format(marks=marks), tuple(tables)).all()
    if columns is not None:
        indexes = [(name, sql) for name, sql in indexes if _sqlite_index_columns(conn, name) <= set(columns)]
    for name, _ in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [definition for _, definition in indexes]


def _sqlite_index_columns(conn: Connection, index: str) -> set[str | None]:
    """The columns of an SQLite index (None for an expression)."""
    return {row[2] for row in conn.exec_driver_sql(f'PRAGMA index_info("{index}")')}


def _add_constraint(name: str, table: str, definition: str) -> str:
    return f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'


def build(conn: Connection, statements: Sequence[str]) -> None:
    """Run what set_aside returned."""
    for statement in statements:
        conn.exec_driver_sql(statement.replace("%", "%%") if conn.dialect.name == "postgresql" else statement)


@contextmanager
def aside(
    conn: Connection,
    tables: Sequence[str],
    *,
    foreign_keys: bool = True,
    primary_keys: bool = False,
    columns: Sequence[str] | None = None,
) -> Iterator[None]:
    """set_aside on entering, build on a normal exit (an error leaves the rollback to restore them)."""
    statements = set_aside(conn, tables, foreign_keys=foreign_keys, primary_keys=primary_keys, columns=columns)
    yield
    build(conn, statements)


@contextmanager
def insert_triggers_aside(conn: Connection, table: str) -> Iterator[None]:
    """SQLite: the AFTER INSERT triggers of `table` that copy each new row into another table (the FTS5 search
    index) are dropped, and on a normal exit each one's own statement runs once for all the rows inserted meanwhile,
    with NEW naming the table, before the trigger is created again from its own text. FTS5 then flushes its terms
    once instead of at every statement. An error leaves the rollback to restore them; other databases, and other
    triggers, are left as they are."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql(f'SELECT coalesce(max(rowid), 0) FROM "{table}"').scalar()
    triggers = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? ORDER BY name", (table,)
    ).all()
    copies = []
    for name, sql in triggers:
        found = _COPY_TRIGGER.fullmatch(sql.strip())
        if found and found.group(1) == name and found.group(2) == table:
            copies.append((sql, found.group(3), found.group(4), found.group(5)))
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield
    for sql, target, columns, values in copies:
        conn.exec_driver_sql(
            f'INSERT INTO "{target}" ({columns}) SELECT {values} FROM "{table}" AS NEW WHERE NEW.rowid > ?', (before,)
        )
        conn.exec_driver_sql(sql)
