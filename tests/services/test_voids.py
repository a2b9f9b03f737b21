"""Corrections by void: prepared by one person, issued by another, restoring what the voided action changed unless
a later action depends on it; the legacy row written; plain SQL cannot revert around a void."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.legacy.verify import verify
from guarantees.models import Guarantee, GuaranteeAction
from guarantees.models.legacy import ImportedRecord
from guarantees.repositories import bank_answers as repo
from guarantees.repositories import history
from guarantees.services import actions, bank_answers, voids
from guarantees.services.errors import RuleViolation, ValidationFailed

pytestmark = pytest.mark.usefixtures("before_expiry", "issue_clock")


def refused(sql: str, **params) -> bool:
    """True when the database refuses the statement (and nothing of it stays)."""
    try:
        with db.engine.begin() as connection:
            connection.execute(sa.text(sql), params)
    except (sa.exc.IntegrityError, sa.exc.InternalError, sa.exc.DatabaseError):
        return True
    return False


def fresh(guarantee_id: int) -> Guarantee:
    db.session.expire_all()
    return db.session.get(Guarantee, guarantee_id)


def void(action_id: int, *, by: str = "clerk", issuer: str = "checker", reason: str = "sent in error"):
    draft = voids.prepare(action_id, reason=reason, user=by)
    return voids.issue(draft.id, user=issuer)


def test_the_preparer_never_issues_the_void(make_guarantee, app):
    app.config["FOUR_EYES"] = False  # always four-eyes, whatever the setting says
    g = make_guarantee("V-1").id
    extension_id = actions.extend(g, user="clerk").id
    draft = voids.prepare(extension_id, reason="wrong date", user="clerk")
    assert (draft.action_status, draft.voids_action_id, draft.notes) == ("draft", extension_id, "wrong date")
    draft_id = draft.id
    with pytest.raises(RuleViolation, match="Four-eyes"):
        voids.issue(draft_id, user="clerk")
    assert fresh(g).expiry_date == date(2027, 6, 1)
    # nor in plain SQL
    assert refused(
        "UPDATE guarantee_actions SET action_status = 'issued', is_locked = :t, issued_by = created_by, "
        "issued_at = '2026-01-15 09:00:00' WHERE id = :id",
        t=True,
        id=draft_id,
    )
    with pytest.raises(ValidationFailed, match="reason"):
        voids.prepare(extension_id, reason="  ", user="clerk")


def test_void_restores_expiry_amount_and_status(make_guarantee):
    g = make_guarantee("V-2").id
    extension = actions.extend(g, user="clerk")
    void(extension.id)
    assert fresh(g).expiry_date == date(2026, 6, 1)

    reduction = actions.reduce(g, "100", user="clerk")
    assert fresh(g).amount == Decimal("100.00")
    void(reduction.id)
    assert fresh(g).amount == Decimal("25200.00")

    release = actions.release(g, user="clerk")
    assert fresh(g).status == "released"
    issued = void(release.id)
    guarantee = fresh(g)
    assert (guarantee.status, guarantee.is_locked) == ("active", True)
    assert (issued.action_status, issued.issued_by, issued.reference) == ("issued", "checker", None)
    # and an extension is possible again
    actions.extend(g, user="clerk")


def test_void_of_an_extension_the_bank_granted_otherwise(make_guarantee):
    g = make_guarantee("V-3").id
    extension = actions.extend(g, user="clerk")
    bank_answers.record(
        extension.id, answer_date=date(2026, 1, 15), bank_reference="R", granted_expiry=date(2027, 2, 1), user="clerk"
    )
    void(extension.id)
    assert fresh(g).expiry_date == date(2026, 6, 1)


def test_a_guarantee_whose_release_was_voided_is_released_again_once(make_guarantee):
    g = make_guarantee("V-R").id
    void(actions.release(g, user="clerk").id)
    assert fresh(g).status == "active"
    again = actions.release(g, user="clerk")
    assert (again.action_status, again.release_round, fresh(g).status) == ("issued", 1, "released")
    with pytest.raises(RuleViolation):
        actions.release(g, user="clerk")
    # the database holds one release per round, whatever a session tries
    session = actions.create_session("round", user="clerk")
    with pytest.raises(RuleViolation):
        actions.add_drafts(session.id, [g], "release", user="clerk")
    assert refused(
        "INSERT INTO guarantee_actions (guarantee_id, guarantee_number, action_type, action_status, is_locked, "
        "origin, release_round, created_at) VALUES (:g, 'V-R', 'release', 'draft', false, 'app', 1, '2026-01-15')",
        g=g,
    )


def test_refused_while_a_later_action_depends_on_it(make_guarantee):
    g = make_guarantee("V-4").id
    first = actions.extend(g, user="clerk")
    second = actions.extend(g, user="clerk")
    with pytest.raises(RuleViolation, match=second.reference) as refusal:
        voids.prepare(first.id, reason="wrong", user="clerk")
    assert "extension" in refusal.value.message
    # prepared before the later extension, refused at issue all the same
    g2 = make_guarantee("V-5").id
    early = actions.extend(g2, user="clerk")
    draft = voids.prepare(early.id, reason="wrong", user="clerk")
    actions.extend(g2, user="clerk")
    with pytest.raises(RuleViolation, match="Void that one first"):
        voids.issue(draft.id, user="checker")
    # once the later one is voided, the first can be
    void(second.id)
    void(first.id)
    assert fresh(g).expiry_date == date(2026, 6, 1)


def test_a_void_cannot_be_voided_nor_an_action_voided_twice(make_guarantee):
    g = make_guarantee("V-6").id
    extension = actions.extend(g, user="clerk")
    issued = void(extension.id)
    with pytest.raises(RuleViolation, match="cannot be voided"):
        voids.prepare(issued.id, reason="undo", user="clerk")
    with pytest.raises(RuleViolation, match="already been voided"):
        voids.prepare(extension.id, reason="again", user="clerk")
    other = actions.reduce(g, "10", user="clerk")
    voids.prepare(other.id, reason="one", user="clerk")
    with pytest.raises(RuleViolation, match="already prepared"):
        voids.prepare(other.id, reason="two", user="someone")


def test_legacy_row_and_history(make_guarantee):
    g = make_guarantee("V-7").id
    reduction = actions.reduce(g, "1000", user="clerk")
    issued = void(reduction.id, reason="the bank never received it")
    row = db.session.get(ImportedRecord, issued.legacy_record_id)
    assert (row.record_type, row.amount, row.migrated_action_id) == ("modification", "25200.00", issued.id)
    entries = {e.action.id: e for e in history.timeline(fresh(g)) if e.kind == "action"}
    assert entries[reduction.id].action.voided_by_id == issued.id
    assert entries[issued.id].action.voids_reference == reduction.reference
    assert entries[issued.id].changes == [("amount", "1000.00", "25200.00")]
    assert entries[issued.id].detail == "the bank never received it"
    assert verify(db.engine)["problems"] == []  # `flask legacy verify` finds every link in order


def test_a_voided_letter_no_longer_waits_for_the_bank(make_guarantee):
    g = make_guarantee("V-8").id
    extension = actions.extend(g, user="clerk")
    assert [w.action_id for w in repo.waiting_letters()] == [extension.id]
    void(extension.id)
    assert repo.waiting_letters() == []
    with pytest.raises(RuleViolation, match="voided"):
        bank_answers.record(extension.id, answer_date=date(2026, 1, 15), bank_reference="R", user="clerk")


def test_plain_sql_cannot_revert_around_a_void(make_guarantee):
    g = make_guarantee("V-9").id
    extension = actions.extend(g, user="clerk")
    void(extension.id)
    # the voided extension's step no longer counts
    assert refused("UPDATE guarantees SET expiry_date = '2027-06-01' WHERE id = :id", id=g)
    # extended again to the same date: the old void's step cannot be replayed to undo it
    again = actions.extend(g, user="clerk")
    assert again.new_expiry_date == date(2027, 6, 1)
    assert refused("UPDATE guarantees SET expiry_date = '2026-06-01' WHERE id = :id", id=g)
    # a voided release: the status cannot be set back to released, nor a release unvoided by hand
    g2 = make_guarantee("V-10").id
    release = actions.release(g2, user="clerk")
    assert refused("UPDATE guarantees SET status = 'active' WHERE id = :id", id=g2)
    void(release.id)
    assert refused("UPDATE guarantees SET status = 'released' WHERE id = :id", id=g2)
    # the issued void itself is immutable
    (issued,) = db.session.scalars(sa.select(GuaranteeAction).where(GuaranteeAction.voids_action_id == release.id))
    assert refused("UPDATE guarantee_actions SET notes = 'x' WHERE id = :id", id=issued.id)
    assert refused("DELETE FROM guarantee_actions WHERE id = :id", id=issued.id)
    # a void cannot be written issued, nor name an action of another guarantee
    assert refused(
        "INSERT INTO guarantee_actions (guarantee_id, guarantee_number, action_type, voids_action_id, action_status, "
        "is_locked, origin, created_by, created_at) VALUES (:g, 'V-9', 'void', :a, 'issued', :t, 'app', 'x', "
        "'2026-01-15 09:00:00')",
        g=g,
        a=again.id,
        t=True,
    )
    assert fresh(g).expiry_date == date(2027, 6, 1)


def test_a_draft_void_can_be_withdrawn(make_guarantee):
    g = make_guarantee("V-11").id
    extension = actions.extend(g, user="clerk")
    draft = voids.prepare(extension.id, reason="maybe", user="clerk")
    assert voids.discard(draft.id, user="checker") == g
    assert db.session.get(GuaranteeAction, draft.id) is None
    void(extension.id)
