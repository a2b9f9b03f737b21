"""The security audit log: sign-ins, sign-outs, sessions ended, account changes and exports, append-only."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from guarantees.domain.security import EVENT_KINDS
from guarantees.models.base import Base, utcnow

__all__ = ["EVENT_KINDS", "SecurityEvent"]


class SecurityEvent(Base):
    """One event: when, what, the account it concerns (or the name typed at a failed sign-in), who did it, from
    which address, and its particulars. Append-only: UPDATE and DELETE are refused by triggers on both databases."""

    __tablename__ = "security_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(sa.String(32), index=True)
    username: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    actor: Mapped[str | None] = mapped_column(sa.String(80))  # None: the register itself (a timeout) or a command
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    detail: Mapped[dict | None] = mapped_column(sa.JSON)
