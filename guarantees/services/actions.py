"""Extension, release and reduction: issued at once, or prepared as drafts in a session and issued together.

Four-eyes (FOUR_EYES on) covers every way an action is issued: a single guarantee's action becomes a draft in a
session of its own, and whoever prepared a draft never issues it (`four_eyes_allows`, the rule's one home).
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session

from guarantees.clock import add_years, local_day, today
from guarantees.domain import expiry, labels
from guarantees.domain import fields as rules
from guarantees.domain.descriptions import describe
from guarantees.extensions import db
from guarantees.models import ActionSession, Guarantee, GuaranteeAction, User
from guarantees.models.base import utcnow
from guarantees.repositories import bank_answers as answers_repo
from guarantees.repositories.confirmation import fingerprint
from guarantees.services.dualwrite import DualWriteAdapter
from guarantees.services.errors import Conflict, DomainError, NotFound, RuleViolation, ValidationFailed
from guarantees.services.fields import parse_field, parse_notes
from guarantees.services.transaction import unit_of_work

REFERENCE_PREFIX = "BG"


def letter_reference(action_id: int, issued_on: date) -> str:
    """BG/<year issued>/<action id, six digits>: unique and never reused, since issued actions are never deleted."""
    return f"{REFERENCE_PREFIX}/{issued_on.year}/{action_id:06d}"


def _guarantee(session: Session, guarantee_id: int, *, for_update: bool = False) -> Guarantee:
    query = sa.select(Guarantee).where(Guarantee.id == guarantee_id)
    if for_update:
        # populate_existing: the row as the lock found it, not as an earlier read of this request left it (a
        # concurrent change in between would otherwise be checked against, and written over, a stale copy)
        query = query.with_for_update(of=Guarantee).execution_options(populate_existing=True)
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


def validate(
    guarantee: Guarantee,
    action_type: str,
    *,
    new_expiry: date | None,
    new_amount: Decimal | None,
    override_reason: str | None = None,
) -> None:
    """The rules of DESIGN §3 and §9, checked against the guarantee as it is now, on the register's day.

    An extension needs a guarantee that has not expired (unless an admin's written `override_reason` says the bank
    agreed) and a new expiry after both today and the current expiry."""
    if guarantee.status == "released":
        raise RuleViolation(
            _(
                "Guarantee %(number)s has been released: no further %(kind)s.",
                number=guarantee.guarantee_number,
                kind=labels.label("action_type", action_type).lower(),
            )
        )
    if action_type == "extension":
        day = today()
        if expiry.state(guarantee.status, guarantee.expiry_date, day) == expiry.EXPIRED and not override_reason:
            raise RuleViolation(
                _(
                    "Guarantee %(number)s expired on %(day)s: a bank does not extend a lapsed guarantee. Only an "
                    "administrator may extend it, giving the reason in writing (a bank that already agreed).",
                    number=guarantee.guarantee_number,
                    day=guarantee.expiry_date.isoformat(),
                ),
                field="override_reason",
            )
        if new_expiry <= day:
            raise ValidationFailed(
                _(
                    "The new expiry date %(new)s is not after today, %(today)s: a letter cannot extend a guarantee "
                    "into the past.",
                    new=new_expiry.isoformat(),
                    today=day.isoformat(),
                ),
                field="new_expiry",
            )
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


def new_action(guarantee: Guarantee, action_type: str, new_expiry, new_amount, notes, user) -> GuaranteeAction:
    """A draft of `action_type` on the guarantee as it stands (its values and its supplier and bank at this moment);
    an extension or a reduction changes what it names, every other kind keeps them."""
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


# -- four-eyes: the rule's one home ---------------------------------------------------------------------------------


def four_eyes_on() -> bool:
    """Whether an action must be issued by someone other than who prepared it (FOUR_EYES)."""
    return bool(current_app.config.get("FOUR_EYES"))


def four_eyes_allows(prepared_by: Iterable[str | None], user: str | None) -> bool:
    """Whether `user` may issue what `prepared_by` prepared (always, with four-eyes off)."""
    return not four_eyes_on() or user not in set(prepared_by)


def check_four_eyes(prepared_by: Iterable[str | None], user: str | None) -> None:
    """RuleViolation when four-eyes forbids `user` to issue what `prepared_by` prepared."""
    if not four_eyes_allows(prepared_by, user):
        raise RuleViolation(
            _(
                "Four-eyes rule: %(user)s prepared this, so another editor or administrator must issue it.",
                user=user or "—",
            )
        )


# -- the admin's override of the expired rule ----------------------------------------------------------------------


def _is_admin(session: Session, user: str | None) -> bool:
    role = session.scalar(sa.select(User.role).where(User.username == user, User.active.is_(True))) if user else None
    return role == "admin"


def _override(session: Session, guarantee: Guarantee, action_type: str, raw: object, user: str | None) -> str | None:
    """The written reason an admin gives to extend an expired guarantee; None when none is given or needed."""
    reason = parse_notes(raw)
    if reason is None or action_type != "extension":
        return None
    if expiry.state(guarantee.status, guarantee.expiry_date, today()) != expiry.EXPIRED:
        return None  # nothing to override: the rules allow the extension as it is
    if not _is_admin(session, user):
        raise RuleViolation(
            _("Only an administrator may extend an expired guarantee with a written reason."), field="override_reason"
        )
    return reason


def _prepared(session, guarantee, action_type, *, new_expiry, new_amount, notes, user, override_reason):
    """The action `action_type` would be on `guarantee` now, checked by every rule; not yet written."""
    if action_type == "extension":
        new_expiry = _parse_date(new_expiry, default_extension(guarantee))
    if action_type == "reduction":
        new_amount = _parse_amount(new_amount)
    reason = _override(session, guarantee, action_type, override_reason, user)
    validate(guarantee, action_type, new_expiry=new_expiry, new_amount=new_amount, override_reason=reason)
    action = new_action(guarantee, action_type, new_expiry, new_amount, notes, user)
    action.override_reason = reason
    if action_type == "release":
        action.release_round = _release_round(session, guarantee.id)
    return action


def _release_round(session: Session, guarantee_id: int) -> int:
    """The round a new release of the guarantee belongs to: how many of its releases were voided (one release per
    round; the database's unique index holds it)."""
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(GuaranteeAction)
        .where(
            GuaranteeAction.guarantee_id == guarantee_id,
            GuaranteeAction.action_type == "release",
            GuaranteeAction.origin == "app",
            answers_repo.voided(GuaranteeAction),
        )
    )


def plan(guarantee_id: int, action_type: str, *, user: str | None, version=None, **arguments) -> GuaranteeAction:
    """What issuing `action_type` now would send, checked by the same rules as the issue, written nowhere (the
    confirmation step shows it); DomainError when the issue would be refused."""
    if action_type not in ("extension", "release", "reduction"):
        raise ValidationFailed(_("Unknown action %(kind)s.", kind=repr(action_type)))
    session = db.session
    guarantee = _guarantee(session, guarantee_id)
    _check_version(guarantee, version)
    return _prepared(
        session,
        guarantee,
        action_type,
        new_expiry=arguments.get("new_expiry"),
        new_amount=arguments.get("new_amount"),
        notes=arguments.get("notes"),
        user=user,
        override_reason=arguments.get("override_reason"),
    )


def _issue_now(
    guarantee_id, action_type, *, new_expiry=None, new_amount=None, notes=None, user, version=None, override_reason=None
):
    """Issue the action, or, with four-eyes on, prepare it as the draft of a session of its own that someone else
    issues (the returned action's status says which)."""
    with unit_of_work() as session:
        guarantee = _guarantee(session, guarantee_id, for_update=True)
        _check_version(guarantee, version)
        if four_eyes_on():
            action_session = _new_session(session, action_type, None, user)
            return _draft(
                session,
                action_session,
                guarantee_id,
                action_type,
                new_expiry,
                new_amount,
                user,
                notes=notes,
                override_reason=override_reason,
            )
        action = _prepared(
            session,
            guarantee,
            action_type,
            new_expiry=new_expiry,
            new_amount=new_amount,
            notes=notes,
            user=user,
            override_reason=override_reason,
        )
        _apply(session, action, guarantee, user)
    return action


def extend(
    guarantee_id: int,
    new_expiry=None,
    *,
    user: str | None,
    notes: str | None = None,
    version=None,
    override_reason: str | None = None,
):
    """Issue an extension now (default: current expiry + 1 year); an admin extends an expired guarantee only with
    a written `override_reason`, kept on the action."""
    return _issue_now(
        guarantee_id,
        "extension",
        new_expiry=new_expiry,
        notes=notes,
        user=user,
        version=version,
        override_reason=override_reason,
    )


def release(guarantee_id: int, *, user: str | None, notes: str | None = None, version=None):
    """Issue a release now; a guarantee is released once."""
    return _issue_now(guarantee_id, "release", notes=notes, user=user, version=version)


def reduce(guarantee_id: int, new_amount, *, user: str | None, notes: str | None = None, version=None):
    """Issue a reduction now: the amount goes down and stays positive."""
    return _issue_now(guarantee_id, "reduction", new_amount=new_amount, notes=notes, user=user, version=version)


# -- action sessions: drafts prepared together, issued together ----------------------------------------------------


def _open_session(session: Session, session_id: int, *, for_update: bool = False) -> ActionSession:
    # for_update: issuing locks the session's row, so that two issues of one session queue and the second finds it
    # locked (a refusal) instead of racing the first to the same drafts
    found = session.get(ActionSession, session_id, with_for_update=for_update, populate_existing=for_update)
    if found is None:
        raise NotFound(_("No such action session."))
    if found.is_locked:
        raise RuleViolation(_("This session has been issued and is locked."))
    return found


def _new_session(session: Session, kind: str, description: str | None, user: str | None) -> ActionSession:
    found = ActionSession(
        session_date=today(),
        description=parse_field("comment", description) or describe(kind, day=today().isoformat()),
        total_actions=0,
        issued_actions=0,
        is_locked=False,
        created_by=user,
    )
    session.add(found)
    session.flush()
    return found


def create_session(description: str | None, *, user: str | None) -> ActionSession:
    """A new, empty session for today."""
    with unit_of_work() as session:
        found = _new_session(session, "actions", description, user)
    return found


def _draft(session, action_session, guarantee_id, action_type, new_expiry, new_amount, user, *, notes=None, **extra):
    # locked: the check below (one release per guarantee) and the insert are one step for concurrent preparers
    guarantee = _guarantee(session, guarantee_id, for_update=True)
    action = _prepared(
        session,
        guarantee,
        action_type,
        new_expiry=new_expiry,
        new_amount=new_amount,
        notes=notes,
        user=user,
        override_reason=extra.get("override_reason"),
    )
    if action_type == "release" and session.scalar(
        sa.select(GuaranteeAction.id).where(
            GuaranteeAction.guarantee_id == guarantee.id,
            GuaranteeAction.action_type == "release",
            GuaranteeAction.origin == "app",
            GuaranteeAction.release_round == action.release_round,
        )
    ):
        raise RuleViolation(
            _("A release of %(number)s is already prepared or issued.", number=guarantee.guarantee_number)
        )
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


def _not_extendable(session: Session, guarantee_ids: list[int]) -> dict[int, tuple[str, str]]:
    """Those of `guarantee_ids` no extension can apply to: id -> (number, state), state expired or released."""
    day = today()
    rows = session.execute(
        sa.select(Guarantee.id, Guarantee.guarantee_number, Guarantee.status, Guarantee.expiry_date).where(
            Guarantee.id.in_(guarantee_ids)
        )
    ).all()
    found = {}
    for row in rows:
        state = expiry.state(row.status, row.expiry_date, day)
        if state != expiry.ACTIVE:
            found[row.id] = (row.guarantee_number, state)
    return found


def skipped_message(skipped: list[tuple[str, str]]) -> str | None:
    """What a bulk extension says of the guarantees it left out ((number, expired|released) pairs), or None."""
    if not skipped:
        return None
    parts = []
    for state, reason in (
        (expiry.EXPIRED, _("expired: a bank does not extend a lapsed guarantee")),
        (expiry.RELEASED, _("released: a release is final")),
    ):
        numbers = [number for number, why in skipped if why == state]
        if numbers:
            parts.append(_("%(numbers)s (%(reason)s)", numbers=", ".join(numbers), reason=reason))
    return ngettext(
        "%(num)d guarantee was left out of the extension: %(which)s.",
        "%(num)d guarantees were left out of the extension: %(which)s.",
        len(skipped),
        which="; ".join(parts),
    )


def start_session(guarantee_ids: list[int], action_type: str, *, user, new_expiry=None, description=None):
    """A new session holding one draft per guarantee (the list pages' "extend/release selected").

    An extension leaves out the expired and released guarantees: the session's `skipped` lists them as (number,
    state) pairs (see `skipped_message`); when none is left, ValidationFailed says which and why."""
    if not guarantee_ids:
        raise ValidationFailed(_("Select at least one guarantee."))
    with unit_of_work() as session:
        ids = list(dict.fromkeys(guarantee_ids))
        left_out = _not_extendable(session, ids) if action_type == "extension" else {}
        skipped = [left_out[gid] for gid in ids if gid in left_out]
        ids = [gid for gid in ids if gid not in left_out]
        if not ids:
            raise ValidationFailed(skipped_message(skipped) or _("Select at least one guarantee."))
        action_session = _new_session(session, action_type, description, user)
        for gid in ids:
            _draft(session, action_session, gid, action_type, new_expiry, None, user)
    action_session.skipped = skipped
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
        validate(guarantee, "extension", new_expiry=new_expiry, new_amount=None, override_reason=action.override_reason)
        action.new_expiry_date = new_expiry
    return action


def _still_allowed(guarantee: Guarantee, action: GuaranteeAction) -> None:
    """A draft's rules checked again as it is issued (a draft made before expiry is not issued after it)."""
    try:
        validate(
            guarantee,
            action.action_type,
            new_expiry=action.new_expiry_date,
            new_amount=action.new_amount,
            override_reason=action.override_reason,
        )
    except DomainError as error:
        raise RuleViolation(
            _("%(number)s: %(reason)s Nothing was issued.", number=guarantee.guarantee_number, reason=error.message)
        ) from error


def _unchanged(pairs, expected: str | None) -> None:
    """Conflict when what is about to be issued is not what the confirmation showed (`expected` its fingerprint)."""
    if expected is not None and fingerprint(pairs) != expected:
        raise Conflict(
            _(
                "The letters changed since you confirmed them (a draft, a date or a guarantee was changed by "
                "someone else). Nothing was issued; check them again."
            )
        )


def _issuable_draft(session: Session, action_id: int, user: str | None, *, for_update: bool = False):
    """The draft and its session, when `user` may issue it now (refusals: not a draft, locked, four-eyes)."""
    query = sa.select(GuaranteeAction).where(GuaranteeAction.id == action_id)
    action = session.scalar(query)
    if action is None or action.action_session_id is None:
        raise NotFound(_("No such draft action."))
    # Locks in one order everywhere, the session's row first, then its action, then the guarantee (as issuing the
    # whole session does), so that issuing a draft and its session at once queue rather than deadlock.
    action_session = _open_session(session, action.action_session_id, for_update=for_update)
    if for_update:
        action = session.scalar(query.with_for_update(of=GuaranteeAction).execution_options(populate_existing=True))
    if action.action_status != "draft":
        raise RuleViolation(_("This action has been issued and can no longer change."))
    check_four_eyes([action_session.created_by, action.created_by], user)
    return action, action_session


def check_draft(action_id: int, *, user: str | None) -> None:
    """The refusals issuing this draft would meet before its rules (not a draft, locked, four-eyes); writes nothing."""
    _issuable_draft(db.session, action_id, user)


def issue_draft(action_id: int, *, user: str | None, expected: str | None = None) -> GuaranteeAction:
    """Issue one draft of a session (four-eyes: not by who prepared it); the session is locked with its last draft.
    `expected`: the fingerprint the confirmation showed, refused with Conflict when the draft changed since."""
    with unit_of_work() as session:
        action, action_session = _issuable_draft(session, action_id, user, for_update=True)
        guarantee = _guarantee(session, action.guarantee_id, for_update=True)
        _unchanged([(action, guarantee)], expected)
        _still_allowed(guarantee, action)
        _apply(session, action, guarantee, user)
        remaining = session.scalar(
            sa.select(sa.func.count())
            .select_from(GuaranteeAction)
            .where(GuaranteeAction.action_session_id == action_session.id, GuaranteeAction.action_status == "draft")
        )
        action_session.issued_actions = (action_session.issued_actions or 0) + 1
        if not remaining:
            action_session.issued_by = user
            action_session.is_locked = True
            action_session.locked_at = utcnow()
    return action


def _issuable_session(session: Session, session_id: int, user: str | None, *, for_update: bool = False):
    """The session and its drafts, when `user` may issue them now (refusals: locked, four-eyes, no draft)."""
    action_session = _open_session(session, session_id, for_update=for_update)
    drafts = session.scalars(
        sa.select(GuaranteeAction)
        .where(GuaranteeAction.action_session_id == session_id, GuaranteeAction.action_status == "draft")
        .order_by(GuaranteeAction.id)
    ).all()
    check_four_eyes(session_preparers(action_session, drafts), user)
    if not drafts:
        raise RuleViolation(_("This session has no draft actions to issue."))
    return action_session, drafts


def check_session(session_id: int, *, user: str | None) -> None:
    """The refusals issuing the session would meet before its drafts' rules (locked, four-eyes, no draft); writes
    nothing."""
    _issuable_session(db.session, session_id, user)


def session_preparers(action_session: ActionSession, drafts: Iterable[GuaranteeAction]) -> list[str | None]:
    """Who prepared a session's drafts: four-eyes keeps each of them from issuing it."""
    return [action_session.created_by, *(action.created_by for action in drafts)]


def issue_session(session_id: int, *, user: str | None, expected: str | None = None) -> ActionSession:
    """Issue every draft of a session at once, then lock the session; any refusal issues nothing. Four-eyes: not
    by who prepared the session or one of its drafts. `expected`: the fingerprint the confirmation showed, refused
    with Conflict when a draft or a guarantee changed since."""
    with unit_of_work() as session:
        action_session, drafts = _issuable_session(session, session_id, user, for_update=True)
        pairs = [(action, _guarantee(session, action.guarantee_id, for_update=True)) for action in drafts]
        _unchanged(pairs, expected)
        for action, guarantee in pairs:
            _still_allowed(guarantee, action)
            _apply(session, action, guarantee, user)
        action_session.issued_actions = (action_session.issued_actions or 0) + len(drafts)
        action_session.total_actions = action_session.issued_actions
        action_session.issued_by = user
        action_session.is_locked = True
        action_session.locked_at = utcnow()
    return action_session
