"""Extension, release and reduction: issued at once, or prepared as drafts in a session and issued together."""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from guarantees.clock import add_years, local_day, today
from guarantees.domain import fields as rules
from guarantees.domain import labels
from guarantees.domain.descriptions import describe
from guarantees.models import ActionSession, Guarantee, GuaranteeAction
from guarantees.models.base import utcnow
from guarantees.services.dualwrite import DualWriteAdapter
from guarantees.services.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from guarantees.services.fields import parse_field
from guarantees.services.transaction import unit_of_work

REFERENCE_PREFIX = "BG"


def letter_reference(action_id: int, issued_on: date) -> str:
    """BG/<year issued>/<action id, six digits>: unique and never reused, since issued actions are never deleted."""
    return f"{REFERENCE_PREFIX}/{issued_on.year}/{action_id:06d}"


def _guarantee(session: Session, guarantee_id: int, *, for_update: bool = False) -> Guarantee:
    query = sa.select(Guarantee).where(Guarantee.id == guarantee_id)
    if for_update:
        query = query.with_for_update(of=Guarantee)
    guarantee = session.scalar(query)
    if guarantee is None:
        raise NotFound(_("No such guarantee."))
    return guarantee


def _check_version(guarantee: Guarantee, expected_version: int | None) -> None:
    if expected_version is not None and guarantee.version != expected_version:
        raise Conflict(
            _(
                "Guarantee %(number)s was changed by someone else since you opened it. "
                "Nothing was issued; reload it and try again.",
                number=guarantee.guarantee_number,
            )
        )


def default_extension(guarantee: Guarantee) -> date | None:
    """The new expiry an extension proposes: the current one plus a year, as the letters say."""
    return add_years(guarantee.expiry_date) if guarantee.expiry_date else None


def _parse_date(raw: object, default: date | None) -> date:
    value = parse_field("expiry_date", raw) if raw not in (None, "") else default
    if value is None:
        raise ValidationFailed(
            _("The guarantee has no expiry date: give the new expiry date."), field="new_expiry_date"
        )
    return value


def _parse_amount(raw: object) -> Decimal:
    value = parse_field("amount", raw)
    if value is None:
        raise ValidationFailed(_("Give the new, lower amount."), field="new_amount")
    return value


def validate(guarantee: Guarantee, action_type: str, *, new_expiry: date | None, new_amount: Decimal | None) -> None:
    """The rules of DESIGN §3, checked against the guarantee as it is now."""
    if guarantee.status == "released":
        raise RuleViolation(
            _(
                "Guarantee %(number)s has been released: no further %(kind)s.",
                number=guarantee.guarantee_number,
                kind=labels.label("action_type", action_type).lower(),
            )
        )
    if action_type == "extension":
        if guarantee.expiry_date and new_expiry <= guarantee.expiry_date:
            raise RuleViolation(
                _(
                    "An extension moves the expiry forward: %(new)s is not after the current expiry %(current)s.",
                    new=new_expiry.isoformat(),
                    current=guarantee.expiry_date.isoformat(),
                ),
            )
    elif action_type == "reduction":
        if guarantee.amount is None:
            raise RuleViolation(_("The guarantee has no amount to reduce."))
        if not Decimal(0) < new_amount < guarantee.amount:
            raise RuleViolation(
                _(
                    "A reduction lowers the amount and keeps it positive: %(new)s is not between 0 "
                    "and the current %(current)s.",
                    new=new_amount,
                    current=guarantee.amount,
                )
            )
    elif action_type != "release":
        raise ValidationFailed(_("Unknown action %(kind)s.", kind=repr(action_type)))


def _new_action(guarantee: Guarantee, action_type: str, new_expiry, new_amount, notes, user) -> GuaranteeAction:
    return GuaranteeAction(
        guarantee_id=guarantee.id,
        guarantee_number=guarantee.guarantee_number,
        action_type=action_type,
        action_date=today(),
        previous_expiry_date=guarantee.expiry_date,
        new_expiry_date=new_expiry if action_type == "extension" else guarantee.expiry_date,
        previous_amount=guarantee.amount,
        new_amount=new_amount if action_type == "reduction" else guarantee.amount,
        notes=notes,
        supplier_id=guarantee.supplier_id,
        bank_id=guarantee.bank_id,
        supplier_display_name=guarantee.supplier_label,
        bank_display=guarantee.bank_label,
        action_status="draft",
        is_locked=False,
        origin="app",
        created_by=user,
    )


def _apply(session: Session, action: GuaranteeAction, guarantee: Guarantee, user: str | None) -> None:
    """Issue an action: lock it, then change the guarantee (the database checks that order)."""
    action.previous_expiry_date = guarantee.expiry_date
    action.previous_amount = guarantee.amount
    if action.action_type != "extension":
        action.new_expiry_date = guarantee.expiry_date
    if action.action_type != "reduction":
        action.new_amount = guarantee.amount
    adapter = DualWriteAdapter(session)
    try:
        if action.id is None:
            session.add(action)
            session.flush()  # written as a draft first: the letter's reference is made of the action's id
        action.legacy_record_id = adapter.reserve_id()  # linked both ways, though the action is locked from now on
        action.action_status = "issued"
        action.is_locked = True
        action.issued_by = user
        action.issued_at = utcnow()
        # In the UPDATE that issues it, never after; the year is the letter's date's (services/letters.py).
        action.reference = letter_reference(action.id, local_day(action.issued_at))
        session.flush()
    except sa.exc.IntegrityError as error:
        if action.action_type == "release":
            raise RuleViolation(
                _("Guarantee %(number)s has already been released.", number=guarantee.guarantee_number)
            ) from error
        raise
    if action.action_type == "extension":
        guarantee.expiry_date = action.new_expiry_date
    elif action.action_type == "reduction":
        guarantee.amount = action.new_amount
    else:
        guarantee.status = "released"
    if not guarantee.is_locked:
        guarantee.is_locked = True
        guarantee.lock_reason = rules.lock_reason("action", action.action_type)
    session.flush()
    adapter.record_action(action, guarantee)


def _issue_now(guarantee_id, action_type, *, new_expiry=None, new_amount=None, notes=None, user, version=None):
    with unit_of_work() as session:
        guarantee = _guarantee(session, guarantee_id, for_update=True)
        _check_version(guarantee, version)
        if action_type == "extension":
            new_expiry = _parse_date(new_expiry, default_extension(guarantee))
        if action_type == "reduction":
            new_amount = _parse_amount(new_amount)
        validate(guarantee, action_type, new_expiry=new_expiry, new_amount=new_amount)
        action = _new_action(guarantee, action_type, new_expiry, new_amount, notes, user)
        _apply(session, action, guarantee, user)
    return action


def extend(guarantee_id: int, new_expiry=None, *, user: str | None, notes: str | None = None, version=None):
    """Issue an extension now (default: current expiry + 1 year)."""
    return _issue_now(guarantee_id, "extension", new_expiry=new_expiry, notes=notes, user=user, version=version)


def release(guarantee_id: int, *, user: str | None, notes: str | None = None, version=None):
    """Issue a release now; a guarantee is released once."""
    return _issue_now(guarantee_id, "release", notes=notes, user=user, version=version)


def reduce(guarantee_id: int, new_amount, *, user: str | None, notes: str | None = None, version=None):
    """Issue a reduction now: the amount goes down and stays positive."""
    return _issue_now(guarantee_id, "reduction", new_amount=new_amount, notes=notes, user=user, version=version)


# -- action sessions: drafts prepared together, issued together ----------------------------------------------------


def _open_session(session: Session, session_id: int) -> ActionSession:
    found = session.get(ActionSession, session_id)
    if found is None:
        raise NotFound(_("No such action session."))
    if found.is_locked:
        raise RuleViolation(_("This session has been issued and is locked."))
    return found


def create_session(description: str | None, *, user: str | None) -> ActionSession:
    """A new, empty session for today."""
    with unit_of_work() as session:
        found = ActionSession(
            session_date=today(),
            description=parse_field("comment", description) or describe("actions", day=today().isoformat()),
            total_actions=0,
            issued_actions=0,
            is_locked=False,
            created_by=user,
        )
        session.add(found)
    return found


def _draft(session, action_session, guarantee_id, action_type, new_expiry, new_amount, user) -> GuaranteeAction:
    guarantee = _guarantee(session, guarantee_id)
    if action_type == "extension":
        new_expiry = _parse_date(new_expiry, default_extension(guarantee))
    if action_type == "reduction":
        new_amount = _parse_amount(new_amount)
    validate(guarantee, action_type, new_expiry=new_expiry, new_amount=new_amount)
    if action_type == "release" and session.scalar(
        sa.select(GuaranteeAction.id).where(
            GuaranteeAction.guarantee_id == guarantee.id,
            GuaranteeAction.action_type == "release",
            GuaranteeAction.origin == "app",
        )
    ):
        raise RuleViolation(
            _("A release of %(number)s is already prepared or issued.", number=guarantee.guarantee_number)
        )
    action = _new_action(guarantee, action_type, new_expiry, new_amount, None, user)
    action.action_session_id = action_session.id
    session.add(action)
    session.flush()
    action_session.total_actions = (action_session.total_actions or 0) + 1
    return action


def add_drafts(session_id: int, guarantee_ids: list[int], action_type: str, *, user, new_expiry=None, new_amount=None):
    """Prepare the same action for several guarantees as drafts of one session; all or none."""
    with unit_of_work() as session:
        action_session = _open_session(session, session_id)
        return [
            _draft(session, action_session, gid, action_type, new_expiry, new_amount, user) for gid in guarantee_ids
        ]


def start_session(guarantee_ids: list[int], action_type: str, *, user, new_expiry=None, description=None):
    """A new session holding one draft per guarantee (the list pages' "extend/release selected")."""
    if not guarantee_ids:
        raise ValidationFailed(_("Select at least one guarantee."))
    with unit_of_work() as session:
        action_session = ActionSession(
            session_date=today(),
            description=parse_field("comment", description) or describe(action_type, day=today().isoformat()),
            total_actions=0,
            issued_actions=0,
            is_locked=False,
            created_by=user,
        )
        session.add(action_session)
        session.flush()
        for gid in dict.fromkeys(guarantee_ids):
            _draft(session, action_session, gid, action_type, new_expiry, None, user)
    return action_session


def _draft_in_open_session(session: Session, action_id: int) -> GuaranteeAction:
    action = session.get(GuaranteeAction, action_id)
    if action is None or action.action_session_id is None:
        raise NotFound(_("No such draft action."))
    if action.action_status != "draft":
        raise RuleViolation(_("This action has been issued and can no longer change."))
    _open_session(session, action.action_session_id)
    return action


def remove_draft(action_id: int, *, user: str | None) -> int:
    """Take a draft out of its session; returns the session id."""
    with unit_of_work() as session:
        action = _draft_in_open_session(session, action_id)
        session_id = action.action_session_id
        session.delete(action)
        session.execute(
            sa.update(ActionSession)
            .where(ActionSession.id == session_id)
            .values(total_actions=ActionSession.total_actions - 1)
        )
    return session_id


def change_draft_date(action_id: int, new_expiry, *, user: str | None) -> GuaranteeAction:
    """Change the new expiry date of a draft extension."""
    with unit_of_work() as session:
        action = _draft_in_open_session(session, action_id)
        if action.action_type != "extension":
            raise ValidationFailed(_("Only an extension has a new expiry date."))
        guarantee = _guarantee(session, action.guarantee_id)
        new_expiry = _parse_date(new_expiry, default_extension(guarantee))
        validate(guarantee, "extension", new_expiry=new_expiry, new_amount=None)
        action.new_expiry_date = new_expiry
    return action


def issue_session(session_id: int, *, user: str | None) -> ActionSession:
    """Issue every draft of a session at once, then lock the session; any refusal issues nothing."""
    with unit_of_work() as session:
        action_session = _open_session(session, session_id)
        if current_app.config.get("FOUR_EYES") and action_session.created_by == user:
            raise RuleViolation(_("Four-eyes rule: a session must be issued by someone other than who prepared it."))
        drafts = session.scalars(
            sa.select(GuaranteeAction)
            .where(GuaranteeAction.action_session_id == session_id, GuaranteeAction.action_status == "draft")
            .order_by(GuaranteeAction.id)
        ).all()
        if not drafts:
            raise RuleViolation(_("This session has no draft actions to issue."))
        for action in drafts:
            guarantee = _guarantee(session, action.guarantee_id, for_update=True)
            try:
                validate(guarantee, action.action_type, new_expiry=action.new_expiry_date, new_amount=action.new_amount)
            except RuleViolation as error:
                raise RuleViolation(
                    _(
                        "%(number)s: %(reason)s Nothing was issued.",
                        number=guarantee.guarantee_number,
                        reason=error.message,
                    )
                ) from error
            _apply(session, action, guarantee, user)
        action_session.issued_actions = len(drafts)
        action_session.total_actions = len(drafts)
        action_session.issued_by = user
        action_session.is_locked = True
        action_session.locked_at = utcnow()
    return action_session
