"""Reads of staff accounts: the admin list, one account, the account a sign-in names, the session a cookie names,
open sessions, and the recent sign-in attempts that throttle guessing."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from guarantees.domain.ids import is_id
from guarantees.extensions import db
from guarantees.models import User
from guarantees.models.session import SignInAttempt, UserSession
from guarantees.repositories import alerts


def get(user_id: int) -> User | None:
    """One staff account by id (None for an id no row can have)."""
    return db.session.get(User, user_id) if is_id(user_id) else None


def session_user(session_id: str) -> tuple[UserSession, User, int] | None:
    """The session with this id if not ended, its account, and the account's unread notifications (the header
    shows them), in one query; None when no such session is open."""
    query = (
        sa.select(UserSession, User, alerts.unread_count(User.id))
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.id == session_id, UserSession.ended_at.is_(None))
    )
    row = db.session.execute(query).first()
    return tuple(row) if row is not None else None


def open_clause(now: datetime, idle_since: datetime):
    """The sessions still open at `now`: not ended, seen since `idle_since`, before their absolute end."""
    return sa.and_(UserSession.ended_at.is_(None), UserSession.last_seen_at >= idle_since, UserSession.expires_at > now)


def open_sessions(now: datetime, idle_since: datetime, user_id: int | None = None) -> list[UserSession]:
    """Open sessions (of one account, or of all), the most recently active first."""
    query = sa.select(UserSession).where(open_clause(now, idle_since))
    if user_id is not None:
        query = query.where(UserSession.user_id == user_id)
    return list(db.session.scalars(query.order_by(UserSession.last_seen_at.desc(), UserSession.id)))


@dataclass(frozen=True)
class Failures:
    """Failed sign-ins since a moment: for one name from one address, for the name from anywhere, and for names
    no account has from the address; each with its latest. `familiar`: the name signed in from this address
    recently."""

    here: int
    here_last: datetime | None
    anywhere: int
    anywhere_last: datetime | None
    unknown_here: int
    unknown_here_last: datetime | None
    familiar: bool


def failures(username: str, ip: str, since: datetime, familiar_since: datetime) -> Failures:
    """The failed sign-ins that throttle the next attempt of `username` (lower case) from `ip`, in one query."""
    failed = SignInAttempt.outcome == "failure"
    name = SignInAttempt.username == username
    here = SignInAttempt.ip == ip
    unknown = sa.and_(failed, here, SignInAttempt.known.is_(False))

    def count(condition):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    def latest(condition):
        return sa.func.max(sa.case((condition, SignInAttempt.at)))

    success = aliased(SignInAttempt)
    familiar = (
        sa.select(success.id)
        .where(success.username == username, success.ip == ip, success.outcome == "success")
        .where(success.at >= familiar_since)
        .exists()
    )
    query = sa.select(
        count(sa.and_(failed, name, here)),
        latest(sa.and_(failed, name, here)),
        count(sa.and_(failed, name)),
        latest(sa.and_(failed, name)),
        count(unknown),
        latest(unknown),
        familiar,
    ).where(SignInAttempt.at >= since, sa.or_(name, here))
    row = db.session.execute(query).one()
    return Failures(int(row[0]), row[1], int(row[2]), row[3], int(row[4]), row[5], bool(row[6]))


def list_all() -> list[User]:
    """Every staff account, by name (case ignored)."""
    return list(db.session.scalars(sa.select(User).order_by(sa.func.lower(User.username), User.id)))


def by_username(username: str) -> User | None:
    """The account signing in with this username, exactly as it was created."""
    return db.session.scalar(sa.select(User).where(User.username == username.strip()))
