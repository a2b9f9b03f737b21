"""Actions (extension, release, reduction) and the sessions that group them; issued ones are immutable."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from guarantees.models.base import Base, Money, utcnow

ACTION_TYPES = ("extension", "release", "reduction", "modification", "void")
# The actions whose letters wait for the bank's answer, and which a void may correct.
ANSWERED_TYPES = ("extension", "release", "reduction")


class ActionSession(Base):
    __tablename__ = "action_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_date: Mapped[date | None] = mapped_column(sa.Date, index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    total_actions: Mapped[int] = mapped_column(sa.Integer, default=0)
    issued_actions: Mapped[int] = mapped_column(sa.Integer, default=0)
    is_locked: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    locked_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    origin: Mapped[str] = mapped_column(sa.String(10), default="app")
    created_by: Mapped[str | None] = mapped_column(sa.String(80))
    issued_by: Mapped[str | None] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)

    actions: Mapped[list["GuaranteeAction"]] = relationship(
        back_populates="session", order_by="GuaranteeAction.id", lazy="raise_on_sql"
    )

    # Set by services.actions.start_session for the page that follows, not a column: the guarantees an extension
    # left out, as (number, expired|released) pairs.
    skipped = ()

    __table_args__ = (sa.CheckConstraint("origin IN ('app', 'legacy')", name="origin"),)


class GuaranteeAction(Base):
    __tablename__ = "guarantee_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    guarantee_id: Mapped[int] = mapped_column(sa.ForeignKey("guarantees.id"), index=True)
    guarantee_number: Mapped[str] = mapped_column(sa.String(100))
    action_type: Mapped[str] = mapped_column(sa.String(20))
    action_session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("action_sessions.id"), index=True)
    action_date: Mapped[date | None] = mapped_column(sa.Date)
    previous_expiry_date: Mapped[date | None] = mapped_column(sa.Date)
    new_expiry_date: Mapped[date | None] = mapped_column(sa.Date)
    previous_amount: Mapped[Decimal | None] = mapped_column(Money)
    new_amount: Mapped[Decimal | None] = mapped_column(Money)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    supplier_id: Mapped[int | None] = mapped_column(sa.Integer)
    bank_id: Mapped[int | None] = mapped_column(sa.Integer)
    supplier_display_name: Mapped[str | None] = mapped_column(sa.Text)
    bank_display: Mapped[str | None] = mapped_column(sa.Text)
    action_status: Mapped[str] = mapped_column(sa.String(10), default="draft")
    is_locked: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    origin: Mapped[str] = mapped_column(sa.String(10), default="app")
    legacy_record_id: Mapped[int | None] = mapped_column(sa.Integer, unique=True)
    created_by: Mapped[str | None] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    issued_by: Mapped[str | None] = mapped_column(sa.String(80))
    issued_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    # The letter's reference number (BG/<year>/<id>), given when the action is issued; NULL on drafts and
    # on migrated actions, whose letters the legacy system wrote without one.
    reference: Mapped[str | None] = mapped_column(sa.String(32))
    # An admin's written reason for an extension the rules would refuse (the guarantee had expired: a bank that
    # already agreed in writing); NULL otherwise.
    override_reason: Mapped[str | None] = mapped_column(sa.Text)
    # A void names the issued action it corrects (one void per action); NULL on every other action.
    voids_action_id: Mapped[int | None] = mapped_column(sa.ForeignKey("guarantee_actions.id"))
    # a release voided by mistake opens the next round: one release per guarantee and round (see services/actions)
    release_round: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")

    session: Mapped[ActionSession | None] = relationship(back_populates="actions")
    guarantee = relationship("Guarantee", lazy="joined")

    __table_args__ = (
        sa.CheckConstraint(
            "action_type IN ('extension', 'release', 'reduction', 'modification', 'void')", name="action_type"
        ),
        sa.CheckConstraint(
            "(action_type = 'void' AND voids_action_id IS NOT NULL) OR "
            "(action_type <> 'void' AND voids_action_id IS NULL)",
            name="void_names_action",
        ),
        sa.CheckConstraint("action_status IN ('draft', 'issued')", name="action_status"),
        sa.CheckConstraint("origin IN ('app', 'legacy')", name="origin"),
        sa.CheckConstraint("action_status = 'draft' OR is_locked", name="issued_is_locked"),
        sa.CheckConstraint(
            "action_type <> 'extension' OR origin = 'legacy' OR "
            "(new_expiry_date IS NOT NULL AND "
            "(previous_expiry_date IS NULL OR new_expiry_date > previous_expiry_date))",
            name="extension_moves_forward",
        ),
        sa.CheckConstraint(
            "action_type <> 'reduction' OR origin = 'legacy' OR "
            "(new_amount > 0 AND (previous_amount IS NULL OR new_amount < previous_amount))",
            name="reduction_lowers_amount",
        ),
        # One release per guarantee and round; migrated history may hold the legacy system's repeated releases.
        sa.Index("ix_guarantee_actions_created_at_id", "created_at", "id"),  # the dashboard's recent actions
        sa.Index("uq_guarantee_actions_reference", "reference", unique=True),
        sa.Index("uq_guarantee_actions_voids_action_id", "voids_action_id", unique=True),
        sa.Index(
            "uq_guarantee_actions_one_release",
            "guarantee_id",
            "release_round",
            unique=True,
            sqlite_where=sa.text("action_type = 'release' AND origin = 'app'"),
            postgresql_where=sa.text("action_type = 'release' AND origin = 'app'"),
        ),
    )


class LetterPrint(Base):
    """A print of one or more letters: printing never changes an action, but it is logged."""

    __tablename__ = "letter_prints"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_ids: Mapped[list] = mapped_column(sa.JSON)
    action_session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("action_sessions.id"))
    language: Mapped[str] = mapped_column(sa.String(5), default="ar")
    printed_by: Mapped[str | None] = mapped_column(sa.String(80))
    printed_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)


class LetterPrintAction(Base):
    """Which actions a print covered, one row each, so a guarantee's prints are found by index (append-only)."""

    __tablename__ = "letter_print_actions"

    letter_print_id: Mapped[int] = mapped_column(sa.ForeignKey("letter_prints.id"), primary_key=True)
    action_id: Mapped[int] = mapped_column(sa.ForeignKey("guarantee_actions.id"), primary_key=True, index=True)


class LegacyDaySession(Base):
    """The legacy import_sessions row that collects a day's actions and edits (dual-write)."""

    __tablename__ = "legacy_day_sessions"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    import_session_id: Mapped[int] = mapped_column(sa.Integer)
