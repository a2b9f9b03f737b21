"""Staff accounts and their roles."""

from datetime import datetime

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from guarantees.models.base import Base, utcnow

ROLES = ("viewer", "editor", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16), default="viewer")
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    locale: Mapped[str | None] = mapped_column(sa.String(8))  # the interface language the user chose
    email: Mapped[str | None] = mapped_column(sa.String(254))  # where the expiry alerts go (none: in the app only)
    # Set by an admin's password reset: every page leads to the password form until the user chose their own.
    must_change_password: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())

    __table_args__ = (
        sa.CheckConstraint("role IN ('viewer', 'editor', 'admin')", name="role"),
        sa.CheckConstraint("locale IN ('ar', 'en')", name="locale"),
    )

    # Set by the sign-in's own query (repositories.users.signed_in) for the header; not a column.
    unread_notifications = 0

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    def set_password(self, password: str) -> None:
        # PASSWORD_HASH_METHOD is not read from the environment (config.py): only a test suite sets a cheaper
        # method for its throw-away accounts; every deployment hashes with werkzeug's default (scrypt).
        method = current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None
        self.password_hash = generate_password_hash(password, **({"method": method} if method else {}))

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def can(self, role: str) -> bool:
        """True when the user's role is at least `role`."""
        return ROLE_RANK.get(self.role, -1) >= ROLE_RANK[role]
