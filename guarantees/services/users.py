"""Staff accounts: create one, change its role, disable or enable it, change or reset a password; the register
keeps an active admin.

Each function is one transaction, and records what it did in the security log. The same rules serve the admin
pages and `flask users ...`: a username is unique whatever its case, a password follows domain.passwords (at
least MIN_PASSWORD characters, not a common one, not the username), and the last active admin can be neither
demoted nor disabled. A new role, a disabled account, a reset password or a changed one end the account's
sessions (all of them, but the one a user changes their own password from).
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from guarantees.domain import email, passwords
from guarantees.domain.labels import LANGUAGE_LABELS
from guarantees.domain.passwords import MAX_PASSWORD, MIN_PASSWORD
from guarantees.models import User
from guarantees.models.user import ROLES
from guarantees.repositories import users as accounts_repo
from guarantees.services import audit, auth
from guarantees.services.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from guarantees.services.transaction import unit_of_work

__all__ = [
    "MAX_PASSWORD",
    "MAX_USERNAME",
    "MIN_PASSWORD",
    "ROLES",
    "accounts",
    "change_password",
    "change_role",
    "check_password",
    "create",
    "find",
    "reset_password",
    "set_active",
    "set_email",
    "set_locale",
]

LANGUAGES = tuple(LANGUAGE_LABELS)
MAX_USERNAME = 80
# Temporary passwords an admin's reset makes: 16 letters and digits that cannot be mistaken for one another.
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TEMPORARY_LENGTH = 16


def validate(username: str, role: str, password: str) -> str:
    """The username as stored (trimmed), or the first reason the account cannot be made."""
    username = (username or "").strip()
    if not username or len(username) > MAX_USERNAME:
        raise ValidationFailed(_("A username has 1 to %(max)d characters.", max=MAX_USERNAME), field="username")
    check_password(password, username)
    _role(role)
    return username


def check_password(password: str, username: str | None, *, field: str = "password") -> None:
    """ValidationFailed, on `field`, when the password breaks a rule of domain.passwords."""
    problem = passwords.problem(password, username)
    if problem:
        raise ValidationFailed(problem, field=field)


def _role(role: str) -> str:
    if role not in ROLES:
        raise ValidationFailed(_("Unknown role “%(role)s”.", role=role), field="role")
    return role


def _taken(session: Session, username: str) -> User | None:
    """An account whose name is this one in any case ('Clerk' and 'clerk' are one person)."""
    return session.scalar(sa.select(User).where(sa.func.lower(User.username) == username.lower()))


def _other_active_admins(session: Session, user_id: int) -> int:
    query = sa.select(sa.func.count()).where(User.role == "admin", User.active.is_(True), User.id != user_id)
    return session.scalar(query) or 0


def _account(user_id: int) -> User:
    account = accounts_repo.get(user_id)
    if account is None:
        raise NotFound(_("No such user."))
    return account


def create(username: str, role: str, password: str, *, user: str | None) -> User:
    """A new, active account with a role; the password is stored hashed; refused if the name exists in any case."""
    username = validate(username, role, password)
    with unit_of_work() as session:
        existing = _taken(session, username)
        if existing is not None:
            raise ValidationFailed(
                _("User %(name)s exists already (as %(existing)s).", name=username, existing=existing.username),
                field="username",
            )
        account = User(username=username, role=role, active=True)
        account.set_password(password)
        session.add(account)
        try:
            session.flush()
        except sa.exc.IntegrityError as error:  # created in another case between the check and the write
            raise Conflict(_("User %(name)s was created by someone else just now.", name=username)) from error
        audit.record(session, "account_created", username=username, actor=user, role=role)
    return account


def change_role(user_id: int, role: str, *, user: str | None) -> User:
    """Give an account another role; the last active admin keeps theirs."""
    _role(role)
    with unit_of_work() as session:
        account = _account(user_id)
        if (
            account.role == "admin"
            and role != "admin"
            and account.active
            and not _other_active_admins(session, user_id)
        ):
            raise RuleViolation(_("The register needs at least one active admin."), field="role")
        if account.role != role:
            audit.record(session, "role_changed", username=account.username, actor=user, old=account.role, new=role)
            account.role = role
            auth.end_sessions(session, account, "role", actor=user)
    return account


def set_active(user_id: int, active: bool, *, user: str | None) -> User:
    """Disable an account (it can no longer sign in) or enable it again; nobody disables themselves."""
    with unit_of_work() as session:
        account = _account(user_id)
        if not active and account.username == user:
            raise RuleViolation(_("You cannot disable your own account."), field="active")
        if not active and account.role == "admin" and not _other_active_admins(session, user_id):
            raise RuleViolation(_("The register needs at least one active admin."), field="active")
        if bool(account.active) != active:
            kind = "account_enabled" if active else "account_disabled"
            audit.record(session, kind, username=account.username, actor=user)
            account.active = active
            if not active:
                auth.end_sessions(session, account, "disabled", actor=user)
    return account


def change_password(user_id: int, current: str, new: str, *, keep: str | None, ip: str | None = None) -> User:
    """A user's own new password: the current one first (throttled like a sign-in), the new one by the rules and
    unlike the current. Ends the user's other sessions (`keep`: the token of the one they changed it from) and
    lifts a reset's must_change_password."""
    account = _account(user_id)
    if not auth.verify_password(account, current, ip=ip):
        raise ValidationFailed(_("The current password is not right."), field="current")
    check_password(new, account.username, field="new")
    if new == current:
        raise ValidationFailed(_("Choose a password other than the current one."), field="new")
    with unit_of_work() as session:
        account = _account(user_id)
        account.set_password(new)
        account.must_change_password = False
        audit.record(session, "password_changed", username=account.username, actor=account.username, ip=ip)
        auth.end_sessions(session, account, "password", actor=account.username, keep=keep)
    return account


def temporary_password() -> str:
    """A random password for a reset, shown once to the admin: TEMPORARY_LENGTH characters, about 79 bits."""
    return "".join(secrets.choice(TEMPORARY_ALPHABET) for _index in range(TEMPORARY_LENGTH))


def reset_password(user_id: int, password: str | None, *, user: str | None) -> tuple[User, str | None]:
    """An admin sets another account's password, typed (by the rules) or, when None or blank, a temporary one
    made here and returned to be shown once. The account must choose its own at its next sign-in; its sessions
    end."""
    account = _account(user_id)
    if user is not None and account.username == user:
        raise RuleViolation(_("Change your own password under Change password."), field="password")
    temporary = None
    if not password:
        password = temporary = temporary_password()
    check_password(password, account.username)
    with unit_of_work() as session:
        account = _account(user_id)
        account.set_password(password)
        account.must_change_password = True
        audit.record(session, "password_reset", username=account.username, actor=user, temporary=temporary is not None)
        auth.end_sessions(session, account, "password", actor=user)
    return account, temporary


def set_email(user_id: int, address: str | None, *, user: str | None) -> User:
    """The address an account's expiry alerts are mailed to (blank: none, the alerts stay in the app)."""
    address = (address or "").strip()
    if address:
        try:
            address = email.parse_address(address)
        except ValueError:
            raise ValidationFailed(
                _("“%(address)s” is not an e-mail address.", address=address), field="email"
            ) from None
    with unit_of_work():
        account = _account(user_id)
        account.email = address or None
    return account


def find(username: str) -> User:
    """The account with exactly this name (what the commands name), or NotFound."""
    account = accounts_repo.by_username(username or "")
    if account is None:
        raise NotFound(_("No such user."))
    return account


def accounts() -> list[User]:
    """Every account, by name (what `flask users list` prints)."""
    return accounts_repo.list_all()


def set_locale(user_id: int, locale: str) -> None:
    """Remember the interface language a user chose (one of LANGUAGES), for every later session."""
    if locale not in LANGUAGES:
        raise ValidationFailed(_("Choose Arabic or English."), field="locale")
    with unit_of_work() as session:
        account = session.get(User, user_id)
        if account is None:
            raise NotFound(_("No such user."))
        account.locale = locale
