"""`flask legacy archive --to FILE.sqlite` on a copy of the real legacy database, loaded and migrated: refused
before retiring and over an existing file; then the file, reopened, holds every legacy row and column as the
register held them, in the legacy schema; the legacy tables are gone; the history, verify, rollback, the adapter
and the pages answer sensibly afterwards."""

import sqlite3

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade

from guarantees.extensions import db
from guarantees.legacy.archive import LEGACY_SCHEMA, columns
from guarantees.models import Guarantee, LegacyArchiveRecord
from guarantees.models.legacy import LEGACY_RECORD_COLUMNS
from guarantees.repositories import history
from guarantees.repositories.history import legacy as history_legacy
from tests.conftest import shared_fixture
from tests.legacy.test_rollback import tables
from tests.web.conftest import Client

pytestmark = pytest.mark.usefixtures("before_expiry")


@pytest.fixture
def migrated(app, cli):
    """The real legacy database loaded and migrated into the test's register."""
    legacy = shared_fixture("legacy", "bgl-2025-12-17.sqlite")
    assert cli("load", str(legacy))[0] == 0
    assert cli("migrate")[0] == 0
    return legacy


def legacy_rows(url: str) -> dict[str, list[tuple]]:
    """Every legacy table's rows (its legacy-schema columns), in id order, read with plain SQL."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table: [
                    tuple(row)
                    for row in conn.exec_driver_sql(f"SELECT {', '.join(columns(table))} FROM {table} ORDER BY id")
                ]
                for table in LEGACY_SCHEMA
            }
    finally:
        engine.dispose()


def page_of(guarantee_id: int) -> dict:
    """What the history shows of a guarantee: its timeline and its legacy rows."""
    guarantee = db.session.get(Guarantee, guarantee_id)
    return {
        "timeline": [(e.kind, e.source, e.at, e.title, e.changes) for e in history.timeline(guarantee)],
        "legacy": history.legacy_rows(guarantee),
        "count": history.legacy_summary(guarantee)[0],
    }


def test_archive_writes_every_row_then_drops_the_legacy_tables(app, cli, migrated, database, tmp_path, make_user):
    admin = Client(app.test_client(), make_user("archivist", "admin")).sign_in()
    # a guarantee of the register with an untold legacy row (unlinked, same number): the history shows it
    number = db.session.scalar(sa.select(Guarantee.guarantee_number).order_by(Guarantee.id).limit(1))
    guarantee_id = db.session.scalar(sa.select(Guarantee.id).where(Guarantee.guarantee_number == number))
    db.session.execute(
        sa.text(
            "INSERT INTO imported_records (id, session_id, guarantee_number, raw_supplier_name, created_at, "
            "record_type, comment) VALUES (900001, NULL, :number, 'Untold Co', '2025-12-18 10:00:00', "
            "'renewal_request', 'kept by the archive')"
        ),
        {"number": number.lower()},
    )
    db.session.commit()
    before_history = page_of(guarantee_id)
    assert any(row["id"] == 900001 and not row["has_counterpart"] for row in before_history["legacy"])
    assert ("legacy", "legacy") in {entry[:2] for entry in before_history["timeline"]}
    before = legacy_rows(database)
    assert len(before["imported_records"]) == 4011 and len(before["import_sessions"]) == 185
    target = tmp_path / "legacy-archive.sqlite"
    db.session.remove()

    # refused before retiring: nothing written, nothing dropped
    code, output, report = cli("archive", "--to", str(target), "--json")
    assert code == 1 and "are not retired" in report["error"] and not target.exists()
    assert cli("retire", "--user", "treasury-admin")[0] == 0
    # refused over an existing file, which stays as it was
    existing = tmp_path / "existing.sqlite"
    existing.write_bytes(b"not to be overwritten")
    code, output, _ = cli("archive", "--to", str(existing))
    assert code == 1 and "exists already" in output and existing.read_bytes() == b"not to be overwritten"
    # a dry run counts and writes nothing
    code, output, report = cli("archive", "--to", str(target), "--dry-run", "--json")
    assert code == 0 and report["counts"]["imported_records"] == 4011 and report["dropped"] == []
    assert not target.exists() and "imported_records" in tables(database)

    code, output, report = cli("archive", "--to", str(target), "--json", "--user", "treasury-admin")
    assert code == 0, output
    assert report["counts"] == {"import_sessions": 185, "imported_records": 4011, "suppliers": 145, "banks": 37}
    assert report["dropped"] == ["imported_records", "import_sessions"]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []

    # the file, reopened: the legacy schema without transition columns, every row and column equal
    archive = sqlite3.connect(target)
    try:
        record_columns = [row[1] for row in archive.execute("PRAGMA table_info(imported_records)")]
        assert record_columns == list(LEGACY_RECORD_COLUMNS)
        assert "migrated_guarantee_id" not in record_columns
        for table, rows in before.items():
            found = archive.execute(f"SELECT {', '.join(columns(table))} FROM {table} ORDER BY id").fetchall()
            assert found == rows, table
        # the old application inserts without ids: AUTOINCREMENT carries on after the highest
        archive.execute("INSERT INTO import_sessions (session_type) VALUES ('excel')")
        assert archive.execute("SELECT max(id) FROM import_sessions").fetchone()[0] > before["import_sessions"][-1][0]
    finally:
        archive.close()

    # the register: the legacy tables gone, the dictionaries kept, the archived rows kept
    left = tables(database)
    assert {"imported_records", "import_sessions"}.isdisjoint(left) and {"suppliers", "banks"} <= left
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LegacyArchiveRecord)) == 4011

    # the history shows the same timeline and the same legacy rows, read from the register's copy
    history_legacy._ARCHIVED.clear()  # as a process started before the archive: it finds out by itself
    assert page_of(guarantee_id) == before_history
    page = admin.get(f"/guarantees/{guarantee_id}?view=legacy").get_data(as_text=True)
    assert "The legacy tables were archived on" in page and "legacy-archive.sqlite" in page
    assert "kept by the archive" in page
    db.session.remove()

    # verify says so and passes; rollback, load and migrate refuse; the downgrade refuses too
    code, output, _ = cli("verify")
    assert code == 0 and "Legacy tables archived on" in output and "by treasury-admin" in output, output
    code, output, _ = cli("rollback", "--yes")
    assert code == 1 and "nothing to roll back to" in output
    assert cli("migrate")[0] == 1 and cli("load", str(migrated))[0] == 1
    code, output, report = cli("archive", "--to", str(tmp_path / "again.sqlite"), "--json")
    assert code == 1 and "already archived" in report["error"]
    code, output, report = cli("retire", "--json")
    assert code == 0 and report["already_retired"]
    with pytest.raises(SystemExit):  # (Flask-Migrate logs the revision's refusal, then exits)
        downgrade(revision="0019_reports_views")
    db.engine.dispose()
    assert "legacy_archive_records" in tables(database)

    # the register keeps working without the legacy tables: a new guarantee, no legacy write attempted
    from guarantees.services import guarantees as service

    created = service.create(
        {"guarantee_number": "AFTER-ARCHIVE-1", "raw_supplier_name": "Lana Medical Company",
         "raw_bank_name": "Riyad Bank", "amount": "100.00", "expiry_date": "2026-06-01"},
        user="clerk",
    )  # fmt: skip
    assert created.id and db.session.get(Guarantee, created.id).guarantee_number == "AFTER-ARCHIVE-1"
    settings = admin.get("/admin/settings").get_data(as_text=True)
    assert "Dual-write: off, retired on" in settings and "treasury-admin" in settings
    assert "archived on" in settings


def test_archive_is_refused_without_a_folder_and_changes_nothing(app, cli, migrated, database, tmp_path):
    assert cli("retire")[0] == 0
    code, output, _ = cli("archive", "--to", str(tmp_path / "missing" / "archive.sqlite"))
    assert code == 1 and "does not exist" in output
    assert "imported_records" in tables(database)
