"""Corrections by void: an issued extension, reduction or release is corrected only by a new `void` action that
names it, with a reason, prepared by one person and issued by another (always, whatever FOUR_EYES says).

Issuing the void restores what the voided action changed (the expiry an extension moved, including a date the bank
granted instead; the amount a reduction lowered; the status a release set), unless a later issued action of the
guarantee that is not voided depends on it. The guarantee stays locked: it has issued actions. The voided action
stays in the history, with its void beside it; a voided letter no longer waits for the bank's answer.
"""

import sqlalchemy as sa
from flask_babel import gettext as _

from guarantees.domain.bank_answers import ANSWERED_TYPES
from guarantees.extensions import db
from guarantees.models import Guarantee, GuaranteeAction
from guarantees.models.base import utcnow
from guarantees.services.actions import new_action
from guarantees.services.bank_answers import describe_action, is_voided, later_action
from guarantees.services.dualwrite import DualWriteAdapter
from guarantees.services.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from guarantees.services.fields import parse_notes
from guarantees.services.transaction import unit_of_work


def _locked_guarantee(session, guarantee_id: int) -> Guarantee:
    return session.scalar(
        sa.select(Guarantee)
        .where(Guarantee.id == guarantee_id)
        .with_for_update(of=Guarantee)
        .execution_options(populate_existing=True)
    )


def _voidable(session, action_id: int) -> GuaranteeAction:
    """The issued action a void may name now (refusals: a void, a draft, a migrated action, already voided, or a
    later action depending on it)."""
    action = session.get(GuaranteeAction, action_id)
    if action is None:
        raise NotFound(_("No such action."))
    if action.action_type == "void":
        raise RuleViolation(_("A void cannot be voided."))
    if action.action_type not in ANSWERED_TYPES or action.origin != "app":
        raise RuleViolation(_("Only the register's issued extensions, reductions and releases can be voided."))
    if action.action_status != "issued":
        raise RuleViolation(_("This action is a draft: remove it from its session instead of voiding it."))
    if is_voided(session, action.id):
        raise RuleViolation(_("This action has already been voided."))
    later = later_action(session, action)
    if later is not None:
        raise RuleViolation(
            _(
                "This action cannot be voided: %(later)s was issued after it and starts from what it changed. "
                "Void that one first.",
                later=describe_action(later),
            )
        )
    return action


def _reason(raw) -> str:
    reason = parse_notes(raw)
    if not reason:
        raise ValidationFailed(_("Give the reason for the void."), field="reason")
    return reason


def check_prepare(action_id: int) -> None:
    """The refusals preparing a void of this action would meet; writes nothing."""
    _voidable(db.session, action_id)


def prepare(action_id: int, *, reason, user: str) -> GuaranteeAction:
    """A draft void of an issued action, with its reason, for another person to issue."""
    reason = _reason(reason)
    with unit_of_work() as session:
        found = session.get(GuaranteeAction, action_id)
        if found is None:
            raise NotFound(_("No such action."))
        guarantee = _locked_guarantee(session, found.guarantee_id)
        action = _voidable(session, action_id)
        if session.scalar(sa.select(GuaranteeAction.id).where(GuaranteeAction.voids_action_id == action.id)):
            raise RuleViolation(_("A void of this action is already prepared: it waits for a second person."))
        void = new_action(guarantee, "void", None, None, reason, user)
        void.voids_action_id = action.id
        session.add(void)
        try:
            session.flush()
        except sa.exc.IntegrityError as error:
            raise Conflict(_("Someone prepared a void of this action in the meantime.")) from error
    return void


def _draft_void(session, void_id: int, *, for_update: bool = False) -> GuaranteeAction:
    query = sa.select(GuaranteeAction).where(GuaranteeAction.id == void_id)
    if for_update:
        query = query.with_for_update(of=GuaranteeAction).execution_options(populate_existing=True)
    void = session.scalar(query)
    if void is None or void.action_type != "void":
        raise NotFound(_("No such void."))
    if void.action_status != "draft":
        raise RuleViolation(_("This void has been issued already."))
    return void


def check_issue(void_id: int, *, user: str) -> None:
    """The refusals issuing this void would meet before its rules (not a draft, four-eyes); writes nothing."""
    void = _draft_void(db.session, void_id)
    _second_person(void, user)


def _second_person(void: GuaranteeAction, user: str) -> None:
    if user == void.created_by:
        raise RuleViolation(
            _(
                "Four-eyes rule: %(user)s prepared this void, so another editor or administrator must issue it.",
                user=user,
            )
        )


def issue(void_id: int, *, user: str) -> GuaranteeAction:
    """Issue a prepared void (never by who prepared it): the guarantee gets back what the voided action changed,
    and the legacy tables a `modification` row with the restored values."""
    with unit_of_work() as session:
        found = session.get(GuaranteeAction, void_id)
        if found is None or found.action_type != "void":
            raise NotFound(_("No such void."))
        guarantee = _locked_guarantee(session, found.guarantee_id)
        void = _draft_void(session, void_id, for_update=True)
        _second_person(void, user)
        action = _voidable(session, void.voids_action_id)
        void.previous_expiry_date, void.new_expiry_date = guarantee.expiry_date, guarantee.expiry_date
        void.previous_amount, void.new_amount = guarantee.amount, guarantee.amount
        if action.action_type == "extension":
            void.new_expiry_date = action.previous_expiry_date
        elif action.action_type == "reduction":
            void.new_amount = action.previous_amount
        adapter = DualWriteAdapter(session)
        void.legacy_record_id = adapter.reserve_id()
        void.action_status = "issued"
        void.is_locked = True
        void.issued_by = user
        void.issued_at = utcnow()
        session.flush()  # the void first: the database lets the guarantee go back only to an issued void's values
        guarantee.expiry_date = void.new_expiry_date
        guarantee.amount = void.new_amount
        if action.action_type == "release":
            guarantee.status = "active"
        session.flush()
        adapter.record_action(void, guarantee)
    return void


def discard(void_id: int, *, user: str) -> int:
    """Withdraw a void not yet issued (by anyone who may write); returns its guarantee's id."""
    with unit_of_work() as session:
        void = _draft_void(session, void_id, for_update=True)
        guarantee_id = void.guarantee_id
        session.delete(void)
    return guarantee_id
