"""The daily expiry digest: which threshold each guarantee is announced at, once, and only once it was sent."""

import smtplib
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from guarantees import clock
from guarantees.extensions import db
from guarantees.models import AlertAnnouncement, AlertRun, Notification
from guarantees.services import actions, alert_mail, alerts, settings, users
from guarantees.services.errors import ValidationFailed


@pytest.fixture
def today(app) -> date:
    """The register's day (clock.today(): a suite may fix it), which the services' own rules compare with."""
    return clock.today()


def due_in(today: date, days: int) -> str:
    return (today + timedelta(days=days)).isoformat()


def outbox(app) -> list:
    return app.extensions["mailman"].__dict__.setdefault("outbox", [])


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def editor(make_user):
    user = make_user("clerk", "editor")
    return users.set_email(user.id, " Clerk@Example.org ", user="admin")


def lines_of(outcome, recipient: str) -> dict[str, int]:
    (digest,) = [d for d in outcome.digests if d.recipient.name == recipient]
    return {line.number: line.threshold for line in digest.lines}


def test_each_guarantee_is_announced_at_the_smallest_threshold_it_reached(today, app, editor, make_guarantee):
    for number, days in (("FAR", 91), ("T90", 90), ("T60", 45), ("T7", 5), ("DUE-0", 0), ("LATE", -3)):
        make_guarantee(number, expiry_date=due_in(today, days))
    released = make_guarantee("GONE", expiry_date=due_in(today, -10))
    actions.release(released.id, user="clerk")
    outcome = alerts.send(today)
    assert lines_of(outcome, "clerk@example.org") == {"T90": 90, "T60": 60, "T7": 7, "DUE-0": 7, "LATE": 0}
    (digest,) = outcome.digests
    assert [line.number for line in digest.lines] == ["LATE", "DUE-0", "T7", "T60", "T90"]  # most urgent first
    assert outcome.sent == 1 and not outcome.failed
    assert count(AlertAnnouncement) == 5 and count(Notification) == 5
    run = db.session.scalar(sa.select(AlertRun))
    assert (run.today, run.sent, run.failed, run.finished_at is not None) == (today, 1, 0, True)


def test_a_second_run_sends_nothing_new_and_the_next_threshold_is_announced_later(today, app, editor, make_guarantee):
    make_guarantee("G-1", expiry_date=due_in(today, 31))
    first = alerts.send(today)
    assert lines_of(first, "clerk@example.org") == {"G-1": 60}
    again = alerts.send(today)
    assert again.digests == [] and again.sent == 0
    assert len(outbox(app)) == 1
    assert alerts.send(today + timedelta(days=1)).digests[0].lines[0].threshold == 30
    assert alerts.send(today + timedelta(days=40)).digests[0].lines[0].threshold == 0  # expired, not released
    assert alerts.send(today + timedelta(days=41)).digests == []
    assert len(outbox(app)) == 3 and count(AlertRun) == 5


def test_an_extended_guarantee_is_announced_again_before_its_new_expiry(today, app, editor, make_guarantee):
    guarantee = make_guarantee("EXT-1", expiry_date=due_in(today, 20))
    alerts.send(today)
    actions.extend(guarantee.id, new_expiry=due_in(today, 60), user="clerk")
    assert lines_of(alerts.send(today), "clerk@example.org") == {"EXT-1": 60}


def test_a_failed_recipient_has_nothing_recorded_and_gets_the_digest_next_time(
    today, app, editor, make_user, make_guarantee, monkeypatch
):
    other = users.set_email(make_user("chief", "admin").id, "chief@example.org", user="admin")
    make_guarantee("G-2", expiry_date=due_in(today, 3))
    real_send = alert_mail.send

    def refuse_chief(email):
        if email.to == ["chief@example.org"]:
            raise smtplib.SMTPRecipientsRefused({"chief@example.org": (550, b"mailbox unavailable")})
        real_send(email)

    monkeypatch.setattr(alert_mail, "send", refuse_chief)
    outcome = alerts.send(today)
    assert outcome.sent == 1 and [name for name, _ in outcome.failed] == ["chief@example.org"]
    recorded = set(db.session.execute(sa.select(AlertAnnouncement.recipient)).scalars())
    assert recorded == {f"user:{editor.id}"}
    assert db.session.scalar(sa.select(sa.func.count()).where(Notification.user_id == other.id)) == 0
    assert db.session.scalar(sa.select(AlertRun.failed)) == 1
    monkeypatch.setattr(alert_mail, "send", real_send)
    retried = alerts.send(today)
    assert [d.recipient.name for d in retried.digests] == ["chief@example.org"] and retried.sent == 1


def test_a_dry_run_sends_and_records_nothing(today, app, editor, make_guarantee):
    make_guarantee("G-3", expiry_date=due_in(today, -1))
    outcome = alerts.send(today, dry_run=True)
    assert lines_of(outcome, "clerk@example.org") == {"G-3": 0} and outcome.sent == 0
    assert outbox(app) == []
    assert count(AlertRun) == count(AlertAnnouncement) == count(Notification) == 0


def test_listed_addresses_get_e_mail_only_and_users_without_one_get_the_app_only(today, app, make_user, make_guarantee):
    viewer, nomail = make_user("reader", "viewer"), make_user("nomail", "editor")
    make_guarantee("G-4", expiry_date=due_in(today, 6))
    assert [d.recipient.name for d in alerts.digests(today)] == ["nomail"]  # editors and admins, not viewers
    outcome = alerts.send(today)
    assert outcome.sent == 1 and outbox(app) == []
    assert db.session.scalar(sa.select(Notification.user_id)) == nomail.id and viewer.id != nomail.id

    settings.save_alert_settings("30, 7", settings.ADDRESS_LIST, "Treasury@Example.org; audit@example.org", user="a")
    outcome = alerts.send(today)
    assert [d.recipient.name for d in outcome.digests] == ["treasury@example.org", "audit@example.org"]
    assert [email.to for email in outbox(app)] == [["treasury@example.org"], ["audit@example.org"]]
    assert count(Notification) == 1


def test_the_thresholds_setting_decides_and_is_checked(today, app, editor, make_guarantee):
    make_guarantee("G-5", expiry_date=due_in(today, 12))
    settings.save_alert_settings("14 3", settings.EDITORS, "", user="admin")
    assert settings.alert_settings().thresholds == (14, 3)
    assert lines_of(alerts.send(today, dry_run=True), "clerk@example.org") == {"G-5": 14}
    for thresholds, recipients, addresses, field in (
        ("90, x", settings.EDITORS, "", "thresholds"),
        ("0", settings.EDITORS, "", "thresholds"),
        ("30", "everyone", "", "recipients"),
        ("30", settings.ADDRESS_LIST, "", "addresses"),
        ("30", settings.ADDRESS_LIST, "not-an-address", "addresses"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            settings.save_alert_settings(thresholds, recipients, addresses, user="admin")
        assert refused.value.field == field
    assert settings.alert_settings().thresholds == (14, 3)


def test_two_runs_racing_record_a_line_once(today, app, editor, make_guarantee):
    make_guarantee("G-6", expiry_date=due_in(today, 2))
    (digest,) = alerts.digests(today)
    runs = []
    for _ in range(2):
        run = AlertRun(today=today, run_by="test", sent=0, failed=0)
        db.session.add(run)
        db.session.commit()
        runs.append(run.id)
    alerts._record(digest, runs[0])
    alerts._record(digest, runs[1])  # the second run computed the same digest before the first recorded it
    assert count(AlertAnnouncement) == 1 and count(Notification) == 1
