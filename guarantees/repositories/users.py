"""Reads of staff accounts: the admin list, one account, and the account a sign-in names."""

import sqlalchemy as sa

from guarantees.domain.ids import is_id
from guarantees.extensions import db
from guarantees.models import User
from guarantees.repositories import alerts


def get(user_id: int) -> User | None:
    """One staff account by id (None for an id no row can have)."""
    return db.session.get(User, user_id) if is_id(user_id) else None


def signed_in(user_id: int) -> User | None:
    """The account a session names, its unread notifications counted in the same query (the header shows them)."""
    if not is_id(user_id):
        return None
    row = db.session.execute(sa.select(User, alerts.unread_count(user_id)).where(User.id == user_id)).first()
    if row is None:
        return None
    account, unread = row
    account.unread_notifications = unread
    return account


def list_all() -> list[User]:
    """Every staff account, by name (case ignored)."""
    return list(db.session.scalars(sa.select(User).order_by(sa.func.lower(User.username), User.id)))


def by_username(username: str) -> User | None:
    """The account signing in with this username, exactly as it was created."""
    return db.session.scalar(sa.select(User).where(User.username == username.strip()))
