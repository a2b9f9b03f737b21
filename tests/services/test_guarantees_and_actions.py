"""Services: manual entry into the daily batch, edits, actions and sessions, with dual-write."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from guarantees.clock import today
from guarantees.extensions import db
from guarantees.models import Guarantee, GuaranteeAction, GuaranteeEdit, ImportBatch, ImportBatchItem
from guarantees.models.legacy import ImportedRecord, ImportSession
from guarantees.services import actions, guarantees
from guarantees.services.errors import Conflict, DuplicateNumber, LockedField, RuleViolation, ValidationFailed

# The guarantees these tests extend expire on 2026-06-01: the register's day is fixed before that.
pytestmark = pytest.mark.usefixtures("before_expiry")


def count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_two_manual_entries_on_the_same_day_share_one_batch(make_guarantee):
    first = make_guarantee("jlg6900350 ")
    second = make_guarantee("JLG 6900351")
    assert first.guarantee_number == "JLG6900350"
    assert second.guarantee_number == "JLG6900351"
    assert first.import_batch_id == second.import_batch_id
    batch = db.session.get(ImportBatch, first.import_batch_id)
    assert (batch.batch_type, batch.batch_date, batch.total_records) == ("manual_batch", today(), 2)
    items = db.session.scalars(sa.select(ImportBatchItem).order_by(ImportBatchItem.row_number)).all()
    assert [(i.row_number, i.outcome) for i in items] == [(1, "created"), (2, "created")]
    # Dual-write: one legacy session for the batch, one legacy row per entry, linked both ways.
    assert count(ImportSession) == 1
    records = db.session.scalars(sa.select(ImportedRecord).order_by(ImportedRecord.id)).all()
    assert [r.migrated_guarantee_id for r in records] == [first.id, second.id]
    assert {r.session_id for r in records} == {batch.legacy_session_id}
    assert {r.import_batch_id for r in records} == {batch.id}
    assert [i.legacy_record_id for i in items] == [r.id for r in records]
    assert records[0].amount == "25200.00" and records[0].record_type == "import"


def test_duplicate_number_is_refused_with_the_existing_guarantee(make_guarantee):
    first = make_guarantee("G-1")
    with pytest.raises(DuplicateNumber) as refused:
        make_guarantee("g-1 ")
    assert refused.value.guarantee_id == first.id
    assert count(Guarantee) == 1 and count(ImportedRecord) == 1


def test_new_guarantee_needs_supplier_and_bank(make_guarantee):
    with pytest.raises(ValidationFailed, match="Supplier is required"):
        make_guarantee("G-2", raw_supplier_name="  ")
    with pytest.raises(ValidationFailed, match="Amount"):
        make_guarantee("G-3", amount="abc")
    assert count(Guarantee) == 0 and count(ImportBatch) == 0 and count(ImportedRecord) == 0


def test_dual_write_off_writes_only_new_tables(app, make_guarantee):
    app.config["DUAL_WRITE"] = False
    g = make_guarantee("G-4")
    guarantees.update(g.id, {"comment": "checked"}, expected_version=g.version, user="clerk")
    actions.extend(g.id, user="clerk")
    assert count(ImportedRecord) == 0 and count(ImportSession) == 0
    assert count(GuaranteeEdit) == 1 and count(GuaranteeAction) == 1


def test_update_records_field_edits_and_checks_version(make_guarantee):
    g = make_guarantee("G-5")
    updated = guarantees.update(
        g.id, {"amount": "1,000.50", "comment": " for extension "}, expected_version=1, user="clerk"
    )
    assert updated.amount == Decimal("1000.50") and updated.version == 2
    edits = db.session.scalars(sa.select(GuaranteeEdit).order_by(GuaranteeEdit.field)).all()
    assert [(e.field, e.old_value, e.new_value, e.edited_by) for e in edits] == [
        ("amount", "25200.00", "1000.50", "clerk"),
        ("comment", None, "for extension", "clerk"),
    ]
    modification = db.session.scalar(sa.select(ImportedRecord).where(ImportedRecord.record_type == "modification"))
    assert modification.amount == "1000.50" and edits[0].legacy_record_id == modification.id
    with pytest.raises(Conflict, match="changed by someone else"):
        guarantees.update(g.id, {"comment": "stale"}, expected_version=1, user="other")
    assert db.session.get(Guarantee, g.id).comment == "for extension"


def test_extension_defaults_to_one_year_and_locks(app, make_guarantee):
    app.config["TODAY"] = date(2024, 2, 1)  # before the leap day it expires on
    g = make_guarantee("G-6", expiry_date="2024-02-29")
    action = actions.extend(g.id, user="clerk")
    g = db.session.get(Guarantee, g.id)
    assert (action.previous_expiry_date, action.new_expiry_date) == (date(2024, 2, 29), date(2025, 2, 28))
    assert g.expiry_date == date(2025, 2, 28) and g.is_locked and action.is_locked
    assert action.action_status == "issued"
    legacy = db.session.scalar(sa.select(ImportedRecord).where(ImportedRecord.migrated_action_id == action.id))
    assert legacy.record_type == "extension_action" and legacy.expiry_date == "2025-02-28"
    with pytest.raises(RuleViolation, match="moves the expiry forward"):
        actions.extend(g.id, "2025-01-01", user="clerk")
    with pytest.raises(LockedField):
        guarantees.update(g.id, {"raw_supplier_name": "Other"}, expected_version=g.version, user="clerk")
    with pytest.raises(LockedField):
        guarantees.update(g.id, {"expiry_date": "2030-01-01"}, expected_version=g.version, user="clerk")
    guarantees.update(g.id, {"comment": "still editable"}, expected_version=g.version, user="clerk")


def test_release_once_and_nothing_after(make_guarantee):
    g = make_guarantee("G-7")
    actions.release(g.id, user="clerk")
    assert db.session.get(Guarantee, g.id).status == "released"
    for attempt in (
        lambda: actions.release(g.id, user="clerk"),
        lambda: actions.extend(g.id, user="clerk"),
        lambda: actions.reduce(g.id, "100", user="clerk"),
    ):
        with pytest.raises(RuleViolation, match="released"):
            attempt()
    assert count(GuaranteeAction) == 1


def test_reduction_lowers_and_stays_positive(make_guarantee):
    g = make_guarantee("G-8", amount="1000")
    for bad in ("1000", "1500", "0"):
        with pytest.raises(RuleViolation):
            actions.reduce(g.id, bad, user="clerk")
    with pytest.raises(ValidationFailed):
        actions.reduce(g.id, "-5", user="clerk")
    actions.reduce(g.id, "600", user="clerk")
    assert db.session.get(Guarantee, g.id).amount == Decimal("600.00")


def test_session_drafts_issue_together_and_lock(app, make_guarantee):
    a, b = make_guarantee("S-1"), make_guarantee("S-2")
    session = actions.start_session([a.id, b.id], "extension", user="preparer")
    drafts = db.session.scalars(sa.select(GuaranteeAction).order_by(GuaranteeAction.id)).all()
    assert [d.action_status for d in drafts] == ["draft", "draft"]
    assert db.session.get(Guarantee, a.id).expiry_date == date(2026, 6, 1)  # drafts change nothing yet
    actions.change_draft_date(drafts[0].id, "2027-12-31", user="preparer")
    app.config["FOUR_EYES"] = True
    with pytest.raises(RuleViolation, match="Four-eyes"):
        actions.issue_session(session.id, user="preparer")
    issued = actions.issue_session(session.id, user="approver")
    assert issued.is_locked and issued.issued_actions == 2
    assert db.session.get(Guarantee, a.id).expiry_date == date(2027, 12, 31)
    assert db.session.get(Guarantee, b.id).expiry_date == date(2027, 6, 1)
    with pytest.raises(RuleViolation, match="locked"):
        actions.add_drafts(session.id, [a.id], "release", user="preparer")


def test_a_refused_draft_issues_nothing(make_guarantee):
    a, b = make_guarantee("S-3"), make_guarantee("S-4")
    session = actions.start_session([a.id, b.id], "extension", user="preparer")
    actions.release(b.id, user="clerk")  # b changes under the session's feet
    with pytest.raises(RuleViolation, match="S-4"):
        actions.issue_session(session.id, user="approver")
    assert db.session.get(Guarantee, a.id).expiry_date == date(2026, 6, 1)
    assert count(GuaranteeAction, GuaranteeAction.action_status == "issued") == 1
