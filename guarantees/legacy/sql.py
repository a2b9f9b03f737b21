"""Bulk reads and writes for the legacy path (and the Excel import): COPY on PostgreSQL, many rows per INSERT on
SQLite, without per-row overhead."""

import gc
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from itertools import chain

import sqlalchemy as sa
from sqlalchemy.engine import Connection

CACHE_KIB = 32 * 1024  # SQLite page cache during a bulk job: the indexes of 200,000 rows stay in memory
# Rows per SQLite INSERT ... VALUES statement of a bulk write, within the bound values every SQLite version takes
# in one statement (999; 32,766 since 3.32).
VALUES_ROWS = 100
SQLITE_VARIABLES = 999
# JSON as the register stores it: compact, UTF-8 (Arabic stays readable), faster than json.dumps' defaults.
to_json = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode


def stream(conn: Connection, query: sa.Select, batch: int = 5_000) -> Iterator[tuple]:
    """The rows of a SELECT as plain tuples straight from the driver (a server-side cursor on PostgreSQL).

    For reads of every legacy row, where a Result's per-row machinery would cost more than the query.
    """
    if not conn.in_transaction():
        conn.begin()
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    driver = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        # Every row is read: plan for the whole result (hash joins), not for the first rows as a cursor would.
        driver.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        cursor = driver.cursor(name=f"legacy_stream_{id(query)}")
        cursor.itersize = batch
    else:
        cursor = driver.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(batch):
            yield from rows
    finally:
        cursor.close()


def bulk_insert(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: list[tuple],
    *,
    staged: bool = False,
) -> None:
    """Insert rows (tuples of values the driver takes as they are) in the current transaction.

    PostgreSQL: COPY. SQLite: see _insert_values; with `staged`, through a temporary table (see _insert_staged).
    """
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
        return
    if not staged:
        _insert_values(conn, table, names, len(columns), rows)
        return
    _insert_staged(conn, table, names, len(columns), rows)


def _insert_values(conn: Connection, table: str, names: str, width: int, rows: list[tuple]) -> None:
    """SQLite: the rows in INSERT statements of VALUES_ROWS rows each, not one statement run per row
    (executemany). Each run of a statement sets up its CHECK constraints again, and one with an IN list of three
    or more values builds a lookup table for it: for the items of a migrate, that made half the cost of the
    insert. Many rows per run also spare the driver's per-row work (0.5 s instead of 0.95 s for 190,000 items,
    measured)."""
    per = max(1, min(VALUES_ROWS, SQLITE_VARIABLES // width))
    one = f"({', '.join('?' * width)})"
    head = f"INSERT INTO {table} ({names}) VALUES "
    whole = len(rows) - len(rows) % per
    statement = head + ", ".join([one] * per)
    cursor = conn.connection.driver_connection.cursor()  # (a statement through SQLAlchemy costs more than its rows)
    try:
        for start in range(0, whole, per):
            cursor.execute(statement, list(chain.from_iterable(rows[start : start + per])))
        if whole < len(rows):  # (one row per run: a statement of each length would stay in the driver's cache)
            statement = head + one
            cursor.executemany(statement, rows[whole:])
    except conn.dialect.dbapi.Error as error:
        raise _as_sqlalchemy(conn, statement, error) from error
    finally:
        cursor.close()


def _as_sqlalchemy(conn: Connection, statement: str, error: Exception) -> sa.exc.DBAPIError:
    """A driver's error as SQLAlchemy raises it (IntegrityError, OperationalError...): the callers tell a
    conflict or a busy database apart by its kind, whichever way the rows were written."""
    return sa.exc.DBAPIError.instance(statement, None, error, conn.dialect.dbapi.Error, dialect=conn.dialect)


def _insert_staged(conn: Connection, table: str, names: str, width: int, rows: list[tuple]) -> None:
    """For a table whose INSERT trigger writes an FTS5 index: fired by a statement of its own, the trigger makes
    FTS5 flush its pending terms at every row (about ten times the cost of the insert); the rows go to a
    temporary table first and into `table` in one INSERT ... SELECT, which lets FTS5 flush once."""
    stage = f"legacy_stage_{table}"
    # Untyped columns: the values reach `table` as bound, and its own column affinities apply there.
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ({names})")
    try:
        _insert_values(conn, stage, names, width, rows)
        conn.exec_driver_sql(f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage}")
    finally:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {stage}")


# Tables whose INSERT trigger writes the SQLite search index (see bulk_insert).
STAGED = frozenset({"guarantees"})


def insert_all(conn: Connection, table: sa.Table, rows: list[dict]) -> None:
    """Insert rows (dicts with the same keys) in one bulk write, stored as the ORM would store them."""
    if not rows:
        return
    columns = list(rows[0])
    convert = row_converter(conn, table, columns)
    rows = [convert([row[name] for name in columns]) for row in rows]
    bulk_insert(conn, table.name, columns, rows, staged=table.name in STAGED)


def row_converter(
    conn: Connection, table: sa.Table, columns: Sequence[str], serialised: Sequence[str] = ()
) -> Callable[[Sequence], tuple]:
    """A function turning a row of Python values into the tuple `bulk_insert` writes, as SQLAlchemy would store it.

    SQLite: each column's own bind processor (dates, timestamps, money and JSON stored exactly as the ORM
    stores them). PostgreSQL: COPY adapts dates, decimals and booleans itself; JSON goes as its text.
    Columns named in `serialised` already hold their JSON text.
    """
    dialect = conn.dialect
    if dialect.name == "postgresql":
        processors = [json.dumps if isinstance(table.c[name].type, sa.JSON) else None for name in columns]
    else:
        processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
        # Dates and timestamps repeat (a legacy session shares one created_at): format each once.
        processors = [
            lru_cache(maxsize=4096)(process)
            if isinstance(table.c[name].type, sa.Date | sa.DateTime) and process
            else process
            for name, process in zip(columns, processors, strict=True)
        ]
    pairs = [
        (i, process) for i, process in enumerate(processors) if process is not None and columns[i] not in serialised
    ]

    def convert(values: Sequence) -> tuple:
        out = list(values)
        for index, process in pairs:
            if (value := out[index]) is not None:
                out[index] = process(value)
        return tuple(out)

    return convert


def column_converter(conn: Connection, column: sa.Column) -> Callable:
    """One column's value as `bulk_insert` writes it (see row_converter), remembered: values repeat."""
    convert = row_converter(conn, column.table, [column.name])
    return lru_cache(maxsize=1 << 15)(lambda value: convert((value,))[0])


@contextmanager
def bulk_session(conn: Connection) -> Iterator[None]:
    """Settings for a long bulk job on this connection, restored afterwards.

    The cyclic garbage collector runs rarely: the job makes millions of short-lived, acyclic objects, and a
    collection every 700 of them would cost more than the job. SQLite (WAL) syncs at checkpoints rather than at
    each commit: a crash may lose the last commits, never consistency, and a migrate resumes from its links.
    """
    threshold = gc.get_threshold()
    gc.freeze()  # what exists now (the app, its caches) is never scanned again during the job
    gc.set_threshold(100_000, 50, 100)
    synchronous = None
    driver = conn.connection.driver_connection
    if conn.dialect.name == "sqlite" and not conn.in_transaction():  # (SQLite refuses the pragma inside one)
        synchronous = driver.execute("PRAGMA synchronous").fetchone()[0]
        cache_size = driver.execute("PRAGMA cache_size").fetchone()[0]
        driver.execute("PRAGMA synchronous = NORMAL")
        driver.execute(f"PRAGMA cache_size = {-CACHE_KIB}")
    try:
        yield
    finally:
        if synchronous is not None and not conn.in_transaction():
            driver.execute(f"PRAGMA synchronous = {int(synchronous)}")
            driver.execute(f"PRAGMA cache_size = {int(cache_size)}")
        gc.set_threshold(*threshold)
        gc.unfreeze()
