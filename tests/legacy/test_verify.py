"""`flask legacy verify`: ok after a migration and after app activity; non-zero on anything unexplained."""

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Guarantee
from guarantees.models.legacy import ImportedRecord
from guarantees.services import actions, guarantees

# The guarantees these tests extend expire on 2026-06-01: the register's day is fixed before that.
pytestmark = pytest.mark.usefixtures("before_expiry")


def test_verify_after_migrate_reports_counts_and_unmigrated_rows(app, cli, legacy_file):
    assert cli("load", str(legacy_file()))[0] == 0
    assert cli("migrate")[0] == 0
    code, output, report = cli("verify", "--json")
    assert code == 0, output
    assert report["ok"] is True and report["problems"] == []
    counts = report["counts"]
    assert {k: counts[k] for k in ("legacy_rows", "guarantees", "guarantee_actions", "import_batches")} == {
        "legacy_rows": 19, "guarantees": 9, "guarantee_actions": 4, "import_batches": 4,
    }  # fmt: skip
    assert (counts["action_sessions"], counts["unmigrated_rows"], counts["empty_legacy_sessions"]) == (2, 3, 1)
    assert report["unmigrated"] == [
        {"id": 3, "reason": "no guarantee number"},
        {"id": 14, "reason": "record type 'renewal_request' has no counterpart in the new model"},
        {"id": 15, "reason": "no guarantee number"},
    ]
    code, output, _ = cli("verify")
    assert code == 0 and "Verified: OK" in output and "unmigrated row 14" in output


def test_verify_fails_before_migrate_and_after_a_link_is_deleted(app, cli, legacy_file):
    assert cli("load", str(legacy_file()))[0] == 0
    code, _, report = cli("verify", "--json")
    assert code == 1 and not report["ok"]
    assert "12 migratable import rows are not linked to a guarantee" in report["problems"][0]
    assert cli("migrate")[0] == 0
    assert cli("verify")[0] == 0
    db.session.execute(sa.update(ImportedRecord).where(ImportedRecord.id == 4).values(migrated_guarantee_id=None))
    db.session.commit()
    code, output, report = cli("verify", "--json")
    assert code == 1 and report["ok"] is False
    assert "1 migratable import rows are not linked to a guarantee (e.g. 4)" in report["problems"]
    assert any("batch items whose legacy row does not point back" in problem for problem in report["problems"])
    code, output, _ = cli("verify")
    assert code == 1 and "Verify FAILED" in output
    # migrate repairs a lost link from the item that still names the row, creating nothing new
    code, _, summary = cli("migrate", "--json")
    assert code == 0 and summary["relinked"] == 1 and summary["guarantees_created"] == 0
    assert cli("verify")[0] == 0


def test_verify_catches_a_link_to_nothing_and_a_lost_action_link(app, cli, legacy_file):
    assert cli("load", str(legacy_file()))[0] == 0
    assert cli("migrate")[0] == 0
    db.session.execute(sa.update(ImportedRecord).where(ImportedRecord.id == 2).values(import_batch_id=999_999))
    db.session.execute(sa.update(ImportedRecord).where(ImportedRecord.id == 12).values(migrated_action_id=None))
    db.session.commit()
    code, _, report = cli("verify", "--json")
    assert code == 1
    problems = " | ".join(report["problems"])
    assert "link to a batch that does not exist (e.g. 2)" in problems
    assert "action rows are not linked to an action (e.g. 12)" in problems


def test_a_register_used_through_the_services_verifies(app, cli, make_guarantee):
    first = make_guarantee("SVC-1")
    second = make_guarantee("SVC-2")
    third = make_guarantee("SVC-3", amount="1000.00")
    guarantees.update(first.id, {"comment": "checked", "amount": "26000"}, expected_version=1, user="clerk")
    actions.extend(second.id, user="clerk")
    actions.release(second.id, user="clerk")
    actions.reduce(third.id, "500.00", user="clerk")
    session = actions.start_session([first.id], "extension", user="clerk")
    actions.issue_session(session.id, user="boss")
    code, output, report = cli("verify", "--json")
    assert code == 0, output
    assert report["ok"] and report["counts"]["guarantees"] == 3 and report["counts"]["guarantee_actions"] == 4
    assert report["counts"]["unmigrated_rows"] == 0
    # and migrate finds nothing to do: the app linked its own legacy rows
    code, output, summary = cli("migrate", "--json")
    assert code == 0 and summary["nothing_to_do"] and summary["already_linked"] == report["counts"]["legacy_rows"]


def test_services_on_a_migrated_register_keep_it_verified(app, cli, legacy_file):
    assert cli("load", str(legacy_file()))[0] == 0
    assert cli("migrate")[0] == 0
    manual = db.session.scalar(sa.select(Guarantee).where(Guarantee.guarantee_number == "M-1"))
    guarantees.update(manual.id, {"comment": "edited after migration"}, expected_version=manual.version, user="c")
    actions.extend(manual.id, new_expiry="2027-01-01", user="clerk")
    guarantees.create(
        {"guarantee_number": "NEW-9", "raw_supplier_name": "New Co", "raw_bank_name": "SNB", "amount": "10"},
        user="clerk",
    )
    code, output, report = cli("verify", "--json")
    assert code == 0, output
    assert report["counts"]["guarantees"] == 10 and report["counts"]["legacy_rows"] == 22
    code, _, summary = cli("migrate", "--json")
    assert code == 0 and summary["nothing_to_do"]


def test_verify_reports_missing_schema(app, cli):
    cascade = " CASCADE" if db.engine.dialect.name == "postgresql" else ""  # other tables name it
    db.session.execute(sa.text(f"DROP TABLE letter_prints{cascade}"))
    db.session.commit()
    code, _, report = cli("verify", "--json")
    assert code == 1 and "table letter_prints is missing" in report["problems"]
