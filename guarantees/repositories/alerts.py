"""Reads for the expiry alerts: what may be announced on a day, what was, to whom, and each user's notifications."""

from datetime import date

import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import AlertAnnouncement, AlertRun, Guarantee, Note, Notification, User
from guarantees.repositories import expiry
from guarantees.repositories.pages import Page, paginate

SUPPLIER = sa.func.coalesce(Guarantee.supplier_display_name, Guarantee.raw_supplier_name)
BANK = sa.func.coalesce(Guarantee.bank_display, Guarantee.raw_bank_name)


def _due(today: date, furthest: int):
    """Not released, and expired or expiring within the furthest threshold."""
    return sa.or_(expiry.expired(today), expiry.expiring_within(furthest, today))


def due(today: date, furthest: int) -> list[sa.Row]:
    """The guarantees an alert may name today (id, number, supplier, bank, expiry_date), soonest expiry first."""
    query = (
        sa.select(
            Guarantee.id,
            Guarantee.guarantee_number.label("number"),
            SUPPLIER.label("supplier"),
            BANK.label("bank"),
            Guarantee.expiry_date,
        )
        .where(_due(today, furthest))
        .order_by(Guarantee.expiry_date, Guarantee.guarantee_number)
    )
    return list(db.session.execute(query))


def announced(today: date, furthest: int) -> set[tuple[str, int, int]]:
    """(recipient, guarantee id, threshold) already announced for the due guarantees' current expiry dates."""
    query = (
        sa.select(AlertAnnouncement.recipient, AlertAnnouncement.guarantee_id, AlertAnnouncement.threshold)
        .join(
            Guarantee,
            sa.and_(
                Guarantee.id == AlertAnnouncement.guarantee_id, Guarantee.expiry_date == AlertAnnouncement.expiry_date
            ),
        )
        .where(_due(today, furthest))
    )
    return set(db.session.execute(query).tuples())


def editors() -> list[User]:
    """Every active editor and admin, by name: the recipients when the settings say "every editor"."""
    query = (
        sa.select(User)
        .where(User.active.is_(True), User.role.in_(("editor", "admin")))
        .order_by(sa.func.lower(User.username), User.id)
    )
    return list(db.session.scalars(query))


def last_run() -> AlertRun | None:
    """The latest real run of the digest."""
    return db.session.scalar(sa.select(AlertRun).order_by(AlertRun.started_at.desc(), AlertRun.id.desc()).limit(1))


def unread_count(user_id: int):
    """A user's unread notifications, as a scalar subquery (the sign-in's query carries it)."""
    return (
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )


def notifications(user_id: int, page: int, per_page: int) -> Page:
    """One page of a user's notifications, newest first, each with its guarantee's number, supplier and bank; a
    mention also with its note (author, text, and the batch or action session it is on)."""
    query = (
        sa.select(
            Notification.id,
            Notification.guarantee_id,
            Notification.threshold,
            Notification.days_left,
            Notification.expiry_date,
            Notification.created_at,
            Notification.read_at,
            Notification.note_id,
            Guarantee.guarantee_number.label("number"),
            SUPPLIER.label("supplier"),
            BANK.label("bank"),
            Note.body.label("note_body"),
            Note.created_by.label("note_by"),
            Note.import_batch_id.label("note_batch_id"),
            Note.action_session_id.label("note_session_id"),
        )
        .outerjoin(Guarantee, Guarantee.id == Notification.guarantee_id)
        .outerjoin(Note, Note.id == Notification.note_id)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return paginate(query, page, per_page, scalars=False)
