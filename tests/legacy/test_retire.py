"""`flask legacy retire` on a copy of the real legacy database, loaded and migrated: refused while verify fails
or new rows lack their legacy counterpart; then dual-write off in the database, for good, with who and when."""

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Guarantee, ImportBatch, Setting
from guarantees.models.legacy import ImportedRecord
from guarantees.services.dualwrite import dual_write_on
from tests.conftest import shared_fixture
from tests.legacy.conftest import count
from tests.migrations.test_triggers import refused
from tests.web.conftest import Client

pytestmark = pytest.mark.usefixtures("before_expiry")


@pytest.fixture
def migrated(app, cli):
    legacy = shared_fixture("legacy", "bgl-2025-12-17.sqlite")
    assert cli("load", str(legacy))[0] == 0
    assert cli("migrate")[0] == 0
    return legacy


def setting_row():
    db.session.remove()
    return db.session.execute(sa.select(Setting.value, Setting.updated_by).where(Setting.key == "dual_write")).first()


def test_retire_refuses_while_verify_fails_then_retires_once(app, cli, migrated, database):
    first = db.session.scalar(sa.select(sa.func.min(ImportedRecord.id)))
    db.session.execute(sa.update(ImportedRecord).where(ImportedRecord.id == first).values(migrated_guarantee_id=None))
    db.session.commit()
    code, output, report = cli("retire", "--json")
    assert code == 1 and report["ok"] is False and report["verify"]["ok"] is False
    assert "`flask legacy verify` fails" in report["error"] and "not linked to a guarantee" in report["error"]
    code, output, _ = cli("retire")
    assert code == 1 and "Refusing to retire" in output and "dual-write stays on" in output
    assert setting_row() is None and dual_write_on(db.session)

    assert cli("migrate")[0] == 0  # restores the link from the batch item that still names the row
    code, output, report = cli("retire", "--dry-run", "--json")
    assert code == 0 and report["ok"] and report["dry_run"] and report["missing"] == {}
    assert setting_row() is None  # a dry run changes nothing

    code, output, _ = cli("retire", "--user", "treasury-admin")
    assert code == 0 and "Retired: dual-write is off" in output and "treasury-admin" in output, output
    assert tuple(setting_row()) == ("off", "treasury-admin") and not dual_write_on(db.session)
    code, output, report = cli("retire", "--json")
    assert code == 0 and report["already_retired"] and report["retired_by"] == "treasury-admin"
    code, output, _ = cli("retire")
    assert code == 0 and "Already retired on" in output
    code, output, _ = cli("verify")
    assert code == 0 and "Dual-write off: retired on" in output


def test_retire_and_archive_refuse_on_a_register_whose_legacy_database_was_never_loaded(app, cli, tmp_path):
    code, output, report = cli("retire", "--json")
    assert code == 1 and report["ok"] is False and "hold no rows" in report["error"]
    assert setting_row() is None and dual_write_on(db.session)
    archive = tmp_path / "legacy.sqlite"
    code, output, _ = cli("archive", "--to", str(archive))
    assert code == 1 and not archive.exists()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportedRecord)) == 0  # the table is still there


def test_retire_refuses_when_new_rows_lack_their_legacy_rows(app, cli, migrated, make_guarantee):
    app.config["DUAL_WRITE"] = False
    make_guarantee("NO-LEGACY-1")
    db.session.remove()
    code, output, report = cli("retire", "--json")
    assert code == 1 and report["verify"]["ok"]  # verify reads from the legacy side: this it cannot see
    assert {kind: entry["count"] for kind, entry in report["missing"].items()} == {
        "batches": 1, "batch items": 1, "guarantees": 1,
    }  # fmt: skip
    assert "1 guarantees (e.g. NO-LEGACY-1)" in report["error"]
    assert setting_row() is None


def test_once_retired_nothing_writes_the_legacy_tables_and_it_stays_off(app, cli, migrated, database, make_guarantee):
    legacy_before = count(database, "imported_records")
    assert cli("retire")[0] == 0
    assert app.config["DUAL_WRITE"] is True  # the environment's default says on; the database says off
    guarantee = make_guarantee("AFTER-RETIRE")
    batch = db.session.get(ImportBatch, db.session.get(Guarantee, guarantee.id).import_batch_id)
    assert batch.legacy_session_id is None  # today's manual batch: no legacy session opened for it
    assert count(database, "imported_records") == legacy_before
    # plain SQL cannot turn it back on, or remove it (triggers, both databases)
    assert refused("UPDATE settings SET value = 'on' WHERE key = 'dual_write'")
    assert refused("DELETE FROM settings WHERE key = 'dual_write'")
    if db.engine.dialect.name == "sqlite":
        replace = "INSERT OR REPLACE INTO settings (key, value, updated_at) VALUES ('dual_write', 'on', '2026-01-01')"
        assert refused(replace)
    assert tuple(setting_row())[0] == "off"


def test_the_settings_page_shows_dual_write_read_only(app, cli, migrated, make_user):
    admin = Client(app.test_client(), make_user("settings-admin", "admin")).sign_in()
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert "Dual-write: on." in page and 'id="dual-write"' in page
    section = page[page.index('id="dual-write"') : page.index("</section>", page.index('id="dual-write"'))]
    assert "<form" not in section and "<input" not in section  # shown, not changed here
    db.session.remove()
    assert cli("retire", "--user", "treasury-admin")[0] == 0
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert "Dual-write: off, retired on" in page and "treasury-admin" in page
