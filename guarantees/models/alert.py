"""Expiry alerts: each run of the daily digest, what it announced to whom, and the in-app copy for each user."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from guarantees.models.base import Base, utcnow

# The threshold recorded for a guarantee announced as expired (not released) rather than as expiring soon.
EXPIRED_THRESHOLD = 0


class AlertRun(Base):
    """One real run of `flask alerts send` (a dry run records nothing): when, for which day, how it went."""

    __tablename__ = "alert_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    today: Mapped[date] = mapped_column(sa.Date)
    sent: Mapped[int] = mapped_column(sa.Integer, default=0)
    failed: Mapped[int] = mapped_column(sa.Integer, default=0)
    run_by: Mapped[str] = mapped_column(sa.String(80))


class AlertAnnouncement(Base):
    """A guarantee announced to one recipient at one threshold. Append-only (database trigger).

    Unique per guarantee, expiry date, threshold and recipient, so that two runs racing announce it once. The
    expiry date belongs to the key: a guarantee extended after its 30-day alert is announced again, at 30 days
    before its new expiry.
    """

    __tablename__ = "alert_announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    guarantee_id: Mapped[int] = mapped_column(sa.ForeignKey("guarantees.id"))
    expiry_date: Mapped[date] = mapped_column(sa.Date)
    threshold: Mapped[int] = mapped_column(sa.Integer)  # days; EXPIRED_THRESHOLD for "expired, not released"
    recipient: Mapped[str] = mapped_column(sa.String(320))  # "user:<id>" or an e-mail address (lower case)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("alert_runs.id"), index=True)
    announced_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("guarantee_id", "expiry_date", "threshold", "recipient"),
        sa.CheckConstraint("threshold >= 0", name="threshold"),
    )


class Notification(Base):
    """One line of a user's digest, shown in the app until read; or a note that mentions the user (note_id set:
    no threshold, days left or expiry date, and a guarantee only when the note is on one)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    guarantee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("guarantees.id"), index=True)
    threshold: Mapped[int | None] = mapped_column(sa.Integer)
    days_left: Mapped[int | None] = mapped_column(sa.Integer)
    expiry_date: Mapped[date | None] = mapped_column(sa.Date)  # as announced: an extension later does not rewrite it
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    note_id: Mapped[int | None] = mapped_column(sa.ForeignKey("notes.id"))

    # The header counts a user's unread ones on every page; the page lists them newest first.
    __table_args__ = (
        sa.Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
        sa.CheckConstraint(
            "(note_id IS NULL AND guarantee_id IS NOT NULL AND threshold IS NOT NULL AND days_left IS NOT NULL "
            "AND expiry_date IS NOT NULL) OR (note_id IS NOT NULL AND threshold IS NULL AND days_left IS NULL "
            "AND expiry_date IS NULL)",
            name="kind",
        ),
    )
