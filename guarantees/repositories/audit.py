"""Reads of the security audit log: one page of events, newest first, filtered by kind, user and time."""

from datetime import datetime

import sqlalchemy as sa

from guarantees.models.audit import SecurityEvent
from guarantees.repositories.pages import Page, paginate


def events(
    *,
    kind: str | None = None,
    user: str | None = None,
    since: datetime | None = None,
    before: datetime | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """Events of one kind (or all), concerning or done by one user (any case), from `since` up to but not
    including `before` (naive UTC); newest first."""
    query = sa.select(SecurityEvent)
    if kind:
        query = query.where(SecurityEvent.kind == kind)
    if user:
        name = user.strip().lower()
        query = query.where(
            sa.or_(sa.func.lower(SecurityEvent.username) == name, sa.func.lower(SecurityEvent.actor) == name)
        )
    if since is not None:
        query = query.where(SecurityEvent.at >= since)
    if before is not None:
        query = query.where(SecurityEvent.at < before)
    return paginate(query.order_by(SecurityEvent.at.desc(), SecurityEvent.id.desc()), page, per_page)
