"""The daily expiry digest (`flask alerts send`): per recipient, the guarantees reaching an alert threshold and
those expired but not released, each announced once per threshold and expiry date, by e-mail and in the app.

A guarantee due for several thresholds at once (never announced, 5 days left) is announced at the smallest only
(7): the larger ones have passed. A recipient's announcements and notifications are recorded, in one
transaction, only once that recipient's e-mail was accepted by the mail server, so a failed recipient is tried
again by the next run; a second run on the same day finds nothing new. The unique key on the announcements keeps
two racing runs from recording one twice.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from guarantees import clock
from guarantees.domain import bank_answers, expiry
from guarantees.models import AlertAnnouncement, AlertRun, Notification
from guarantees.models.alert import EXPIRED_THRESHOLD
from guarantees.models.base import utcnow
from guarantees.repositories import alerts as repo
from guarantees.repositories.bank_answers import WaitingLetter, waiting_letters
from guarantees.services import alert_mail, settings
from guarantees.services.transaction import unit_of_work

log = logging.getLogger(__name__)
ANNOUNCEMENT_KEY = ("guarantee_id", "expiry_date", "threshold", "recipient")


@dataclass(frozen=True)
class Recipient:
    """Who receives a digest: a user (in the app, and by e-mail when they have an address) or a listed address."""

    key: str  # as recorded on the announcements: "user:<id>" or the address
    name: str  # as reported: the address, or the username of a user without one
    email: str | None
    user_id: int | None
    locale: str


@dataclass(frozen=True)
class Line:
    """One guarantee in a digest."""

    guarantee_id: int
    number: str
    supplier: str | None
    bank: str | None
    expiry_date: date
    days_left: int
    threshold: int  # EXPIRED_THRESHOLD (0): expired, not released

    @property
    def expired(self) -> bool:
        return self.threshold == EXPIRED_THRESHOLD


@dataclass
class Digest:
    recipient: Recipient
    lines: list[Line]
    # Letters waiting for the bank's answer longer than the setting (bank_wait_days), the longest first.
    waiting: list[WaitingLetter] = field(default_factory=list)


@dataclass
class Outcome:
    """What a run found and did; `failed` holds (recipient name, reason) for each digest not delivered."""

    today: date
    digests: list[Digest]
    dry_run: bool
    sent: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    def as_json(self) -> dict:
        """The shape `flask alerts send --json` prints."""
        return {
            "today": self.today.isoformat(),
            "digests": [
                {
                    "recipient": digest.recipient.name,
                    "guarantees": [
                        {
                            "number": line.number,
                            "expiry_date": line.expiry_date.isoformat(),
                            "days_left": line.days_left,
                            "threshold": line.threshold,
                        }
                        for line in digest.lines
                    ],
                }
                | _waiting_json(digest)
                for digest in self.digests
            ],
            "sent": self.sent,
        }


def _waiting_json(digest: Digest) -> dict:
    """The letters waiting for the bank in a digest's JSON, when it names any."""
    if not digest.waiting:
        return {}
    return {
        "waiting_letters": [
            {
                "number": letter.number,
                "action": letter.action_type,
                "reference": letter.reference,
                "issued_on": letter.issued_on.isoformat(),
                "days_waiting": letter.days_waiting,
            }
            for letter in digest.waiting
        ]
    }


def recipients(chosen: settings.AlertSettings) -> list[Recipient]:
    """Every active editor and admin, or the listed addresses, as the settings say."""
    default = current_app.config["DEFAULT_LOCALE"]
    if chosen.recipients == settings.ADDRESS_LIST:
        return [Recipient(address, address, address, None, default) for address in chosen.addresses]
    return [
        Recipient(f"user:{user.id}", user.email or user.username, user.email, user.id, user.locale or default)
        for user in repo.editors()
    ]


def threshold(days_left: int, thresholds: tuple[int, ...]) -> int | None:
    """The threshold a guarantee is announced at today: EXPIRED_THRESHOLD once expired, else the smallest reached."""
    return EXPIRED_THRESHOLD if days_left < 0 else expiry.threshold(days_left, thresholds)


def digests(today: date | None = None) -> list[Digest]:
    """Each recipient's digest for `today` (default: today in APP_TIMEZONE): what was not yet announced to them.
    Recipients with nothing new are left out."""
    today = today or clock.today()
    chosen = settings.alert_settings()
    furthest = max(chosen.thresholds)
    lines = []
    for row in repo.due(today, furthest):
        days = expiry.days_left(row.expiry_date, today)
        reached = threshold(days, chosen.thresholds)
        if reached is not None:
            lines.append(Line(row.id, row.number, row.supplier, row.bank, row.expiry_date, days, reached))
    lines.sort(key=lambda line: (not line.expired, line.days_left, line.number))
    done = repo.announced(today, furthest) if lines else set()
    waiting, newly_overdue = overdue_letters(today)
    found = []
    for recipient in recipients(chosen):
        new = [line for line in lines if (recipient.key, line.guarantee_id, line.threshold) not in done]
        if new or newly_overdue:
            found.append(Digest(recipient, new, waiting))
    return found


def overdue_letters(today: date) -> tuple[list[WaitingLetter], bool]:
    """The letters waiting for the bank's answer longer than the setting, and whether one of them became overdue
    since the last real run (a digest goes out for that alone; the others ride along with expiry lines)."""
    wait_days = settings.bank_wait_days()
    waiting = [
        letter for letter in waiting_letters(day=today) if bank_answers.overdue(letter.issued_on, today, wait_days)
    ]
    last = repo.last_run()
    since = last.today if last is not None else None
    newly = any(since is None or letter.issued_on + timedelta(days=wait_days + 1) > since for letter in waiting)
    return waiting, newly


def send(today: date | None = None, *, dry_run: bool = False, run_by: str = "cli") -> Outcome:
    """Deliver each digest: the e-mail, then (only if it was accepted) its announcements and notifications.

    A dry run sends and records nothing; a real run is recorded (alert_runs) even when it finds nothing, so the
    dashboard can say when the digest last ran.
    """
    today = today or clock.today()
    outcome = Outcome(today, digests(today), dry_run)
    if dry_run:
        return outcome
    with unit_of_work() as session:
        run = AlertRun(today=today, run_by=run_by, sent=0, failed=0, started_at=utcnow())
        session.add(run)
    run_id = run.id
    for digest in outcome.digests:
        reason = _deliver(digest, today, run_id)
        if reason is None:
            outcome.sent += 1
        else:
            outcome.failed.append((digest.recipient.name, reason))
    with unit_of_work() as session:
        session.execute(
            sa.update(AlertRun)
            .where(AlertRun.id == run_id)
            .values(finished_at=utcnow(), sent=outcome.sent, failed=len(outcome.failed))
        )
    return outcome


def _deliver(digest: Digest, today: date, run_id: int) -> str | None:
    """Send one digest and record it; the reason it failed, or None."""
    recipient = digest.recipient
    if recipient.email:
        try:
            lines = [*digest.lines, *digest.waiting]  # the templates tell a waiting letter by its `waiting`
            alert_mail.send(alert_mail.message(recipient.email, recipient.locale, lines, today))
        except (smtplib.SMTPException, OSError) as error:
            log.warning("alert digest to %s not sent: %s", recipient.name, error)
            return str(error) or type(error).__name__
    try:
        _record(digest, run_id)
    except sa.exc.SQLAlchemyError as error:
        log.error("alert digest to %s sent but not recorded (the next run sends it again): %s", recipient.name, error)
        return f"not recorded: {error}"
    return None


def _record(digest: Digest, run_id: int) -> None:
    """The digest's announcements, and for a user their notifications, in one transaction. A line another run
    recorded meanwhile is skipped (its unique key), and gets no second notification."""
    recipient = digest.recipient
    if not digest.lines:
        return  # letters waiting for the bank only: nothing announced per threshold
    rows = [
        {
            "guarantee_id": line.guarantee_id,
            "expiry_date": line.expiry_date,
            "threshold": line.threshold,
            "recipient": recipient.key,
            "run_id": run_id,
            "announced_at": utcnow(),
        }
        for line in digest.lines
    ]
    with unit_of_work() as session:
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        statement = (
            insert(AlertAnnouncement.__table__)
            .on_conflict_do_nothing(index_elements=ANNOUNCEMENT_KEY)
            .returning(AlertAnnouncement.guarantee_id, AlertAnnouncement.threshold)
        )
        recorded = set(session.execute(statement, rows).tuples())
        if recipient.user_id is None:
            return
        session.add_all(
            Notification(
                user_id=recipient.user_id,
                guarantee_id=line.guarantee_id,
                threshold=line.threshold,
                days_left=line.days_left,
                expiry_date=line.expiry_date,
                created_at=utcnow(),
            )
            for line in digest.lines
            if (line.guarantee_id, line.threshold) in recorded
        )
