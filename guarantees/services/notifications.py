"""A user's in-app alerts: opening a page of them marks the ones it shows as read."""

import sqlalchemy as sa

from guarantees.models import Notification
from guarantees.models.base import utcnow
from guarantees.repositories import alerts as repo
from guarantees.repositories.pages import Page
from guarantees.services.transaction import unit_of_work

PER_PAGE = 50


def open_page(user_id: int, page: int = 1, per_page: int | None = None) -> Page:
    """One page of the user's notifications, newest first, as they were before opening (unread ones have no
    read_at); those it shows are marked read in the same transaction, so the page and the count agree."""
    with unit_of_work() as session:
        found = repo.notifications(user_id, page, per_page or PER_PAGE)
        unread = [row.id for row in found.items if row.read_at is None]
        if unread:
            session.execute(
                sa.update(Notification)
                .where(Notification.id.in_(unread), Notification.user_id == user_id, Notification.read_at.is_(None))
                .values(read_at=utcnow())
            )
    return found
