"""The rules that stop nonsense before it is written: extensions of expired or released guarantees, dates in the
past, expiry before issue, amounts of new guarantees, the expiry a letter holds, four-eyes on every way an action is
issued, and what the confirmation shows before an issue."""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import ActionSession, Bank, Guarantee, GuaranteeAction
from guarantees.repositories import confirmation
from guarantees.services import actions, guarantees
from guarantees.services import imports as importer
from guarantees.services.errors import Conflict, LockedField, RuleViolation, ValidationFailed

TODAY = date(2026, 3, 1)
HEADER = ["BANK GUARANTEE NUMBER", "SUPPLIER", "BANK NAME", "AMOUNT", "ISSUE DATE", "EXPIRY DATE"]


@pytest.fixture(autouse=True)
def register_day(app):
    """The register's day for every test here: 2026-03-01."""
    app.config["TODAY"] = TODAY
    return TODAY


def dates_reason(expiry: str, issue: str) -> str:
    return f"The expiry date {expiry} is not after the issue date {issue}: a guarantee expires after it is issued."


def current(guarantee_id: int) -> Guarantee:
    db.session.expire_all()
    return db.session.get(Guarantee, guarantee_id)


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


# -- extensions ------------------------------------------------------------------------------------------------------


def test_an_expired_guarantee_is_not_extended(make_guarantee):
    lapsed = make_guarantee("EXP-1", expiry_date="2026-02-28")
    with pytest.raises(RuleViolation, match="expired on 2026-02-28: a bank does not extend a lapsed guarantee"):
        actions.extend(lapsed.id, user="clerk")
    with pytest.raises(RuleViolation, match="expired on 2026-02-28"):
        actions.extend(lapsed.id, "2027-06-01", user="clerk")
    # the day of expiry itself still counts as covered
    last_day = make_guarantee("EXP-2", expiry_date="2026-03-01")
    assert actions.extend(last_day.id, user="clerk").new_expiry_date == date(2027, 3, 1)
    assert count(GuaranteeAction) == 1 and current(lapsed.id).expiry_date == date(2026, 2, 28)


def test_a_released_guarantee_is_not_extended(make_guarantee):
    g = make_guarantee("REL-1", expiry_date="2026-06-01")
    actions.release(g.id, user="clerk")
    with pytest.raises(RuleViolation, match="has been released"):
        actions.extend(g.id, user="clerk", override_reason="the bank agreed")


def test_the_new_expiry_must_be_after_today_and_after_the_current_expiry(make_guarantee):
    g = make_guarantee("PAST-1", expiry_date="2026-03-10")
    with pytest.raises(ValidationFailed, match="2026-02-01 is not after today, 2026-03-01") as refused:
        actions.extend(g.id, "2026-02-01", user="clerk")
    assert refused.value.field == "new_expiry"
    with pytest.raises(ValidationFailed, match="not after today"):
        actions.extend(g.id, "2026-03-01", user="clerk")
    with pytest.raises(RuleViolation, match="moves the expiry forward"):
        actions.extend(g.id, "2026-03-05", user="clerk")
    assert actions.extend(g.id, "2026-03-11", user="clerk").new_expiry_date == date(2026, 3, 11)


def test_an_admin_overrides_the_expired_rule_with_a_written_reason_kept_on_the_action(make_guarantee, make_user):
    make_user("chief", "admin")
    make_user("clerk", "editor")
    g = make_guarantee("OVR-1", expiry_date="2026-01-31")
    with pytest.raises(RuleViolation, match="Only an administrator") as refused:
        actions.extend(g.id, user="clerk", override_reason="the bank agreed by letter")
    assert refused.value.field == "override_reason"
    with pytest.raises(RuleViolation, match="expired on 2026-01-31"):
        actions.extend(g.id, user="chief", override_reason="   ")  # a blank reason is no reason
    action = actions.extend(g.id, user="chief", override_reason=" Bank letter 2026/77 agreed on 2026-02-10 ")
    assert action.action_status == "issued" and action.new_expiry_date == date(2027, 1, 31)
    stored = db.session.get(GuaranteeAction, action.id)
    assert stored.override_reason == "Bank letter 2026/77 agreed on 2026-02-10"
    # the override is only for the expired rule: a date in the past stays refused
    other = make_guarantee("OVR-2", expiry_date="2025-01-31")
    with pytest.raises(ValidationFailed, match="not after today"):
        actions.extend(other.id, "2026-02-15", user="chief", override_reason="bank agreed")


def test_an_override_is_not_kept_where_no_rule_needed_it(make_guarantee, make_user):
    make_user("chief", "admin")
    g = make_guarantee("OVR-3", expiry_date="2026-06-01")
    action = actions.extend(g.id, user="chief", override_reason="not needed")
    assert db.session.get(GuaranteeAction, action.id).override_reason is None


def test_a_draft_made_before_expiry_is_not_issued_after_it(app, make_guarantee):
    g = make_guarantee("LATE-1", expiry_date="2026-03-15")
    session = actions.start_session([g.id], "extension", user="clerk")
    app.config["TODAY"] = date(2026, 3, 16)
    with pytest.raises(RuleViolation, match="LATE-1: Guarantee LATE-1 expired on 2026-03-15.*Nothing was issued"):
        actions.issue_session(session.id, user="chief")
    (draft,) = db.session.scalars(sa.select(GuaranteeAction)).all()
    with pytest.raises(RuleViolation, match="expired on 2026-03-15"):
        actions.issue_draft(draft.id, user="chief")
    assert count(GuaranteeAction, GuaranteeAction.action_status == "issued") == 0
    assert not db.session.get(ActionSession, session.id).is_locked


def test_an_overridden_draft_whose_new_date_has_passed_is_not_issued(app, make_guarantee, make_user):
    make_user("chief", "admin")
    app.config["FOUR_EYES"] = True
    g = make_guarantee("LATE-2", expiry_date="2026-02-01")
    draft = actions.extend(g.id, "2026-03-05", user="chief", override_reason="the bank agreed")
    app.config["TODAY"] = date(2026, 3, 6)
    with pytest.raises(RuleViolation, match="LATE-2: The new expiry date 2026-03-05 is not after today, 2026-03-06"):
        actions.issue_session(draft.action_session_id, user="clerk")
    assert count(GuaranteeAction, GuaranteeAction.action_status == "issued") == 0


def test_an_overridden_draft_is_issued_by_someone_else(app, make_guarantee, make_user):
    make_user("chief", "admin")
    app.config["FOUR_EYES"] = True
    g = make_guarantee("OVR-4", expiry_date="2026-02-01")
    draft = actions.extend(g.id, user="chief", override_reason="bank agreed in writing")
    assert draft.action_status == "draft" and draft.override_reason == "bank agreed in writing"
    issued = actions.issue_draft(draft.id, user="clerk")
    assert issued.action_status == "issued" and issued.override_reason == "bank agreed in writing"
    assert current(g.id).expiry_date == date(2027, 2, 1)


def test_bulk_extension_skips_expired_and_released_and_says_which(make_guarantee):
    ok = make_guarantee("BULK-OK", expiry_date="2026-09-01")
    lapsed = make_guarantee("BULK-EXP", expiry_date="2026-01-01")
    lapsed2 = make_guarantee("BULK-EXP2", expiry_date="2025-12-31")
    gone = make_guarantee("BULK-REL", expiry_date="2026-09-01")
    actions.release(gone.id, user="clerk")
    session = actions.start_session([ok.id, lapsed.id, gone.id, lapsed2.id], "extension", user="clerk")
    assert session.skipped == [("BULK-EXP", "expired"), ("BULK-REL", "released"), ("BULK-EXP2", "expired")]
    message = actions.skipped_message(session.skipped)
    assert message == (
        "3 guarantees were left out of the extension: BULK-EXP, BULK-EXP2 (expired: a bank does not extend a "
        "lapsed guarantee); BULK-REL (released: a release is final)."
    )
    drafts = db.session.scalars(sa.select(GuaranteeAction).where(GuaranteeAction.action_session_id == session.id))
    assert [d.guarantee_number for d in drafts] == ["BULK-OK"]
    assert db.session.get(ActionSession, session.id).total_actions == 1
    # none left: refused, with the reasons, and no session written
    with pytest.raises(ValidationFailed, match="2 guarantees were left out of the extension: BULK-EXP, BULK-EXP2"):
        actions.start_session([lapsed.id, lapsed2.id], "extension", user="clerk")
    assert count(ActionSession) == 1
    assert actions.skipped_message([]) is None
    # a bulk release is not an extension: nothing is skipped
    release = actions.start_session([lapsed.id], "release", user="clerk")
    assert release.skipped == []


# -- dates and amounts of the guarantees themselves ------------------------------------------------------------------


def test_an_entry_expiring_before_its_issue_is_refused(make_guarantee):
    with pytest.raises(ValidationFailed, match="2020-01-01 is not after the issue date 2026-12-01") as refused:
        make_guarantee("ISS-1", issue_date="2026-12-01", expiry_date="2020-01-01")
    assert refused.value.field == "expiry_date"
    with pytest.raises(ValidationFailed, match="not after the issue date"):
        make_guarantee("ISS-2", issue_date="2026-12-01", expiry_date="2026-12-01")
    assert make_guarantee("ISS-3", issue_date="2026-12-01", expiry_date="2027-12-01").expiry_date == date(2027, 12, 1)
    assert count(Guarantee) == 1


def test_a_new_guarantee_needs_a_positive_amount(make_guarantee):
    for amount, message in ((None, "Amount is required"), ("", "Amount is required"), ("0", "more than zero")):
        with pytest.raises(ValidationFailed, match=message) as refused:
            make_guarantee("AMT-1", amount=amount)
        assert refused.value.field == "amount"
    with pytest.raises(ValidationFailed, match="negative"):
        make_guarantee("AMT-1", amount="-5")
    g = make_guarantee("AMT-1", amount="0.01")
    assert g.amount == Decimal("0.01")
    # an existing guarantee's amount may still be emptied by an edit, as before
    edited = guarantees.update(g.id, {"amount": ""}, expected_version=g.version, user="clerk")
    assert edited.amount is None


def test_an_inline_edit_cannot_put_the_expiry_before_the_issue(make_guarantee):
    g = make_guarantee("EDIT-1", issue_date="2026-01-10", expiry_date="2027-01-10")
    with pytest.raises(ValidationFailed, match="2025-12-31 is not after the issue date 2026-01-10") as refused:
        guarantees.update(g.id, {"expiry_date": "2025-12-31"}, expected_version=g.version, user="clerk")
    assert refused.value.field == "expiry_date"
    with pytest.raises(ValidationFailed, match="2027-01-10 is not after the issue date 2027-02-01") as refused:
        guarantees.update(g.id, {"issue_date": "2027-02-01"}, expected_version=g.version, user="clerk")
    assert refused.value.field == "issue_date"
    stored = current(g.id)
    assert (stored.issue_date, stored.expiry_date, stored.version) == (date(2026, 1, 10), date(2027, 1, 10), 1)
    assert guarantees.update(g.id, {"issue_date": "2026-02-01"}, expected_version=1, user="clerk").version == 2


def test_an_import_row_breaking_the_dates_or_without_amount_is_an_error_row(make_guarantee, xlsx_bytes):
    known = make_guarantee("IMP-K", issue_date="2026-01-01", expiry_date="2027-01-01")
    rows = [
        HEADER,
        ["IMP-1", "Lana", "Riyad Bank", 100, date(2026, 12, 1), date(2020, 1, 1)],  # expiry before issue
        ["IMP-2", "Lana", "Riyad Bank", None, None, date(2027, 1, 1)],  # a new one without amount
        ["IMP-3", "Lana", "Riyad Bank", 0, None, date(2027, 1, 1)],  # zero
        ["IMP-K", None, None, None, None, date(2025, 6, 1)],  # moves a known one's expiry before its issue
        ["IMP-K", None, None, None, date(2028, 1, 1), None],  # moves its issue after its expiry
        ["IMP-K", None, None, 50, None, None],  # a known one keeps working with a blank date or amount
        ["IMP-4", "Lana", "Riyad Bank", 10, date(2026, 1, 1), date(2027, 1, 1)],
    ]
    preview = importer.evaluate(xlsx_bytes(rows), "rules.xlsx")
    outcomes = [(row.guarantee_number, row.outcome, row.reason) for row in preview.rows]
    assert outcomes == [
        (
            "IMP-1",
            "error",
            dates_reason("2020-01-01", "2026-12-01"),
        ),
        ("IMP-2", "error", "Amount is required for a new guarantee."),
        ("IMP-3", "error", "Amount must be more than zero for a new guarantee."),
        (
            "IMP-K",
            "error",
            dates_reason("2025-06-01", "2026-01-01"),
        ),
        (
            "IMP-K",
            "error",
            dates_reason("2027-01-01", "2028-01-01"),
        ),
        ("IMP-K", "update", None),
        ("IMP-4", "new", None),
    ]
    assert preview.rows[5].notes == []  # the error rows above it are no earlier row of IMP-K
    assert preview.counts == {"new": 1, "update": 1, "unchanged": 0, "error": 5}
    result = importer.commit(xlsx_bytes(rows), "rules.xlsx", user="clerk")
    assert result.preview.counts["error"] == 5
    stored = current(known.id)
    assert (stored.issue_date, stored.expiry_date, stored.amount) == (date(2026, 1, 1), date(2027, 1, 1), 50)
    assert count(Guarantee) == 2


def test_the_expiry_of_a_guarantee_with_an_issued_action_changes_only_by_extension(make_guarantee, xlsx_bytes):
    g = make_guarantee("HELD-1", issue_date="2025-06-01", expiry_date="2026-06-01")
    actions.reduce(g.id, "100", user="clerk")
    version = current(g.id).version
    with pytest.raises(LockedField, match="it has an issued reduction letter"):
        guarantees.update(g.id, {"expiry_date": "2026-12-31"}, expected_version=version, user="clerk")
    rows = [HEADER, ["HELD-1", None, None, None, None, date(2026, 12, 31)]]
    preview = importer.evaluate(xlsx_bytes(rows), "held.xlsx")
    (row,) = preview.rows
    assert (row.outcome, row.changes) == ("unchanged", {})
    assert "expiry_date" in row.notes[0] and "reduction" in row.notes[0]
    importer.commit(xlsx_bytes(rows), "held.xlsx", user="clerk")
    assert current(g.id).expiry_date == date(2026, 6, 1)
    # the database holds it too: a plain UPDATE of a locked guarantee's expiry without its action is refused
    with pytest.raises(sa.exc.DatabaseError), db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE guarantees SET expiry_date = '2026-12-31' WHERE id = :id"), {"id": g.id})
    actions.extend(g.id, user="clerk")
    assert current(g.id).expiry_date == date(2027, 6, 1)


# -- four-eyes -------------------------------------------------------------------------------------------------------


def test_four_eyes_makes_a_direct_release_a_draft_that_another_person_issues(app, make_guarantee):
    app.config["FOUR_EYES"] = True
    g = make_guarantee("FE-1")
    draft = actions.release(g.id, user="alice", notes="contract closed")
    assert (draft.action_status, draft.is_locked, draft.created_by, draft.notes) == (
        "draft",
        False,
        "alice",
        "contract closed",
    )
    assert current(g.id).status == "active" and draft.action_session_id is not None
    action_session = db.session.get(ActionSession, draft.action_session_id)
    assert (action_session.created_by, action_session.total_actions, action_session.is_locked) == ("alice", 1, False)
    with pytest.raises(RuleViolation, match="Four-eyes rule: alice prepared this"):
        actions.issue_draft(draft.id, user="alice")
    with pytest.raises(RuleViolation, match="Four-eyes rule"):
        actions.issue_session(draft.action_session_id, user="alice")
    with pytest.raises(RuleViolation, match="already prepared or issued"):
        actions.release(g.id, user="bob")  # a second release draft
    assert current(g.id).status == "active"
    issued = actions.issue_draft(draft.id, user="bob")
    assert (issued.action_status, issued.issued_by) == ("issued", "bob") and issued.reference
    assert current(g.id).status == "released"
    action_session = db.session.get(ActionSession, draft.action_session_id)
    assert (action_session.is_locked, action_session.issued_by, action_session.issued_actions) == (True, "bob", 1)


def test_four_eyes_covers_extend_and_reduce_and_sessions_with_drafts_by_another(app, make_guarantee):
    app.config["FOUR_EYES"] = True
    g = make_guarantee("FE-2")
    extension = actions.extend(g.id, user="alice")
    reduction = actions.reduce(g.id, "100", user="alice")
    assert {extension.action_status, reduction.action_status} == {"draft"}
    assert current(g.id).expiry_date == date(2026, 6, 1) and current(g.id).amount == Decimal("25200.00")
    # a session bob started with a draft alice added: neither of them issues it
    session = actions.create_session(None, user="bob")
    actions.add_drafts(session.id, [make_guarantee("FE-3").id], "extension", user="alice")
    for who in ("alice", "bob"):
        with pytest.raises(RuleViolation, match="Four-eyes rule"):
            actions.issue_session(session.id, user=who)
    assert actions.issue_session(session.id, user="carol").issued_by == "carol"
    assert actions.four_eyes_allows(["alice"], "bob") and not actions.four_eyes_allows(["alice", None], "alice")
    app.config["FOUR_EYES"] = False
    assert actions.four_eyes_allows(["alice"], "alice")
    assert actions.release(g.id, user="alice").action_status == "issued"  # off: issued at once, as before


def test_issuing_one_draft_of_a_session_leaves_the_rest_open(make_guarantee):
    first, second = make_guarantee("ONE-1"), make_guarantee("ONE-2")
    session = actions.start_session([first.id, second.id], "extension", user="alice")
    drafts = db.session.scalars(sa.select(GuaranteeAction).order_by(GuaranteeAction.id)).all()
    actions.issue_draft(drafts[0].id, user="bob")
    found = db.session.get(ActionSession, session.id)
    assert (found.is_locked, found.issued_actions) == (False, 1)
    actions.issue_session(session.id, user="bob")
    found = db.session.get(ActionSession, session.id)
    assert (found.is_locked, found.issued_actions, found.total_actions) == (True, 2, 2)


# -- the confirmation ------------------------------------------------------------------------------------------------


def test_the_confirmation_counts_letters_banks_totals_and_warnings(app, make_guarantee):
    db.session.add(Bank(official_name="Riyad Bank", official_name_en="Riyad Bank", address_line_1="PO Box 22622"))
    db.session.commit()
    ids = [
        make_guarantee("CF-1", amount="1000.50", expiry_date="2026-06-01").id,
        make_guarantee("CF-2", amount="2000", expiry_date="2026-03-05", raw_bank_name="Alinma Bank").id,
        make_guarantee("CF-3", amount="300", currency="USD", expiry_date="2026-04-01").id,
    ]
    session = actions.start_session(ids, "extension", user="alice")
    drafts = db.session.scalars(sa.select(GuaranteeAction).order_by(GuaranteeAction.id)).all()
    actions.change_draft_date(drafts[1].id, "2026-03-06", user="alice")
    app.config["TODAY"] = date(2026, 3, 10)  # CF-2 has expired since, and its new date has passed
    shown = confirmation.for_session(session.id, date(2026, 3, 10))
    assert shown.count == 3 and shown.kinds == [("extension", 3)]
    assert [(bank.name_en, n, bank.has_address) for bank, n in shown.banks] == [
        ("Alinma Bank", 1, False),
        ("Riyad Bank", 2, True),
    ]
    assert shown.totals == [("SAR", Decimal("3000.50")), ("USD", Decimal("300.00"))]
    assert [letter.number for letter in shown.expired] == ["CF-2"]
    assert [bank.name_en for bank in shown.no_address] == ["Alinma Bank"]
    assert [(letter.number, letter.new_expiry) for letter in shown.past_dates] == [("CF-2", date(2026, 3, 6))]
    assert shown.has_warnings
    # the fingerprint is of exactly this: a changed draft or guarantee gives another, which the issue refuses
    with pytest.raises(Conflict, match="changed since you confirmed"):
        actions.issue_session(session.id, user="bob", expected="0" * 24)
    actions.remove_draft(drafts[1].id, user="alice")
    again = confirmation.for_session(session.id, date(2026, 3, 10))
    assert again.fingerprint != shown.fingerprint and not again.expired and again.count == 2
    with pytest.raises(Conflict):
        actions.issue_session(session.id, user="bob", expected=shown.fingerprint)
    assert count(GuaranteeAction, GuaranteeAction.action_status == "issued") == 0
    assert actions.issue_session(session.id, user="bob", expected=again.fingerprint).is_locked


def test_a_planned_action_is_checked_and_written_nowhere(make_guarantee, make_user):
    make_user("chief", "admin")
    g = make_guarantee("PLAN-1", expiry_date="2026-02-01")
    with pytest.raises(RuleViolation, match="expired on 2026-02-01"):
        actions.plan(g.id, "extension", user="clerk")
    planned = actions.plan(g.id, "extension", user="chief", override_reason="bank agreed", version=1)
    assert (planned.new_expiry_date, planned.override_reason, planned.id) == (date(2027, 2, 1), "bank agreed", None)
    shown = confirmation.build([(planned, current(g.id))], TODAY)
    assert shown.count == 1 and [letter.number for letter in shown.expired] == ["PLAN-1"]
    with pytest.raises(Conflict):
        actions.plan(g.id, "release", user="clerk", version=7)
    assert count(GuaranteeAction) == 0 and count(ActionSession) == 0
