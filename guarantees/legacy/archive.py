"""`flask legacy archive --to FILE.sqlite`: the legacy tables to a standalone file, verified, then dropped.

Only once retired (dual-write off). The file is a new SQLite database in the legacy system's own schema (the
tables and columns of revision 0001, without the transition columns), so the old application could open it:
import_sessions and imported_records, and the supplier and bank dictionaries as they are now. It is written
beside FILE under a temporary name, read back and compared with the register row by row and column by column,
and only then given its name (never over an existing file). Then, in one transaction of the register, with the
legacy tables locked and checked unchanged since the copy: every imported_records row goes to
legacy_archive_records (with its session's type and its links, for the history), the archive is recorded in
legacy_archives, and import_sessions and imported_records (with their transition columns) are dropped. The
dictionaries stay: the register keeps using them.
"""

import hashlib
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from itertools import zip_longest
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from guarantees.legacy.retire import archive_record, retirement
from guarantees.models.base import utcnow
from guarantees.models.legacy import LEGACY_RECORD_COLUMNS, TRANSITION_COLUMNS
from guarantees.models.legacy_archive import LegacyArchive, LegacyArchiveRecord

CHUNK = 5_000
DROPPED = ("imported_records", "import_sessions")
# The legacy system's schema (revision 0001, as the PHP application created it): table → (column, declaration).
_RECORD_TYPES = {"id": "INTEGER PRIMARY KEY AUTOINCREMENT", "session_id": "INTEGER", "supplier_id": "INTEGER",
                 "bank_id": "INTEGER"}  # fmt: skip
LEGACY_SCHEMA: dict[str, list[tuple[str, str]]] = {
    "import_sessions": [
        ("id", "INTEGER PRIMARY KEY AUTOINCREMENT"), ("session_type", "TEXT NOT NULL"),
        ("record_count", "INTEGER DEFAULT 0"), ("created_at", "TEXT DEFAULT CURRENT_TIMESTAMP"),
    ],
    "imported_records": [(name, _RECORD_TYPES.get(name, "TEXT")) for name in LEGACY_RECORD_COLUMNS],
    "suppliers": [
        ("id", "INTEGER PRIMARY KEY AUTOINCREMENT"), ("official_name", "TEXT NOT NULL"), ("display_name", "TEXT"),
        ("normalized_name", "TEXT"), ("is_confirmed", "INTEGER DEFAULT 0"), ("created_at", "TEXT"),
        ("updated_at", "TEXT"),
    ],
    "banks": [
        ("id", "INTEGER PRIMARY KEY AUTOINCREMENT"), ("official_name", "TEXT NOT NULL"), ("official_name_en", "TEXT"),
        ("official_name_ar", "TEXT"), ("normalized_key", "TEXT"), ("short_code", "TEXT"),
        ("is_confirmed", "INTEGER DEFAULT 0"), ("created_at", "TEXT"), ("updated_at", "TEXT"),
        ("address_line_1", "TEXT"), ("address_line_2", "TEXT"), ("contact_email", "TEXT"), ("department", "TEXT"),
    ],
}  # fmt: skip
LEGACY_INDEXES = (
    "CREATE INDEX idx_imported_records_session_id ON imported_records (session_id)",
    "CREATE INDEX idx_imported_records_guarantee_number ON imported_records (guarantee_number)",
)


class ArchiveRefused(Exception):
    """A precondition failed, or the copy did not compare equal (the message says which); nothing was dropped."""


def columns(table: str) -> list[str]:
    return [name for name, _declaration in LEGACY_SCHEMA[table]]


def _rows(conn: Connection, table: str) -> Iterator[tuple]:
    """A register table's legacy columns, row by row in id order."""
    names = ", ".join(columns(table))
    result = conn.exec_driver_sql(f"SELECT {names} FROM {table} ORDER BY id", execution_options={"yield_per": CHUNK})
    for row in result:
        yield tuple(row)


def _digest(rows) -> tuple[int, str]:
    digest, count = hashlib.sha256(), 0
    for row in rows:
        digest.update(json.dumps(row, ensure_ascii=False, default=str).encode())
        digest.update(b"\n")
        count += 1
    return count, digest.hexdigest()


def preconditions(conn: Connection, path: Path | None) -> dict:
    """Refuse unless retired, not yet archived, and FILE is new in an existing folder; the legacy row counts."""
    archived = archive_record(conn)
    if archived:
        raise ArchiveRefused(
            f"The legacy tables were already archived on {archived['archived_at']:%Y-%m-%d %H:%M} to "
            f"{archived['file_name']} (sha256 {archived['file_sha256']}): nothing is left to archive."
        )
    retired = retirement(conn)
    if retired is None:
        raise ArchiveRefused(
            "The legacy tables are not retired (dual-write is not off in the database): run `flask legacy retire` "
            "first, so that nothing writes them any more."
        )
    if path is not None:
        if path.exists():
            raise ArchiveRefused(f"{path} exists already: give a new file name (an archive never overwrites).")
        if not path.parent.is_dir():
            raise ArchiveRefused(f"The folder {path.parent} does not exist.")
    counts = {table: conn.scalar(sa.text(f"SELECT count(*) FROM {table}")) for table in LEGACY_SCHEMA}
    return {"retired": retired, "counts": counts}


def _write(conn: Connection, target: Path, progress: Callable[[int], None]) -> dict[str, tuple[int, str]]:
    """The legacy tables into the new SQLite file `target`; per table, the rows' count and digest."""
    digests = {}
    out = sqlite3.connect(target)
    try:
        for table, declared in LEGACY_SCHEMA.items():
            out.execute(f"CREATE TABLE {table} ({', '.join(f'{name} {kind}' for name, kind in declared)})")
        for statement in LEGACY_INDEXES:
            out.execute(statement)
        for table in LEGACY_SCHEMA:
            insert = f"INSERT INTO {table} VALUES ({', '.join('?' * len(columns(table)))})"
            digest, count, chunk = hashlib.sha256(), 0, []
            for row in _rows(conn, table):
                digest.update(json.dumps(row, ensure_ascii=False, default=str).encode())
                digest.update(b"\n")
                chunk.append(row)
                if len(chunk) >= CHUNK:
                    out.executemany(insert, chunk)
                    progress(len(chunk))
                    count, chunk = count + len(chunk), []
            out.executemany(insert, chunk)
            progress(len(chunk))
            digests[table] = (count + len(chunk), digest.hexdigest())
        out.commit()
    finally:
        out.close()
    return digests


def compare(conn: Connection, target: Path) -> list[str]:
    """Every table of the file against the register, row by row and column by column: the differences (capped)."""
    differences = []
    copy = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    try:
        if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            return [f"{target} fails SQLite's integrity check"]
        for table in LEGACY_SCHEMA:
            written = copy.execute(f"SELECT {', '.join(columns(table))} FROM {table} ORDER BY id")
            for number, (ours, theirs) in enumerate(zip_longest(_rows(conn, table), written), start=1):
                if ours != (None if theirs is None else tuple(theirs)):
                    differences.append(f"{table} row {number}: register {ours!r}, file {theirs!r}")
                    if len(differences) >= 10:
                        return differences
    finally:
        copy.close()
    return differences


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _drop(conn: Connection, digests: dict, file_name: str, sha256: str, user: str) -> dict:
    """In the caller's transaction: the legacy tables locked and checked unchanged since the copy, their rows to
    legacy_archive_records, the archive recorded, the tables dropped. The rows kept in the register."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"LOCK TABLE {', '.join(DROPPED)} IN ACCESS EXCLUSIVE MODE")
    for table in LEGACY_SCHEMA:
        if _digest(_rows(conn, table)) != digests[table]:
            raise ArchiveRefused(f"{table} changed while it was being archived: nothing was dropped; run it again.")
    kept = [*LEGACY_RECORD_COLUMNS, *TRANSITION_COLUMNS]
    conn.exec_driver_sql(
        f"INSERT INTO {LegacyArchiveRecord.__tablename__} ({', '.join(kept)}, session_type) "
        f"SELECT {', '.join(f'r.{name}' for name in kept)}, s.session_type "
        "FROM imported_records r LEFT JOIN import_sessions s ON s.id = r.session_id"
    )
    archived = conn.scalar(sa.select(sa.func.count()).select_from(LegacyArchiveRecord))
    if archived != digests["imported_records"][0]:
        raise ArchiveRefused(f"legacy_archive_records holds {archived} rows, not {digests['imported_records'][0]}.")
    counts = {table: count for table, (count, _sha) in digests.items()}
    conn.execute(
        sa.insert(LegacyArchive).values(
            archived_at=utcnow(), archived_by=user, file_name=file_name, file_sha256=sha256, counts=counts
        )
    )
    for table in DROPPED:
        conn.exec_driver_sql(f"DROP TABLE {table}")
    return counts


def archive(
    engine: Engine,
    path: str | os.PathLike,
    *,
    user: str,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    say: Callable[[str], None] | None = None,
) -> dict:
    """Archive the legacy tables to `path` and drop them (see the module docstring); ArchiveRefused, with nothing
    dropped, when a precondition or the comparison fails. `engine` must be able to drop tables (the owner)."""
    started = time.perf_counter()
    step, tick = say or (lambda _text: None), progress or (lambda _n: None)
    target = Path(path).resolve()
    with engine.connect() as conn:
        found = preconditions(conn, target)
    report = {"ok": True, "dry_run": dry_run, "file": str(target), "counts": found["counts"],
              "retired_at": found["retired"]["retired_at"], "retired_by": found["retired"]["retired_by"]}  # fmt: skip
    if dry_run:
        report["dropped"] = []
        return report
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(handle)
    partial = Path(name)
    partial.unlink()  # (sqlite3 writes the file afresh)
    try:
        with engine.connect() as conn:
            step(f"writing {partial.name}")
            digests = _write(conn, partial, tick)
            step("comparing the file with the register, row by row")
            differences = compare(conn, partial)
        if differences:
            raise ArchiveRefused("The copy differs from the register: " + "; ".join(differences))
        with partial.open("rb+") as written:
            os.fsync(written.fileno())
        os.link(partial, target)  # fails, rather than overwriting, if FILE appeared meanwhile
    except FileExistsError:
        raise ArchiveRefused(f"{target} appeared while the archive was written: nothing was dropped.") from None
    finally:
        partial.unlink(missing_ok=True)
    sha256 = _sha256(target)
    step("keeping the rows in legacy_archive_records and dropping the legacy tables")
    try:
        with engine.connect().execution_options(sqlite_immediate=True) as conn, conn.begin():
            preconditions(conn, None)  # (still retired, not archived by another run meanwhile)
            counts = _drop(conn, digests, str(target), sha256, user)
    except Exception:
        target.unlink(missing_ok=True)  # nothing was dropped: no archive either
        raise
    report.update(counts=counts, sha256=sha256, dropped=list(DROPPED), seconds=round(time.perf_counter() - started, 3))
    return report
