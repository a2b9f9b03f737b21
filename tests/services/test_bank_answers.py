"""The bank's answer to issued letters: once per action, its rules, the guarantee taking a granted expiry, the
worklist and list filter of letters waiting, and the digest naming those waiting too long."""

import contextlib
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from guarantees.domain import bank_answers as rule
from guarantees.extensions import db
from guarantees.legacy.verify import verify
from guarantees.models import BankAnswer, Guarantee, GuaranteeAction
from guarantees.models.legacy import ImportedRecord
from guarantees.repositories import bank_answers as repo
from guarantees.repositories import history, search
from guarantees.repositories.list_query import ListParams
from guarantees.services import actions, alerts, bank_answers, settings, voids
from guarantees.services.errors import RuleViolation, ValidationFailed

pytestmark = pytest.mark.usefixtures("before_expiry", "issue_clock")
ISSUE_DAY = date(2026, 1, 15)  # the register's day (before_expiry): letters are issued on it


def refused(sql: str, **params) -> bool:
    """True when the database refuses the statement (and nothing of it stays)."""
    try:
        with db.engine.begin() as connection:
            connection.execute(sa.text(sql), params)
    except (sa.exc.IntegrityError, sa.exc.InternalError, sa.exc.DatabaseError):
        return True
    return False


@pytest.fixture
def extended(make_guarantee):
    """A guarantee (expiry 2026-06-01) extended to 2027-06-01: (guarantee id, action id)."""
    g = make_guarantee("BA-1")
    action = actions.extend(g.id, user="clerk")
    return g.id, action.id


def test_answer_is_recorded_once_and_never_changed(extended):
    gid, action_id = extended
    answer = bank_answers.record(action_id, answer_date=ISSUE_DAY, bank_reference=" RB/ 77 ", user="clerk")
    assert (answer.bank_reference, answer.granted_expiry_date) == ("RB/ 77", date(2027, 6, 1))
    assert db.session.get(Guarantee, gid).expiry_date == date(2027, 6, 1)  # as asked: nothing moves
    with pytest.raises(RuleViolation, match="already recorded"):
        bank_answers.record(action_id, answer_date=ISSUE_DAY, bank_reference="again", user="other")
    db.session.remove()
    assert refused("UPDATE bank_answers SET bank_reference = 'forged' WHERE action_id = :id", id=action_id)
    assert refused("UPDATE bank_answers SET granted_expiry_date = '2030-01-01' WHERE action_id = :id", id=action_id)
    assert refused("DELETE FROM bank_answers WHERE action_id = :id", id=action_id)
    assert refused(
        "INSERT INTO bank_answers (action_id, answer_date, bank_reference, granted_expiry_date, recorded_by, "
        "recorded_at) VALUES (:id, '2026-01-15', 'second', '2027-06-01', 'x', '2026-01-15 09:00:00')",
        id=action_id,
    )
    assert db.session.scalar(sa.select(BankAnswer.bank_reference)) == "RB/ 77"


def test_granted_expiry_other_than_asked_moves_the_guarantee(extended):
    gid, action_id = extended
    bank_answers.record(
        action_id, answer_date=ISSUE_DAY, bank_reference="RB-9", granted_expiry=date(2027, 3, 31), user="clerk"
    )
    db.session.remove()
    guarantee = db.session.get(Guarantee, gid)
    assert guarantee.expiry_date == date(2027, 3, 31)
    # the legacy tables carry the guarantee's new values, linked to the answered action and the answer
    answer = db.session.scalar(sa.select(BankAnswer))
    row = db.session.get(ImportedRecord, answer.legacy_record_id)
    assert (row.record_type, row.expiry_date, row.migrated_guarantee_id) == ("modification", "2027-03-31", gid)
    # the timeline shows it as a field change of the answer, and that legacy row as told by it (not twice)
    timeline = history.timeline(guarantee)
    entries = [e for e in timeline if e.kind == "answer"]
    assert [e.changes for e in entries] == [[("expiry_date", "2027-06-01", "2027-03-31")]]
    assert not [e for e in timeline if e.kind == "legacy"]
    assert verify(db.engine)["problems"] == []  # `flask legacy verify` finds every link in order
    # plain SQL can neither set the date asked back nor any other
    assert refused("UPDATE guarantees SET expiry_date = '2027-06-01' WHERE id = :id", id=gid)
    assert refused("UPDATE guarantees SET expiry_date = '2028-01-01' WHERE id = :id", id=gid)
    # and a later extension starts from the granted date
    later = actions.extend(gid, user="clerk")
    assert (later.previous_expiry_date, later.new_expiry_date) == (date(2027, 3, 31), date(2028, 3, 31))


def test_answer_dates_and_granted_expiry_are_checked(extended, app):
    gid, action_id = extended
    cases = [
        ({"answer_date": ISSUE_DAY + timedelta(days=1)}, "after today"),
        ({"answer_date": ISSUE_DAY - timedelta(days=1)}, "before our letter"),
        ({"answer_date": None}, "date of the bank"),
        ({"bank_reference": "  "}, "reference"),
        ({"granted_expiry": date(2026, 6, 1)}, "not after the expiry"),
    ]
    for change, message in cases:
        arguments = {"answer_date": ISSUE_DAY, "bank_reference": "R", **change}
        with pytest.raises(ValidationFailed, match=message):
            bank_answers.record(action_id, user="clerk", **arguments)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BankAnswer)) == 0
    app.config["TODAY"] = ISSUE_DAY + timedelta(days=3)
    bank_answers.record(action_id, answer_date=ISSUE_DAY + timedelta(days=3), bank_reference="R", user="clerk")


def test_a_differing_date_is_refused_once_a_later_action_follows(extended):
    gid, action_id = extended
    reduction = actions.reduce(gid, "100", user="clerk")
    with pytest.raises(RuleViolation, match=reduction.reference):
        bank_answers.record(
            action_id, answer_date=ISSUE_DAY, bank_reference="R", granted_expiry=date(2027, 1, 1), user="clerk"
        )
    # the date asked is still recorded
    bank_answers.record(action_id, answer_date=ISSUE_DAY, bank_reference="R", user="clerk")


def test_reduction_and_release_answers_have_no_granted_expiry(make_guarantee):
    g = make_guarantee("BA-2")
    reduction = actions.reduce(g.id, "100", user="clerk")
    answer = bank_answers.record(
        reduction.id, answer_date=ISSUE_DAY, bank_reference="R", granted_expiry=date(2030, 1, 1), user="clerk"
    )
    assert answer.granted_expiry_date is None
    db.session.remove()
    assert db.session.get(Guarantee, g.id).expiry_date == date(2026, 6, 1)


def test_answer_with_its_letter_attached(extended, app, tmp_path):
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "files")
    _gid, action_id = extended
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    answer = bank_answers.record(
        action_id,
        answer_date=ISSUE_DAY,
        bank_reference="R-1",
        user="clerk",
        upload=bank_answers.Upload("امتداد.pdf", io.BytesIO(pdf)),
    )
    letter = repo.guarantee_letters(_gid)[0]
    assert letter.answer.id == answer.id and letter.attachment_name and letter.attachment_name.endswith(".pdf")


def test_a_refused_answer_stores_no_file(extended, app, tmp_path):
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "files")
    _gid, action_id = extended
    with pytest.raises(ValidationFailed):
        bank_answers.record(
            action_id,
            answer_date=ISSUE_DAY + timedelta(days=5),
            bank_reference="R",
            user="clerk",
            upload=bank_answers.Upload("a.pdf", io.BytesIO(b"%PDF-1.4\n%%EOF\n")),
        )
    assert db.session.scalar(sa.text("SELECT count(*) FROM attachments")) == 0


def test_waiting_worklist_filter_and_rule_agree(make_guarantee, app):
    first, second, third, fourth = (make_guarantee(f"W-{i}") for i in range(4))
    oldest = actions.extend(first.id, user="clerk")
    answered = actions.extend(second.id, user="clerk")
    voided = actions.reduce(third.id, "100", user="clerk")
    newest = actions.release(fourth.id, user="clerk")
    bank_answers.record(answered.id, answer_date=ISSUE_DAY, bank_reference="R", user="clerk")
    voids.issue(voids.prepare(voided.id, reason="sent in error", user="clerk").id, user="checker")
    app.config["TODAY"] = ISSUE_DAY + timedelta(days=20)
    waiting = repo.waiting_letters()
    assert [(w.action_id, w.days_waiting) for w in waiting] == [(oldest.id, 20), (newest.id, 20)]
    assert repo.waiting_count() == 2
    assert [w.action_id for w in repo.waiting_letters(limit=1)] == [oldest.id]
    count, first_few = repo.worklist(1)
    assert (count, [w.action_id for w in first_few]) == (2, [oldest.id])
    # the list's filter, with the same rule
    page = search.search(ListParams(awaiting="bank"))
    assert sorted(row.id for row in page.items) == sorted([first.id, fourth.id])
    # the SQL twin gives what the domain rule says, action by action
    in_sql = set(db.session.scalars(sa.select(GuaranteeAction.id).where(repo.awaiting())))
    by_rule = set()
    for action in db.session.scalars(sa.select(GuaranteeAction)):
        answered_ = db.session.scalar(sa.select(BankAnswer.id).where(BankAnswer.action_id == action.id)) is not None
        voided_ = bank_answers.is_voided(db.session, action.id)
        if rule.awaits_answer(
            action_type=action.action_type,
            action_status=action.action_status,
            origin=action.origin,
            answered=answered_,
            voided=voided_,
        ):
            by_rule.add(action.id)
    assert in_sql == by_rule == {oldest.id, newest.id}


def test_digest_names_letters_waiting_longer_than_the_setting(make_guarantee, make_user, app):
    make_user("clerk", "editor")
    g = make_guarantee("D-1", expiry_date="2027-12-31")  # far from any expiry threshold
    action = actions.extend(g.id, new_expiry="2028-12-31", user="clerk")
    app.config["TODAY"] = ISSUE_DAY + timedelta(days=14)
    assert alerts.digests() == []  # 14 days: not longer than the default 14
    app.config["TODAY"] = ISSUE_DAY + timedelta(days=15)
    (digest,) = alerts.digests()
    assert [(w.action_id, w.days_waiting) for w in digest.waiting] == [(action.id, 15)]
    assert digest.lines == []
    settings.save_bank_wait_days(30, user="admin")
    assert settings.bank_wait_days() == 30
    assert alerts.digests() == []
    with pytest.raises(ValidationFailed):
        settings.save_bank_wait_days(0, user="admin")


def test_the_digest_e_mail_names_the_letter_once_it_is_overdue(make_guarantee, make_user, app):
    from guarantees.services import users

    users.set_email(make_user("clerk", "editor").id, "clerk@example.org", user="admin")
    g = make_guarantee("D-2", expiry_date="2027-12-31")
    action = actions.extend(g.id, new_expiry="2028-12-31", user="clerk")
    outbox = app.extensions["mailman"].__dict__.setdefault("outbox", [])
    app.config["TODAY"] = ISSUE_DAY + timedelta(days=15)
    outcome = alerts.send()
    assert outcome.sent == 1 and outcome.as_json()["digests"][0]["waiting_letters"][0]["days_waiting"] == 15
    (mail,) = outbox
    assert "Letters still waiting for the bank's answer" in mail.body and "D-2" in mail.body
    assert action.reference in mail.alternatives[0][0]
    # the next day: nothing newly overdue, no digest of its own
    app.config["TODAY"] = ISSUE_DAY + timedelta(days=16)
    assert alerts.send().sent == 0 and len(outbox) == 1


def test_an_answer_lost_to_a_concurrent_one_leaves_no_attachment_row(extended, app, tmp_path, monkeypatch):
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "files")
    _gid, action_id = extended
    receive = bank_answers.attachments.received

    @contextlib.contextmanager
    def received_then_answered(stream):
        with receive(stream) as file:
            # the file is in: another editor's answer is recorded before ours writes anything
            bank_answers.record(action_id, answer_date=ISSUE_DAY, bank_reference="FIRST", user="other")
            yield file

    monkeypatch.setattr(bank_answers.attachments, "received", received_then_answered)
    with pytest.raises(RuleViolation, match="already recorded"):
        bank_answers.record(
            action_id,
            answer_date=ISSUE_DAY,
            bank_reference="SECOND",
            user="clerk",
            upload=bank_answers.Upload("letter.pdf", io.BytesIO(b"%PDF-1.4\n%%EOF\n")),
        )
    db.session.remove()
    assert db.session.scalar(sa.text("SELECT count(*) FROM attachments")) == 0
    assert db.session.scalar(sa.select(BankAnswer.bank_reference)) == "FIRST"


def test_an_answer_failing_after_its_attachment_row_rolls_the_row_back(extended, app, tmp_path, monkeypatch):
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "files")
    gid, action_id = extended

    def broken(*_args, **_kwargs):
        raise RuntimeError("the legacy half failed")

    monkeypatch.setattr(bank_answers.DualWriteAdapter, "record_answer", broken)
    with pytest.raises(RuntimeError):
        bank_answers.record(
            action_id,
            answer_date=ISSUE_DAY,
            bank_reference="R",
            granted_expiry=date(2027, 3, 31),  # moves the guarantee: the legacy half is written after both rows
            user="clerk",
            upload=bank_answers.Upload("letter.pdf", io.BytesIO(b"%PDF-1.4\n%%EOF\n")),
        )
    db.session.remove()
    assert db.session.scalar(sa.text("SELECT count(*) FROM attachments")) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BankAnswer)) == 0
    assert db.session.get(Guarantee, gid).expiry_date == date(2027, 6, 1)
