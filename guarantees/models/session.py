"""Signed-in sessions kept in the database, and the sign-in attempts that throttle guessing.

The browser's cookie carries only a session's token; the row keeps its SHA-256 (a stolen copy of this table opens
no session), when it began, was last seen and must end, and why it ended. Every worker reads the same rows, so
a sign-out, a timeout or an admin's "end session" holds everywhere at once.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from guarantees.domain.security import END_REASONS
from guarantees.models.base import Base, utcnow

__all__ = ["END_REASONS", "SignInAttempt", "UserSession"]


class UserSession(Base):
    """One signed-in browser: open while ended_at is NULL, last_seen_at recent enough and expires_at ahead."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)  # sha256 hex of the cookie's token
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)  # written at most once a minute
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime)  # the absolute end, whatever the activity
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    ended_reason: Mapped[str | None] = mapped_column(sa.String(16))

    __table_args__ = (
        sa.Index("ix_user_sessions_user_id_ended_at", "user_id", "ended_at"),
        sa.CheckConstraint(
            "ended_reason IN ('logout', 'idle', 'expired', 'password', 'role', 'disabled', 'admin')",
            name="ended_reason",
        ),
    )


class SignInAttempt(Base):
    """One checked sign-in: the name typed (lower case, whether or not an account has it), the address, the
    outcome. Refusals before any check are not attempts (they are in the security log)."""

    __tablename__ = "sign_in_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    username: Mapped[str] = mapped_column(sa.String(80))
    ip: Mapped[str] = mapped_column(sa.String(45))
    known: Mapped[bool] = mapped_column(sa.Boolean)  # an account has this name
    outcome: Mapped[str] = mapped_column(sa.String(8))

    __table_args__ = (
        sa.Index("ix_sign_in_attempts_username_at", "username", "at"),
        sa.Index("ix_sign_in_attempts_ip_at", "ip", "at"),
        sa.CheckConstraint("outcome IN ('success', 'failure')", name="outcome"),
    )
