"""`flask legacy migrate`: the mapping of DESIGN §4 on a synthetic legacy database, idempotence, dry run, merge."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from guarantees.domain.text import normalise_number
from guarantees.extensions import db
from guarantees.legacy.load import load
from guarantees.legacy.migrate import migrate
from guarantees.models import ActionSession, Guarantee, GuaranteeAction, ImportBatch, ImportBatchItem
from guarantees.models.legacy import ImportedRecord
from tests.legacy.conftest import count, load_check, schema, snapshot


@pytest.fixture
def migrated(app, cli, legacy_file, database):
    """The synthetic legacy database loaded and migrated; the migrate summary."""
    assert cli("load", str(legacy_file()))[0] == 0
    code, output, summary = cli("migrate", "--json")
    assert code == 0, output
    return summary


def guarantee(number: str) -> Guarantee:
    return db.session.scalar(sa.select(Guarantee).where(Guarantee.guarantee_number == number))


def test_summary_counts_every_row(migrated):
    assert migrated["legacy_rows"] == 19
    assert (migrated["import_rows"], migrated["action_rows"], migrated["unmigrated_rows"]) == (12, 4, 3)
    assert migrated["unmigrated"] == {
        "no guarantee number": 2,
        "record type 'renewal_request' has no counterpart in the new model": 1,
    }
    assert migrated["batches_created"] == {"excel_import": 2, "manual_batch": 1, "text_paste": 1}
    assert migrated["guarantees_created"] == 9 and migrated["guarantees_merged"] == 0
    assert migrated["items"] == {"created": 8, "updated": 2, "unchanged": 2}
    assert migrated["actions"] == {"release": 2, "extension": 2}
    assert migrated["action_sessions_created"] == 2 and migrated["links"] == 16


def test_sessions_become_batches_per_file_and_per_day(migrated):
    batches = db.session.scalars(sa.select(ImportBatch).order_by(ImportBatch.id)).all()
    kinds = sorted((b.batch_type, b.legacy_session_id, str(b.batch_date), b.total_records) for b in batches)
    assert kinds == [
        ("excel_import", 1, "2025-01-10", 3),
        ("excel_import", 2, "2025-01-11", 5),
        ("manual_batch", None, "2025-01-12", 2),  # two manual sessions, one day
        ("text_paste", None, "2025-01-12", 2),  # smart_paste and paste, one day
    ]
    assert {b.origin for b in batches} == {"legacy"}
    by_session = {b.legacy_session_id: b for b in batches}
    assert by_session[2].filename == "list-january.xlsx" and by_session[1].filename is None
    assert by_session[1].ready_records == 1
    # Sessions 7 (empty), 10 (only a renewal request) and 11 (only a row without number) make no batch.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 4


def test_each_field_takes_its_latest_non_empty_value(migrated):
    jlg = guarantee("JLG6900350")
    assert jlg.raw_supplier_name == "شركة الخليج الطبية المحدودة"  # a blank cell did not erase it
    assert jlg.amount == Decimal("1234.50")  # '1,234.50'; the later ' ' is blank
    assert jlg.expiry_date == date(2025, 12, 31) and jlg.issue_date == date(2024, 6, 1)
    assert (jlg.type, jlg.contract_number, jlg.related_to, jlg.supplier_id, jlg.bank_id) == (
        "FINAL", "C/0016/40", "contract", 1, 1,
    )  # fmt: skip
    # its latest legacy status says needs_review, but it is matched to a supplier and a bank: nothing is left to
    # review, and a review page could not show it (domain.fields.match_status)
    assert jlg.match_status == "ready"
    abc = guarantee("ABC200")
    assert (abc.raw_supplier_name, abc.po_number, abc.contract_number, abc.related_to) == (
        "Lana Medical Company", "421378", None, "purchase_order",
    )  # fmt: skip
    assert abc.amount == Decimal("25200.00") and abc.expiry_date == date(2025, 7, 1)
    xyz = guarantee("XYZ300")  # rows with no id and a repeated id, renumbered in file order
    assert xyz.amount == Decimal("10.00") and xyz.expiry_date == date(2026, 1, 1)
    late = guarantee("N-1")  # the row without created_at comes first; blanks after it erase nothing
    assert late.amount == Decimal("9.00") and late.expiry_date == date(2025, 9, 9)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Guarantee)) == 9


def test_status_and_locks(migrated):
    jlg, abc, only = guarantee("JLG6900350"), guarantee("ABC200"), guarantee("ACT-ONLY")
    assert jlg.status == "released" and jlg.is_locked and "release" in jlg.lock_reason
    assert abc.status == "active" and abc.is_locked and "extension" in abc.lock_reason
    assert only.is_locked and only.status == "active"
    assert (only.amount, only.expiry_date, only.import_type, only.import_batch_id) == (
        Decimal("700.00"), date(2026, 2, 2), "action", None,
    )  # fmt: skip
    ready_only = guarantee("M-1")
    assert not ready_only.is_locked and ready_only.lock_reason is None
    assert {
        g.guarantee_number for g in db.session.scalars(sa.select(Guarantee).where(Guarantee.status == "released"))
    } == {"JLG6900350"}


def test_items_record_the_changes_each_row_brought(migrated):
    items = {i.legacy_record_id: i for i in db.session.scalars(sa.select(ImportBatchItem).order_by(ImportBatchItem.id))}
    assert set(items) == {1, 2, 4, 5, 6, 7, 8, 9, 16, 17, 18, 19}
    assert items[1].outcome == "created" and items[1].changes["amount"] == [None, "1234.50"]
    assert items[4].outcome == "updated"
    assert items[4].changes == {"expiry_date": ["2025-06-01", "2025-12-31"], "match_status": ["ready", "needs_review"]}
    assert items[5].outcome == "unchanged" and items[5].changes == {}
    assert (items[18].outcome, items[19].outcome, items[19].changes) == (
        "created", "updated", {"amount": ["100.00", "10.00"]},
    )  # fmt: skip
    # The raw row of a migrated item is its legacy row, named rather than copied (that row is frozen).
    assert {item.raw for item in items.values()} == {None}
    legacy = db.session.get(ImportedRecord, items[4].legacy_record_id)
    assert (legacy.guarantee_number, legacy.amount) == ("JLG6900350", " ")
    assert [items[i].row_number for i in (4, 5, 17, 18, 19)] == [1, 2, 3, 4, 5]


def test_actions_are_issued_locked_and_grouped_per_day(migrated):
    actions = {a.legacy_record_id: a for a in db.session.scalars(sa.select(GuaranteeAction))}
    assert set(actions) == {10, 11, 12, 13}
    assert {(a.action_status, a.is_locked, a.origin) for a in actions.values()} == {("issued", True, "legacy")}
    assert [actions[i].action_type for i in (10, 11, 12, 13)] == ["release", "release", "extension", "extension"]
    extension = actions[12]
    assert (extension.previous_expiry_date, extension.new_expiry_date, extension.notes) == (
        date(2025, 7, 1), date(2026, 7, 1), "للتمديد",
    )  # fmt: skip
    assert extension.guarantee_number == "ABC200" and extension.action_date == date(2025, 1, 14)
    sessions = db.session.scalars(sa.select(ActionSession).order_by(ActionSession.session_date)).all()
    assert [(s.session_date, s.total_actions, s.issued_actions, s.is_locked, s.origin) for s in sessions] == [
        (date(2025, 1, 14), 3, 3, True, "legacy"),
        (date(2025, 1, 15), 1, 1, True, "legacy"),
    ]
    assert actions[13].action_session_id == sessions[1].id


def test_every_migrated_row_is_linked_back(migrated):
    records = {r.id: r for r in db.session.scalars(sa.select(ImportedRecord))}
    for record_id in (1, 2, 4, 5, 6, 7, 8, 9, 16, 17, 18, 19):
        record = records[record_id]
        linked = db.session.get(Guarantee, record.migrated_guarantee_id)
        assert linked.guarantee_number == normalise_number(record.guarantee_number)
        assert record.import_batch_id is not None and record.migrated_action_id is None
    for record_id in (10, 11, 12, 13):
        record = records[record_id]
        action = db.session.get(GuaranteeAction, record.migrated_action_id)
        assert action.legacy_record_id == record_id and action.guarantee_id == record.migrated_guarantee_id
    for record_id in (3, 14, 15):
        assert (records[record_id].migrated_guarantee_id, records[record_id].migrated_action_id) == (None, None)


def test_figures_match_the_acceptance_rules(migrated, legacy_file, database):
    check = load_check()
    expected = check.expected_figures(str(legacy_file()))
    for key, table in check.COUNTED.items():
        assert count(database, table) == expected[key], key
    assert migrated["unmigrated_rows"] == expected["unmigrated_rows"]
    for number, (amount, expiry) in expected["latest"].items():
        found = guarantee(number)
        assert check.dec(found.amount) == check.dec(amount), number
        assert str(found.expiry_date or "")[:10] == (expiry or "")[:10], number


def test_a_second_run_changes_nothing_and_says_so(migrated, cli, database):
    before = snapshot(database)
    code, output, _ = cli("migrate")
    assert code == 0
    assert "Nothing to migrate: all 16 migratable legacy rows are already linked." in output
    assert snapshot(database) == before


def test_dry_run_writes_nothing_and_predicts_the_run(app, cli, legacy_file, database):
    assert cli("load", str(legacy_file()))[0] == 0
    before = snapshot(database)
    code, _, predicted = cli("migrate", "--dry-run", "--json")
    assert code == 0 and predicted["dry_run"] is True
    assert snapshot(database) == before
    assert count(database, "guarantees") == 0 and count(database, "import_batches") == 0
    code, output, done = cli("migrate", "--dry-run")
    assert code == 0 and "Dry run, nothing written: would migrate 12 import rows and 4 action rows" in output
    _, _, done = cli("migrate", "--json")
    for key in (
        "import_rows", "action_rows", "batches_created", "guarantees_created", "items", "actions", "links", "chunks",
    ):  # fmt: skip
        assert predicted[key] == done[key], key


def test_migrated_issued_actions_refuse_plain_sql(migrated):
    action_id = db.session.scalar(sa.select(sa.func.min(GuaranteeAction.id)))
    for statement in (
        sa.update(GuaranteeAction).where(GuaranteeAction.id == action_id).values(notes="tampered"),
        sa.delete(GuaranteeAction).where(GuaranteeAction.id == action_id),
    ):
        with pytest.raises(sa.exc.DatabaseError):
            db.session.execute(statement)
        db.session.rollback()
    assert db.session.get(GuaranteeAction, action_id).notes != "tampered"


def test_legacy_rows_stay_frozen_after_migration(migrated):
    with pytest.raises(sa.exc.DatabaseError):
        db.session.execute(sa.update(ImportedRecord).where(ImportedRecord.id == 1).values(amount="0"))
    db.session.rollback()
    with pytest.raises(sa.exc.DatabaseError):
        db.session.execute(sa.delete(ImportedRecord).where(ImportedRecord.id == 3))
    db.session.rollback()


def test_a_guarantee_the_app_created_first_is_merged_not_duplicated(app, cli, legacy_file, database, make_guarantee):
    assert cli("load", str(legacy_file()))[0] == 0
    existing = make_guarantee("xyz 300", amount="55.00", expiry_date="", contract_number="")
    existing_id = existing.id
    code, output, summary = cli("migrate", "--json")
    assert code == 0, output
    assert summary["guarantees_created"] == 8 and summary["guarantees_merged"] == 1
    merged = guarantee("XYZ300")
    assert merged.id == existing_id and merged.amount == Decimal("55.00")  # the app's value stays
    assert merged.expiry_date == date(2026, 1, 1) and merged.version == 2  # a gap filled from legacy rows
    items = db.session.scalars(sa.select(ImportBatchItem).where(ImportBatchItem.guarantee_id == existing_id)).all()
    assert sorted(i.legacy_record_id for i in items) == [18, 19, 20]  # 20: the app's own dual-written row
    assert count(database, "guarantees") == 9
    code, output, report = cli("verify", "--json")
    assert code == 0 and report["ok"], output


def test_migrate_needs_the_upgraded_schema(backend, make_app, legacy_file):
    url = backend.fresh("0001_legacy")
    try:
        app = make_app(url)
        runner = app.test_cli_runner()
        loaded = runner.invoke(args=["legacy", "load", str(legacy_file())])
        assert loaded.exit_code == 0, loaded.output  # the legacy tables are all a load needs
        refused = runner.invoke(args=["legacy", "migrate"])
        assert refused.exit_code == 1 and "run `flask db upgrade` first" in refused.output
    finally:
        with app.app_context():
            db.engine.dispose()
        backend.drop(url)


def test_small_chunks_give_the_same_result_as_one(backend, cli, legacy_file, database):
    """Chunks hold whole numbers: cut small, the run writes exactly what one chunk writes, and leaves the schema
    (indexes, triggers) as it found it."""
    legacy = legacy_file()
    assert cli("load", str(legacy))[0] == 0
    before = schema(database)
    code, output, summary = cli("migrate", "--json", "--chunk-rows", "2")
    assert code == 0, output
    assert summary["chunks"] > 5 and summary["links"] == 16
    assert schema(database) == before
    whole = backend.fresh()
    try:
        engine = sa.create_engine(whole)
        load(engine, legacy)
        assert migrate(engine).chunks == 1
        engine.dispose()
        assert snapshot(database) == snapshot(whole)
    finally:
        backend.drop(whole)
