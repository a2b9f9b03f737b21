"""Fixtures for the legacy path: synthetic legacy databases written in code, the CLI, snapshots."""

import importlib.util
import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import SHARED_FIXTURES

CHECK = SHARED_FIXTURES.parent / "checks" / "legacy_contract.py"

# Legacy schema variants (DESIGN §1). "latest": record_type and related_to, and an id that lost its PRIMARY KEY
# (NULL and repeated ids); "early": contract_source, no record_type, a real primary key; "minimal": few columns,
# no dictionaries.
VARIANTS = {
    "latest": (
        "id INTEGER, session_id INTEGER, raw_supplier_name TEXT, raw_bank_name TEXT, amount TEXT, "
        "guarantee_number TEXT, issue_date TEXT, expiry_date TEXT, normalized_supplier TEXT, normalized_bank TEXT, "
        "match_status TEXT, supplier_id INTEGER, bank_id INTEGER, created_at TEXT, decision_result TEXT, "
        "contract_number TEXT, type TEXT, comment TEXT, bank_display TEXT, supplier_display_name TEXT, "
        "related_to TEXT, record_type TEXT"
    ),
    "early": (
        "id INTEGER PRIMARY KEY AUTOINCREMENT, session_id INTEGER NOT NULL, raw_supplier_name TEXT NOT NULL, "
        "raw_bank_name TEXT NOT NULL, amount TEXT, guarantee_number TEXT, issue_date TEXT, expiry_date TEXT, "
        "normalized_supplier TEXT, normalized_bank TEXT, match_status TEXT, supplier_id INTEGER, bank_id INTEGER, "
        "created_at TEXT, decision_result TEXT NULL, contract_number TEXT NULL, type TEXT NULL, comment TEXT NULL, "
        "contract_source TEXT NULL, bank_display TEXT NULL, supplier_display_name TEXT, extra_legacy_column TEXT"
    ),
    "minimal": (
        "id INTEGER, session_id INTEGER, raw_supplier_name TEXT, raw_bank_name TEXT, amount TEXT, "
        "guarantee_number TEXT, expiry_date TEXT, match_status TEXT, created_at TEXT"
    ),
}

SESSIONS = [
    (1, "excel", "2025-01-10 09:00:00"),
    (2, "list-january.xlsx", "2025-01-11 10:00:00"),
    (3, "manual", "2025-01-12 08:00:00"),
    (4, "manual", "2025-01-12 15:00:00"),
    (5, "smart_paste", "2025-01-12 16:00:00"),
    (6, "paste", "2025-01-12 17:00:00"),
    (7, "excel", "2025-01-13 09:00:00"),  # empty: no rows
    (8, "release_action", "2025-01-14 10:00:00"),
    (9, "extension_action", "2025-01-14 12:00:00"),
    (10, "daily_actions", "2025-01-15 09:00:00"),
    (11, "excel", "2025-01-16 09:00:00"),  # only a row without a number: no batch
]
GULF, ANB = "شركة الخليج الطبية المحدودة", "البنك العربي الوطني"


def _row(row_id, session, number, created, **values):
    return {"id": row_id, "session_id": session, "guarantee_number": number, "created_at": created, **values}


# The legacy rows of the synthetic database; each line says what it proves.
ROWS = [
    # lower case and a trailing space: stored as JLG6900350; Arabic names; an amount with a thousands comma
    _row(1, 1, "jlg6900350 ", "2025-01-10 09:00:01", raw_supplier_name=GULF, raw_bank_name=ANB, amount="1,234.50",
         issue_date="2024-06-01", expiry_date="2025-06-01", match_status="ready", supplier_id=1, bank_id=1,
         type="Final", contract_number="C/0016/40", related_to="contract", contract_source="contract",
         record_type="import"),
    _row(2, 1, "ABC 200", "2025-01-10 09:00:02", raw_supplier_name="Lana Medical Company ", raw_bank_name="Riyad Bank",
         amount="25200", expiry_date="2025-07-01", match_status="needs_review", type="FINAL",
         contract_number="421378", related_to="purchase_order", contract_source="po", record_type=None),
    _row(3, 1, None, "2025-01-10 09:00:03", raw_supplier_name="No Number Co", raw_bank_name="SNB", amount="5.00",
         record_type="import"),
    # blank cells never erase: only the expiry changes
    _row(4, 2, "JLG6900350", "2025-01-11 10:00:01", raw_supplier_name="", raw_bank_name=ANB, amount=" ",
         expiry_date="2025-12-31", match_status="needs_review", record_type="modification"),
    _row(5, 2, "ABC200", "2025-01-11 10:00:02", raw_supplier_name="Lana Medical Company", raw_bank_name="Riyad Bank",
         amount="25,200.00", expiry_date="2025-07-01", record_type="import"),
    # an id-less row and a repeated id (5): both get new ids after the highest
    _row(None, 2, "XYZ300", "2025-01-11 10:00:03", raw_supplier_name="Tech Flow", raw_bank_name="SNB",
         amount="100.00", expiry_date="2026-01-01", record_type="import"),
    _row(5, 2, "xyz300 ", "2025-01-11 10:00:04", raw_supplier_name="Tech Flow", raw_bank_name="SNB", amount="10.00",
         record_type="import"),
    # manual sessions on the same day share one manual batch; paste sessions one text_paste batch
    _row(6, 3, "M-1", "2025-01-12 08:00:01", raw_supplier_name="Manual One", raw_bank_name="SNB", amount="1.00",
         record_type="import"),
    _row(7, 4, "M-2", "2025-01-12 15:00:01", raw_supplier_name="Manual Two", raw_bank_name="SNB", amount="2.00",
         record_type="import"),
    _row(8, 5, "P-1", "2025-01-12 16:00:01", raw_supplier_name="Paste One", raw_bank_name="SNB", amount="3.00",
         record_type="import"),
    _row(9, 6, "P-2", "2025-01-12 17:00:01", raw_supplier_name="Paste Two", raw_bank_name="SNB", amount="4.00",
         record_type="import"),
    # the same guarantee released twice; an extension; a number that appears only in an action row
    _row(10, 8, "JLG6900350", "2025-01-14 10:00:00", raw_supplier_name=GULF, raw_bank_name=ANB,
         expiry_date="2025-12-31", record_type="release_action"),
    _row(11, 8, "JLG6900350", "2025-01-14 11:00:00", raw_supplier_name=GULF, raw_bank_name=ANB,
         record_type="release_action"),
    _row(12, 9, "ABC200", "2025-01-14 12:00:00", raw_supplier_name="Lana Medical Company", raw_bank_name="Riyad Bank",
         expiry_date="2026-07-01", record_type="extension_action", comment="للتمديد"),
    _row(13, 9, "ACT-ONLY", "2025-01-15 09:00:00", raw_supplier_name="Action Only Co", raw_bank_name="SNB",
         amount="700.00", expiry_date="2026-02-02", match_status="needs_review", record_type="extension_action"),
    # rows that stay unmigrated, with their reason
    _row(14, 10, "ABC200", "2025-01-15 09:30:00", raw_supplier_name="x", raw_bank_name="y",
         record_type="renewal_request"),
    _row(15, 11, "   ", "2025-01-16 09:00:01", raw_supplier_name="Blank Number", raw_bank_name="SNB",
         record_type="import"),
    # a row without created_at sorts first among its number's rows
    _row(16, 1, "N-1", None, raw_supplier_name="Late Stamp", raw_bank_name="SNB", amount="9.00",
         expiry_date="2025-09-09", record_type="import"),
    _row(17, 2, "N-1", "2025-01-11 10:00:05", raw_supplier_name="Late Stamp", raw_bank_name="SNB", amount="",
         expiry_date="", record_type="import"),
]  # fmt: skip
SUPPLIERS = [(1, GULF, "Gulf", "gulf"), (2, "Lana Medical Company", None, "lana")]
BANKS = [(1, ANB, "Arab National Bank", "ANB"), (2, "Riyad Bank", "Riyad Bank", "RIBL")]


def write_legacy(path: Path, variant: str = "latest", rows=None, sessions=None) -> Path:
    """A legacy SQLite database of one schema variant holding `rows` (default: ROWS)."""
    rows = ROWS if rows is None else rows
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE import_sessions (id INTEGER PRIMARY KEY AUTOINCREMENT, session_type TEXT NOT NULL, "
        "record_count INTEGER DEFAULT 0, created_at TEXT DEFAULT CURRENT_TIMESTAMP)"
    )
    con.executemany(
        "INSERT INTO import_sessions (id, session_type, created_at) VALUES (?, ?, ?)",
        SESSIONS if sessions is None else sessions,
    )
    con.execute(f"CREATE TABLE imported_records ({VARIANTS[variant]})")
    columns = [row[1] for row in con.execute("pragma table_info(imported_records)")]
    for row in rows:
        if variant != "latest" and row.get("record_type") not in (None, "import"):
            continue  # without record_type every row is an import: keep this variant's rows plain
        if variant != "latest" and row["id"] in (None, 5) and row["guarantee_number"] != "ABC200":
            continue  # a primary key: no NULL or repeated ids
        values = {name: row.get(name) for name in columns if name in row}
        con.execute(
            f"INSERT INTO imported_records ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
            list(values.values()),
        )
    if variant != "minimal":
        con.execute(
            "CREATE TABLE suppliers (id INTEGER PRIMARY KEY AUTOINCREMENT, official_name TEXT NOT NULL, "
            "display_name TEXT, normalized_name TEXT NOT NULL, is_confirmed INTEGER DEFAULT 0, created_at TEXT, "
            "updated_at TEXT, supplier_normalized_key TEXT)"
        )
        con.executemany("INSERT INTO suppliers (id, official_name, display_name, normalized_name) VALUES (?, ?, ?, ?)",
                        SUPPLIERS)  # fmt: skip
        con.execute(
            "CREATE TABLE banks (id INTEGER PRIMARY KEY AUTOINCREMENT, official_name TEXT NOT NULL, "
            "official_name_en TEXT, normalized_key TEXT, short_code TEXT, is_confirmed INTEGER DEFAULT 0, "
            "created_at TEXT, updated_at TEXT, official_name_ar TEXT, address_line_1 TEXT, address_line_2 TEXT, "
            "contact_email TEXT, department TEXT)"
        )
        con.executemany(
            "INSERT INTO banks (id, official_name, official_name_en, short_code) VALUES (?, ?, ?, ?)", BANKS
        )
        con.execute("CREATE TABLE learning_log (id INTEGER PRIMARY KEY, raw_input TEXT)")
    con.commit()
    con.close()
    return path


def many_rows(count: int, numbers: int) -> tuple[list, list]:
    """A bigger legacy database: `count` rows over `numbers` guarantee numbers, some actions, in many sessions."""
    sessions, rows = [], []
    for index in range(count):
        session = index // 25 + 1
        day = f"2025-{1 + session // 28 % 12:02d}-{1 + session % 28:02d}"
        if index % 25 == 0:
            kind = ("excel", "manual", "smart_paste", "excel", "release_action")[session % 5]
            sessions.append((session, kind, f"{day} 08:00:00"))
        number = f"BG{(index * 7) % numbers:05d}"
        record_type = ("release_action", "extension_action")[index % 2] if session % 5 == 4 else "import"
        rows.append(
            _row(index + 1, session, number if index % 97 else f" {number.lower()}", f"{day} 08:{index % 60:02d}:00",
                 raw_supplier_name=(GULF, "Lana Medical Company", "")[index % 3], raw_bank_name=ANB,
                 amount=("" if index % 11 == 0 else f"{1000 + index % 13:,}.00"),
                 expiry_date=f"202{6 + index % 3}-0{1 + index % 9}-1{index % 10}",
                 match_status=("ready", "needs_review", None)[index % 3], supplier_id=1 + index % 3,
                 record_type=record_type)
        )  # fmt: skip
    return sessions, rows


@pytest.fixture
def legacy_file(tmp_path):
    """Write a synthetic legacy database: legacy_file(variant="latest", rows=None, sessions=None) → path."""
    counter = iter(range(1000))

    def make(variant: str = "latest", rows=None, sessions=None) -> Path:
        return write_legacy(tmp_path / f"legacy-{variant}-{next(counter)}.sqlite", variant, rows, sessions)

    return make


@pytest.fixture
def cli(app):
    """Run `flask legacy ...` in this app: cli("migrate", "--json") → (exit code, output, parsed JSON or None)."""
    runner = app.test_cli_runner()

    def run(*args: str):
        from guarantees.extensions import db

        db.session.remove()  # the command works on its own connections; release the test's
        result = runner.invoke(args=["legacy", *args])
        text = result.output
        data = None
        if "--json" in args and "{" in text:
            data = json.loads(text[text.index("{") :])
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, text, data

    return run


def load_check():
    """The acceptance check's own module (its independent figures), or a skip."""
    if not CHECK.exists():
        pytest.skip("../shared/checks/legacy_contract.py is absent beside the project")
    spec = importlib.util.spec_from_file_location("legacy_contract", CHECK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def snapshot(url: str) -> dict:
    """Everything the migration wrote, by natural keys (numbers, legacy ids), never by surrogate ids."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:

            def rows(sql):
                return [dict(r._mapping) for r in conn.execute(sa.text(sql))]

            batches = {
                b["id"]: (b["batch_type"], b["legacy_session_id"], str(b["batch_date"]), b["description"])
                for b in rows("SELECT * FROM import_batches")
            }
            numbers = {g["id"]: g["guarantee_number"] for g in rows("SELECT id, guarantee_number FROM guarantees")}
            sessions = {s["id"]: s["description"] for s in rows("SELECT id, description FROM action_sessions")}
            actions = {
                a["id"]: a["legacy_record_id"] for a in rows("SELECT id, legacy_record_id FROM guarantee_actions")
            }

            def plain(record, drop=("id",)):
                out = {}
                for key, value in record.items():
                    if key in drop:
                        continue
                    if key == "import_batch_id" or key == "batch_id":
                        value = batches.get(value)
                    elif key in ("guarantee_id", "migrated_guarantee_id"):
                        value = numbers.get(value)
                    elif key == "action_session_id":
                        value = sessions.get(value)
                    elif key == "migrated_action_id":
                        value = actions.get(value)
                    elif key in ("changes", "raw") and isinstance(value, str):
                        value = json.loads(value)
                    out[key] = str(value) if value is not None and not isinstance(value, int | dict | list) else value
                return out

            return {
                "guarantees": {g["guarantee_number"]: plain(g) for g in rows("SELECT * FROM guarantees")},
                "items": {i["legacy_record_id"]: plain(i) for i in rows("SELECT * FROM import_batch_items")},
                "actions": {a["legacy_record_id"]: plain(a) for a in rows("SELECT * FROM guarantee_actions")},
                # (repr: a batch of session-less rows holds None beside the others' text)
                "batches": sorted(
                    (tuple(sorted(plain(b).items())) for b in rows("SELECT * FROM import_batches")), key=repr
                ),
                "sessions": sorted(
                    (
                        tuple(sorted(plain(s, drop=("id", "locked_at")).items()))
                        for s in rows("SELECT * FROM action_sessions")
                    ),
                    key=repr,
                ),
                "links": {
                    r["id"]: plain(r, drop=())
                    for r in rows(
                        "SELECT id, migrated_guarantee_id, migrated_action_id, import_batch_id FROM imported_records"
                    )
                },
            }
    finally:
        engine.dispose()


def schema(url: str) -> dict:
    """Every index, constraint and trigger of the database by name, with its definition."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                queries = (
                    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()",
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE connamespace = current_schema()::regnamespace",
                    "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal",
                )
            else:
                queries = ("SELECT type || ' ' || name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'",)
            return {name: definition for query in queries for name, definition in conn.exec_driver_sql(query)}
    finally:
        engine.dispose()


def count(url: str, table: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text(f"SELECT count(*) FROM {table}"))
    finally:
        engine.dispose()
