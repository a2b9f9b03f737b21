"""`flask legacy rollback --yes` refuses, changing nothing, when the new tables hold rows the legacy tables lack.

Before, with dual-write off, a guarantee entered afterwards vanished on rollback and the command said "Every legacy
row is still there and unchanged" (exit 0): it was only checking the legacy rows.
"""

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.legacy.rollback import checksums
from guarantees.services import actions
from guarantees.services import guarantees as service
from tests.legacy.conftest import count
from tests.legacy.test_rollback import tables

pytestmark = pytest.mark.usefixtures("before_expiry")


def revision(url: str) -> str:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
    finally:
        engine.dispose()


def test_a_guarantee_entered_with_dual_write_off_stops_the_rollback(app, cli, legacy_file, database, make_guarantee):
    assert cli("load", str(legacy_file()))[0] == 0
    assert cli("migrate")[0] == 0
    app.config["DUAL_WRITE"] = False  # the environment's switch, as a new user would set it
    make_guarantee("AFTER-OFF-1")
    db.session.remove()
    head, before = revision(database), checksums(db.engine)

    code, output, report = cli("rollback", "--yes", "--json")
    assert code == 1 and report["ok"] is False
    assert {kind: entry["count"] for kind, entry in report["missing"].items()} == {
        "batches": 1, "batch items": 1, "guarantees": 1,
    }  # fmt: skip
    assert report["missing"]["guarantees"]["examples"] == ["AFTER-OFF-1"]
    assert "3 rows the legacy tables lack" in report["error"] and "Every legacy row" not in output

    code, output, _ = cli("rollback", "--yes")
    assert code == 1
    assert "1 guarantees (e.g. AFTER-OFF-1)" in output and "Nothing was changed" in output
    assert "Every legacy row is still there" not in output
    # nothing changed: same revision, the new tables and the guarantee still there, the legacy rows as they were
    assert revision(database) == head and "guarantees" in tables(database)
    assert count(database, "guarantees") == 10 and checksums(db.engine) == before


def test_after_retire_actions_and_edits_are_named_too(app, cli, legacy_file, database, make_guarantee):
    assert cli("load", str(legacy_file()))[0] == 0
    assert cli("migrate")[0] == 0
    kept = make_guarantee("BEFORE-RETIRE").id  # dual-written: the rollback keeps it through its legacy row
    db.session.remove()
    assert cli("retire", "--user", "treasury-admin")[0] == 0
    extended = actions.extend(kept, "2026-12-31", user="clerk")
    assert extended.legacy_record_id is None  # dual-write is off: the database's setting, not the environment's
    service.update(kept, {"comment": "after retire"}, expected_version=2, user="clerk")
    db.session.remove()

    code, _, report = cli("rollback", "--yes", "--json")
    assert code == 1
    assert {kind: entry["count"] for kind, entry in report["missing"].items()} == {"issued actions": 1, "edits": 1}
    assert "guarantees" in tables(database)


def test_with_nothing_missing_the_rollback_still_runs(app, cli, legacy_file, database, make_guarantee):
    assert cli("load", str(legacy_file()))[0] == 0
    assert cli("migrate")[0] == 0
    make_guarantee("DUAL-WRITTEN")
    db.session.remove()
    assert cli("retire")[0] == 0  # retired, but nothing written since: nothing to lose
    code, output, _ = cli("rollback", "--yes")
    assert code == 0 and "Every legacy row is still there and unchanged." in output
