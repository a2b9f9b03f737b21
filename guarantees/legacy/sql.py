"""Bulk writes for the legacy path: COPY on PostgreSQL, many rows per INSERT on SQLite, without per-row overhead."""

import gc
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from itertools import chain

import sqlalchemy as sa
from sqlalchemy.engine import Connection

CACHE_KIB = 32 * 1024  # SQLite page cache during a bulk job: the indexes of 200,000 rows stay in memory
# WAL pages between checkpoints (SQLite's default: 1,000): a job committing many pages at a time would otherwise
# checkpoint, and sync, at nearly every commit.
CHECKPOINT_PAGES = 20_000
# Rows per SQLite INSERT ... VALUES, within the bound values every SQLite version takes (999).
VALUES_ROWS = 100
SQLITE_VARIABLES = 999
STAGED = frozenset({"guarantees"})  # tables whose INSERT trigger writes the SQLite search index
# JSON as the register stores it: compact, UTF-8 (Arabic stays readable).
to_json = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode


def bulk_insert(conn: Connection, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert rows (tuples of values the driver takes as they are) in the current transaction."""
    if not rows:
        return
    if not conn.in_transaction():  # (the driver's own cursor is used: the transaction must be SQLAlchemy's)
        conn.begin()
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        statement = f"COPY {table} ({names}) FROM STDIN"
        try:
            with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except conn.dialect.dbapi.Error as error:
            raise _as_sqlalchemy(conn, statement, error) from error
    elif table in STAGED:
        # Fired by a statement of its own, the FTS5 trigger flushes its terms at every row (ten times the insert):
        # through a temporary table and one INSERT ... SELECT, it flushes once.
        stage = f"legacy_stage_{table}"
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ({names})")  # (untyped: as bound)
        try:
            _insert_values(conn, stage, names, len(columns), rows)
            conn.exec_driver_sql(f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage}")
        finally:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {stage}")
    else:
        _insert_values(conn, table, names, len(columns), rows)


def _insert_values(conn: Connection, table: str, names: str, width: int, rows: list[tuple]) -> None:
    """SQLite: VALUES_ROWS rows per statement, not one run per row: each run sets up the table's CHECK
    constraints again (for a migrate's items, half the cost of the insert)."""
    per = max(1, min(VALUES_ROWS, SQLITE_VARIABLES // width))
    one = f"({', '.join('?' * width)})"
    head = f"INSERT INTO {table} ({names}) VALUES "
    whole = len(rows) - len(rows) % per
    statement = head + ", ".join([one] * per)
    cursor = conn.connection.driver_connection.cursor()
    try:
        for start in range(0, whole, per):
            cursor.execute(statement, list(chain.from_iterable(rows[start : start + per])))
        if whole < len(rows):  # (the rest one row per run: a statement of each length would stay in the cache)
            statement = head + one
            cursor.executemany(statement, rows[whole:])
    except conn.dialect.dbapi.Error as error:
        raise _as_sqlalchemy(conn, statement, error) from error
    finally:
        cursor.close()


def _as_sqlalchemy(conn: Connection, statement: str, error: Exception) -> sa.exc.DBAPIError:
    """A driver's error as SQLAlchemy raises it (IntegrityError, OperationalError...)."""
    return sa.exc.DBAPIError.instance(statement, None, error, conn.dialect.dbapi.Error, dialect=conn.dialect)


def insert_all(conn: Connection, table: sa.Table, rows: list[dict]) -> None:
    """Insert rows (dicts with the same keys) in one bulk write, stored as the ORM would store them."""
    if rows:
        columns = tuple(rows[0])
        convert = converter(conn, table, columns)
        bulk_insert(conn, table.name, columns, [convert([row[name] for name in columns]) for row in rows])


@lru_cache(maxsize=64)
def _converter(dialect: sa.Dialect, table: sa.Table, columns: tuple) -> Callable[[Sequence], tuple]:
    if dialect.name == "postgresql":  # COPY adapts dates, decimals and booleans itself; JSON goes as its text
        processors = [json.dumps if isinstance(table.c[name].type, sa.JSON) else None for name in columns]
    else:  # each column's own bind processor; dates and times repeat (a session's rows share one): each once
        processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
        dated = [isinstance(table.c[name].type, sa.Date | sa.DateTime) for name in columns]
        processors = [lru_cache(1 << 15)(p) if p and d else p for p, d in zip(processors, dated, strict=True)]
    pairs = [(index, process) for index, process in enumerate(processors) if process is not None]

    def convert(values: Sequence) -> tuple:
        out = list(values)
        for index, process in pairs:
            if (value := out[index]) is not None:
                out[index] = process(value)
        return tuple(out)

    return convert


def converter(conn: Connection, table: sa.Table, columns: tuple) -> Callable[[Sequence], tuple]:
    """A function turning a row of Python values into the tuple `bulk_insert` writes, as the ORM would store it."""
    return _converter(conn.dialect, table, tuple(columns))


@contextmanager
def bulk_session(conn: Connection) -> Iterator[None]:
    """Settings for a long bulk job on this connection, restored afterwards.

    The cyclic garbage collector runs rarely: the job makes millions of short-lived, acyclic objects. SQLite (WAL)
    syncs at checkpoints rather than at each commit: a crash may lose the last commits, never consistency.
    """
    threshold = gc.get_threshold()
    gc.freeze()  # what exists now (the app, its caches) is never scanned again during the job
    gc.set_threshold(100_000, 50, 100)
    driver, saved = conn.connection.driver_connection, {}
    if conn.dialect.name == "sqlite" and not conn.in_transaction():  # (SQLite refuses these inside one)
        wanted = {"synchronous": "NORMAL", "cache_size": -CACHE_KIB, "wal_autocheckpoint": CHECKPOINT_PAGES}
        for name, value in wanted.items():
            saved[name] = driver.execute(f"PRAGMA {name}").fetchone()[0]
            driver.execute(f"PRAGMA {name} = {value}")
    try:
        yield
    finally:
        if not conn.in_transaction():
            for name, value in saved.items():
                driver.execute(f"PRAGMA {name} = {int(value)}")
        gc.set_threshold(*threshold)
        gc.unfreeze()
