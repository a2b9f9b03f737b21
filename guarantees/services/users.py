"""Staff accounts: create one, change its role, disable or enable it; the register keeps an active admin.

Each function is one transaction. The same rules serve the admin pages and `flask users create`: a username
is unique whatever its case, a password has at least MIN_PASSWORD characters, and the last active admin can
be neither demoted nor disabled.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from guarantees.domain import email
from guarantees.domain.labels import LANGUAGE_LABELS
from guarantees.models import User
from guarantees.models.user import ROLES
from guarantees.repositories import users as accounts_repo
from guarantees.services.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from guarantees.services.transaction import unit_of_work

__all__ = [
    "MAX_PASSWORD",
    "MAX_USERNAME",
    "MIN_PASSWORD",
    "ROLES",
    "accounts",
    "change_role",
    "create",
    "set_active",
    "set_email",
    "set_locale",
]

MIN_PASSWORD = 8
LANGUAGES = tuple(LANGUAGE_LABELS)
MAX_PASSWORD = 200
MAX_USERNAME = 80


def validate(username: str, role: str, password: str) -> str:
    """The username as stored (trimmed), or the first reason the account cannot be made."""
    username = (username or "").strip()
    if not username or len(username) > MAX_USERNAME:
        raise ValidationFailed(_("A username has 1 to %(max)d characters.", max=MAX_USERNAME), field="username")
    if not MIN_PASSWORD <= len(password or "") <= MAX_PASSWORD:
        raise ValidationFailed(
            _("A password has %(min)d to %(max)d characters.", min=MIN_PASSWORD, max=MAX_PASSWORD), field="password"
        )
    _role(role)
    return username


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
        account.role = role
    return account


def set_active(user_id: int, active: bool, *, user: str | None) -> User:
    """Disable an account (it can no longer sign in) or enable it again; nobody disables themselves."""
    with unit_of_work() as session:
        account = _account(user_id)
        if not active and account.username == user:
            raise RuleViolation(_("You cannot disable your own account."), field="active")
        if not active and account.role == "admin" and not _other_active_admins(session, user_id):
            raise RuleViolation(_("The register needs at least one active admin."), field="active")
        account.active = active
    return account


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
