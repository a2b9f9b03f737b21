"""Signing in and out: server-side sessions, their timeouts, and the throttling of password guessing.

Sessions. A sign-in makes a random 256-bit token; the browser's signed cookie carries it and nothing else that
names the user, and the database keeps its SHA-256 (`user_sessions`). Each request finds the session by that
hash: it is refused once ended (sign-out, password, role or account change, an admin), idle for
SESSION_IDLE_MINUTES or older than SESSION_MAX_HOURS. last_seen_at is written at most once a minute.

Throttling, in the database so that every worker sees the same counts (`sign_in_attempts`, 15-minute window):
- per name typed (an account's or not, so a refusal says nothing of whether the account exists): after
  ACCOUNT_FREE_FAILURES failures, the next attempt waits 32 s, doubling with each further failure, at most
  15 minutes. The failures counted are the name's from every address, except at an address the account signed
  in from in the last 30 days, which counts only its own: an attacker elsewhere does not lock the real user out.
- per address, for names no account has: after ADDRESS_FREE_FAILURES such failures the address's failed
  sign-ins are answered with the same wait (for any name, so that the answer does not tell which names exist),
  while a right password still signs in: guessing names from a proxy everyone shares locks nobody out.
A refusal checks no password. Every checked attempt hashes the password once, against a dummy hash of the same
method when no account has the name, so a known and an unknown name cost the same.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_timedelta
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from guarantees.models import User
from guarantees.models.base import utcnow
from guarantees.models.session import SignInAttempt, UserSession
from guarantees.repositories import users as accounts_repo
from guarantees.services import audit
from guarantees.services.errors import Conflict, DomainError, NotFound
from guarantees.services.transaction import unit_of_work

__all__ = [
    "BadCredentials", "SignInRefused", "SignedIn", "digest", "end_session", "end_sessions", "open_sessions",
    "resume", "sign_in", "sign_out", "verify_password",
]  # fmt: skip

TOKEN_BYTES = 32  # 256 bits
TOUCH_EVERY = timedelta(minutes=1)
WINDOW = timedelta(minutes=15)
FAMILIAR_FOR = timedelta(days=30)  # an address the account signed in from this recently counts only its own failures
ACCOUNT_FREE_FAILURES = 5
ADDRESS_FREE_FAILURES = 10
FIRST_WAIT_EXPONENT = 5  # the first refusal waits 2**5 = 32 seconds
MAX_WAIT = 15 * 60  # seconds
MAX_NAME = 80


class SignInRefused(DomainError):
    """Too many failed sign-ins: try again after `wait` seconds (the message says so, and nothing else)."""

    def __init__(self, wait: int) -> None:
        shown = format_timedelta(timedelta(seconds=wait), granularity="second", threshold=1.0)
        super().__init__(_("Too many failed sign-ins. Wait %(wait)s and try again.", wait=shown))
        self.wait = wait


class BadCredentials(DomainError):
    """A wrong name or password (which of the two is not said)."""

    def __init__(self) -> None:
        super().__init__(_("Wrong username or password."))


@dataclass(frozen=True)
class SignedIn:
    """A new session: the account, and the token for its cookie (never stored as such)."""

    user: User
    token: str


def digest(token: str) -> str:
    """The stored id of a session: the SHA-256 of its token, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def idle_timeout() -> timedelta:
    return timedelta(minutes=int(current_app.config.get("SESSION_IDLE_MINUTES", 30)))


def max_age() -> timedelta:
    return timedelta(hours=int(current_app.config.get("SESSION_MAX_HOURS", 12)))


def wait_after(failures: int, last: datetime | None, free: int, now: datetime) -> int:
    """Seconds still to wait after `failures` failures, the latest at `last`: none up to `free` failures, then
    32 s, doubling with each further failure, at most MAX_WAIT."""
    if failures < free or last is None:
        return 0
    delay = min(2 ** (failures - free + FIRST_WAIT_EXPONENT), MAX_WAIT)
    return max(0, ceil((last + timedelta(seconds=delay) - now).total_seconds()))


def _dummy_hash() -> str:
    """A hash of a random password by the method new passwords get (PASSWORD_HASH_METHOD or werkzeug's default),
    made once per app: what an unknown name's password is checked against."""
    method = current_app.config.get("PASSWORD_HASH_METHOD")
    made = current_app.extensions.setdefault("dummy_password_hash", {})
    if method not in made:
        made[method] = generate_password_hash(secrets.token_urlsafe(16), **({"method": method} if method else {}))
    return made[method]


def _name_wait(name_key: str, ip: str, now: datetime) -> tuple[int, accounts_repo.Failures]:
    seen = accounts_repo.failures(name_key, ip, now - WINDOW, now - FAMILIAR_FOR)
    if seen.familiar:
        return wait_after(seen.here, seen.here_last, ACCOUNT_FREE_FAILURES, now), seen
    return wait_after(seen.anywhere, seen.anywhere_last, ACCOUNT_FREE_FAILURES, now), seen


def sign_in(username: str, password: str, *, ip: str | None, user_agent: str | None) -> SignedIn:
    """A new session for the account named, or SignInRefused (wait first) or BadCredentials; each outcome is
    recorded (attempts and the security log), in one transaction."""
    name = (username or "").strip()[:MAX_NAME]
    name_key = name.lower()[:MAX_NAME]  # lower() can lengthen a name ("İ")
    ip = (ip or "unknown")[:45]
    now = utcnow()
    wait, seen = _name_wait(name_key, ip, now)
    if wait:
        with unit_of_work() as session:
            audit.record(session, "sign_in_refused", username=name, actor=None, ip=ip, wait=wait)
        raise SignInRefused(wait)
    account = accounts_repo.by_username(name)
    matches = check_password_hash(account.password_hash if account is not None else _dummy_hash(), password or "")
    succeeded = account is not None and matches and account.is_active
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with unit_of_work() as session:
        session.add(
            SignInAttempt(
                at=now, username=name_key, ip=ip, known=account is not None,
                outcome="success" if succeeded else "failure",
            )
        )  # fmt: skip
        if succeeded:
            session.add(
                UserSession(
                    id=digest(token), user_id=account.id, created_at=now, last_seen_at=now,
                    expires_at=now + max_age(), ip=ip, user_agent=(user_agent or "")[:255] or None,
                )
            )  # fmt: skip
            audit.record(session, "sign_in", username=account.username, actor=account.username, ip=ip)
            # Attempts older than the longest look-back are of no more use.
            session.execute(sa.delete(SignInAttempt).where(SignInAttempt.at < now - FAMILIAR_FOR))
        else:
            wait = wait_after(seen.unknown_here, seen.unknown_here_last, ADDRESS_FREE_FAILURES, now)
            reason = "unknown" if account is None else ("disabled" if matches else "password")
            audit.record(session, "sign_in_failed", username=name, actor=None, ip=ip, reason=reason, wait=wait or None)
    if succeeded:
        return SignedIn(account, token)
    if wait:
        raise SignInRefused(wait)
    raise BadCredentials()


def verify_password(account: User, password: str, *, ip: str | None) -> bool:
    """Whether `password` is the account's (a signed-in user confirming a change), throttled and counted like a
    sign-in: a stolen session cannot guess the password faster than the sign-in page allows."""
    ip = (ip or "unknown")[:45]
    now = utcnow()
    name_key = account.username.lower()[:MAX_NAME]
    wait, _seen = _name_wait(name_key, ip, now)
    if wait:
        raise SignInRefused(wait)
    if check_password_hash(account.password_hash, password or ""):
        return True
    with unit_of_work() as session:
        session.add(SignInAttempt(at=now, username=name_key, ip=ip, known=True, outcome="failure"))
    return False


def _timed_out(row: UserSession, now: datetime) -> str | None:
    if row.expires_at <= now:
        return "expired"
    if row.last_seen_at + idle_timeout() <= now:
        return "idle"
    return None


def resume(token: object) -> User | None:
    """The account of the open session this token names, or None. A session found timed out is ended (and
    logged); one in use is marked seen, at most once a minute."""
    if not isinstance(token, str) or not 16 <= len(token) <= 128:
        return None
    found = accounts_repo.session_user(digest(token))
    if found is None:
        return None
    row, account, unread = found
    now = utcnow()
    reason = _timed_out(row, now) or (None if account.is_active else "disabled")
    session_id, username = row.id, account.username
    if reason:
        try:
            with unit_of_work() as session:
                _end(session, session.get(UserSession, session_id), reason, username=username, actor=None, now=now)
        except (Conflict, sa.exc.OperationalError):
            pass  # the database is busy: the session is refused all the same, and ended by a later request
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        try:
            with unit_of_work() as session:
                session.execute(
                    sa.update(UserSession)
                    .where(UserSession.id == session_id, UserSession.ended_at.is_(None))
                    .values(last_seen_at=now)
                )
        except (Conflict, sa.exc.OperationalError):
            pass  # the database is busy: a later request marks the session seen (it has a minute's margin)
    account.unread_notifications = unread
    return account


def _end(session: Session, row: UserSession | None, reason: str, *, username: str, actor: str | None, now) -> bool:
    """End one session (if still open), with the event that says why."""
    if row is None or row.ended_at is not None:
        return False
    row.ended_at = now
    row.ended_reason = reason
    kind = "sign_out" if reason == "logout" else "session_ended"
    audit.record(
        session, kind, username=username, actor=actor, reason=reason, session_id=row.id[:12], session_ip=row.ip
    )
    return True


def end_sessions(session: Session, account: User, reason: str, *, actor: str | None, keep: str | None = None) -> int:
    """Inside the caller's unit of work: end every session of `account` but the one whose token is `keep`
    (a session already timed out is ended with its own reason); how many were still open."""
    now = utcnow()
    kept = digest(keep) if isinstance(keep, str) else None
    query = session.query(UserSession).filter(UserSession.user_id == account.id, UserSession.ended_at.is_(None))
    ended = 0
    for row in query.all():
        if row.id == kept:
            continue
        own = _timed_out(row, now)
        ended += _end(session, row, own or reason, username=account.username, actor=actor, now=now) and not own
    return ended


def sign_out(token: object, *, user: str | None) -> None:
    """End the session this token names (a copy of the cookie opens nothing afterwards)."""
    if not isinstance(token, str) or len(token) > 128:
        return
    with unit_of_work() as session:
        row = session.get(UserSession, digest(token))
        if row is not None:
            account = session.get(User, row.user_id)
            _end(session, row, "logout", username=account.username, actor=user, now=utcnow())


def end_session(user_id: int, session_id: str | None, *, user: str | None) -> int:
    """An admin ends one session of an account (its id), or all of them (None); how many were open."""
    with unit_of_work() as session:
        account = accounts_repo.get(user_id)
        if account is None:
            raise NotFound(_("No such user."))
        if session_id is None:
            return end_sessions(session, account, "admin", actor=user)
        row = session.get(UserSession, session_id)
        if row is None or row.user_id != account.id:
            raise NotFound(_("No such session."))
        now = utcnow()
        if row.ended_at is not None or _timed_out(row, now):
            return 0
        return int(_end(session, row, "admin", username=account.username, actor=user, now=now))


def open_sessions(user_id: int | None = None) -> dict[int, list[UserSession]]:
    """The sessions open now, per account (of one account, or of all)."""
    now = utcnow()
    found: dict[int, list[UserSession]] = {}
    for row in accounts_repo.open_sessions(now, now - idle_timeout(), user_id):
        found.setdefault(row.user_id, []).append(row)
    return found
