"""`flask legacy load PATH`: copy a legacy SQLite database into the register's legacy tables, ids kept.

Any schema variant of DESIGN §1 is read: columns are found with `pragma table_info` and only those the
register's tables have are copied (the others are reported); an `id` without PRIMARY KEY may be NULL or
repeated, and such rows get new ids after the highest one (reported). One transaction: a refusal or a
failure leaves the register as it was.
"""

import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from guarantees.legacy.sql import bulk_insert, bulk_session
from guarantees.models.dictionary import Bank, Supplier
from guarantees.models.legacy import LEGACY_RECORD_COLUMNS, ImportedRecord, ImportSession

COPY_BATCH = 5_000
MAX_LISTED = 50
REQUIRED = ("import_sessions", "imported_records")
# Register tables filled from the legacy file, in order, with the columns copied into each.
TABLES = {
    "import_sessions": [c.name for c in ImportSession.__table__.columns],
    "imported_records": list(LEGACY_RECORD_COLUMNS),
    "suppliers": [c.name for c in Supplier.__table__.columns],
    "banks": [c.name for c in Bank.__table__.columns],
}
MODELS = {"import_sessions": ImportSession, "imported_records": ImportedRecord, "suppliers": Supplier, "banks": Bank}
NOT_NULL_TEXT = {("import_sessions", "session_type"), ("suppliers", "official_name"), ("banks", "official_name")}


class LoadRefused(Exception):
    """The file is not a legacy database, or the register already holds legacy rows: nothing was changed."""


@dataclass
class LoadReport:
    source: str
    copied: dict = field(default_factory=dict)
    renumbered: list = field(default_factory=list)
    renumbered_total: int = 0
    altered: list = field(default_factory=list)
    altered_total: int = 0
    columns_not_copied: dict = field(default_factory=dict)
    columns_absent: dict = field(default_factory=dict)
    tables_absent: list = field(default_factory=list)
    tables_not_copied: list = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        data = asdict(self)
        data["rows"] = sum(self.copied.values())
        data["rows_per_second"] = round(data["rows"] / self.seconds) if self.seconds else None
        return data

    def note(self, kind: str, entry: dict) -> None:
        listed = self.renumbered if kind == "renumbered" else self.altered
        if len(listed) < MAX_LISTED:
            listed.append(entry)
        setattr(self, f"{kind}_total", getattr(self, f"{kind}_total") + 1)


def open_legacy(path: str | Path) -> tuple[sqlite3.Connection, set[str]]:
    """The legacy file, read-only, and its table names; LoadRefused when it is not a legacy database."""
    path = Path(path)
    if not path.is_file():
        raise LoadRefused(f"{path}: no such file.")
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = {name for (name,) in source.execute("select name from sqlite_master where type = 'table'")}
    except sqlite3.DatabaseError as error:
        source.close()
        raise LoadRefused(f"{path} is not an SQLite database ({error}).") from error
    missing = [name for name in REQUIRED if name not in tables]
    if missing:
        source.close()
        raise LoadRefused(
            f"{path} is not a legacy guarantee database: it has no {' and no '.join(missing)} table. "
            "Nothing was loaded."
        )
    if "guarantee_number" not in _columns(source, "imported_records"):
        source.close()
        raise LoadRefused(f"{path}: its imported_records table has no guarantee_number column. Nothing was loaded.")
    return source, tables


def _columns(source: sqlite3.Connection, table: str) -> dict[str, str]:
    """The columns of a legacy table: lower-case name → name as spelled."""
    return {row[1].lower(): row[1] for row in source.execute(f'pragma table_info("{table}")')}


def _refuse_if_loaded(conn: Connection) -> None:
    inspector = sa.inspect(conn)
    absent = [name for name in TABLES if not inspector.has_table(name)]
    if absent:
        raise LoadRefused(f"The register has no {', '.join(absent)} table: run `flask db upgrade` first.")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"LOCK TABLE {', '.join(TABLES)} IN SHARE ROW EXCLUSIVE MODE")
    held = {name: conn.scalar(sa.select(sa.func.count()).select_from(sa.table(name))) for name in TABLES}
    held = {name: count for name, count in held.items() if count}
    if held:
        listed = ", ".join(f"{name}: {count}" for name, count in held.items())
        raise LoadRefused(
            f"The register already holds legacy rows ({listed}); a legacy database is loaded once, into an empty "
            "register. Nothing was changed."
        )


def load(engine: Engine, path: str | Path, *, progress=None) -> LoadReport:
    """Copy the legacy file at `path` into the register (one transaction); LoadRefused changes nothing."""
    started = time.perf_counter()
    source, source_tables = open_legacy(path)
    report = LoadReport(source=str(path))
    report.tables_not_copied = sorted(t for t in source_tables if t not in TABLES and not t.startswith("sqlite_"))
    try:
        with engine.connect() as conn, bulk_session(conn), conn.begin():
            _refuse_if_loaded(conn)
            for table in TABLES:
                if table not in source_tables:
                    report.tables_absent.append(table)
                    continue
                report.copied[table] = _copy(
                    source, conn, table, report, progress if table == "imported_records" else None
                )
            if conn.dialect.name == "postgresql":
                for table in TABLES:
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table} "
                        "HAVING max(id) IS NOT NULL"
                    )
    finally:
        source.close()
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _copy(source: sqlite3.Connection, conn: Connection, table: str, report: LoadReport, progress) -> int:
    """Copy one table in rowid order; ids kept, except missing or repeated ones (renumbered after the highest)."""
    present = _columns(source, table)
    target = TABLES[table]
    columns = [name for name in target if name in present]
    absent = [name for name in target if name not in present]
    extra = sorted(spelled for lower, spelled in present.items() if lower not in target)
    if extra:
        report.columns_not_copied[table] = extra
    if absent:
        report.columns_absent[table] = absent
    model_table = MODELS[table].__table__
    integer = {name for name in target if isinstance(model_table.c[name].type, sa.Integer)}
    has_id = "id" in present
    next_id, repeated = 1, set()
    if has_id:
        id_column = f'"{present["id"]}"'
        # The highest id as _to_int reads each: integers by SQLite itself, the few other cells here.
        (top,) = source.execute(
            f"select max({id_column}) from \"{table}\" where typeof({id_column}) = 'integer'"
        ).fetchone()
        odd = source.execute(
            f"select {id_column} from \"{table}\" where typeof({id_column}) not in ('integer', 'null')"
        )
        ids = (_to_int(value)[0] for (value,) in odd)
        next_id = max(top or 0, max((i for i in ids if i is not None), default=0)) + 1
        # Only ids that occur more than once need remembering (memory stays flat however many rows there are).
        repeated = {
            value
            for (value,) in source.execute(
                f'select cast({id_column} as integer) from "{table}" where {id_column} is not null '
                "group by 1 having count(*) > 1"
            )
        }
    copied = [name for name in columns if name != "id"]
    read = ", ".join(f'"{present[name]}"' for name in (["id", *copied] if has_id else copied))
    cursor = source.execute(f'select rowid{", " + read if read else ""} from "{table}" order by rowid')
    count = 0
    seen: set[int] = set()
    expected = [int if name in integer else str for name in copied]
    not_null = [index for index, name in enumerate(copied, 1) if (table, name) in NOT_NULL_TEXT]
    while batch := cursor.fetchmany(COPY_BATCH):
        rows = []
        for raw in batch:
            rowid, values = raw[0], (raw[1:] if has_id else (None, *raw[1:]))
            row_id = values[0]
            if type(row_id) is not int or row_id in repeated:
                row_id, ok = _to_int(row_id)
                if row_id is None or row_id in seen or not ok:
                    report.note(
                        "renumbered", {"table": table, "source_rowid": rowid, "old_id": values[0], "new_id": next_id}
                    )
                    row_id, next_id = next_id, next_id + 1
                elif row_id in repeated:
                    seen.add(row_id)
            out = [row_id, *values[1:]]
            for index, (kind, value) in enumerate(zip(expected, values[1:], strict=True), 1):
                if value is not None and (type(value) is not kind or (kind is str and "\x00" in value)):
                    out[index] = _convert(table, copied[index - 1], value, kind is int, row_id, report)
            for index in not_null:
                if out[index] is None:
                    out[index] = _convert(table, copied[index - 1], None, False, row_id, report)
            rows.append(tuple(out))
        bulk_insert(conn, table, ["id", *copied], rows)
        count += len(rows)
        if progress:
            progress(len(rows))
    return count


def _convert(table: str, name: str, value, integer: bool, row_id: int, report: LoadReport):
    converted, ok = _to_int(value) if integer else _to_text(value)
    if converted is None and (table, name) in NOT_NULL_TEXT:
        converted, ok = "", False
    if not ok:
        entry = {"table": table, "id": row_id, "column": name, "value": repr(value)[:80], "stored": converted}
        report.note("altered", entry)
    return converted


def _to_int(value) -> tuple[int | None, bool]:
    """An integer cell: (value, kept as it was)."""
    if value is None or isinstance(value, int):
        return (None if value is None else int(value)), True
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value), True
    try:
        number = float(value) if isinstance(value, str | float) else None
    except ValueError:
        return None, False
    if number is None:
        return None, False
    return (int(number), True) if number.is_integer() else (None, False)


def _to_text(value) -> tuple[str | None, bool]:
    """A text cell: (value, kept as it was). SQLite stores a number put in a TEXT column as its text."""
    if value is None:
        return None, True
    if isinstance(value, str):
        return (value.replace("\x00", ""), False) if "\x00" in value else (value, True)
    if isinstance(value, int | float):
        return str(value), True
    if isinstance(value, bytes):
        try:
            return _to_text(value.decode("utf-8"))
        except UnicodeDecodeError:
            return value.decode("utf-8", "replace").replace("\x00", ""), False
    return str(value), True
