"""The bank's answer to an issued letter: recorded once per action, with its date, reference, optional file and,
for an extension, the expiry the bank granted; a granted expiry other than the one asked becomes the guarantee's.

The answer's file is received and checked by the attachments service first (the answer's rules checked before it,
so a refused answer receives no file), and its attachment row (tied to the action) is written in the answer's own
transaction: an answer refused or lost to a concurrent one leaves no attachment row (its file may stay in the
store, where it is content-addressed and harmless).
"""

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

import sqlalchemy as sa
from flask_babel import gettext as _

from guarantees.clock import local_day, today
from guarantees.domain import labels
from guarantees.domain.bank_answers import ANSWERED_TYPES
from guarantees.extensions import db
from guarantees.models import BankAnswer, Guarantee, GuaranteeAction
from guarantees.models.base import utcnow
from guarantees.services import attachments
from guarantees.services.dualwrite import DualWriteAdapter
from guarantees.services.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from guarantees.services.transaction import unit_of_work

MAX_REFERENCE = 100


@dataclass(frozen=True)
class Upload:
    """The bank's letter as uploaded: its name and content."""

    filename: str
    stream: BinaryIO


def later_action(session, action: GuaranteeAction) -> GuaranteeAction | None:
    """The first issued action of the register on the same guarantee after `action` that is neither a void nor
    voided: what depends on `action` (its previous values are what `action` made them)."""
    void = sa.orm.aliased(GuaranteeAction)
    voided = sa.select(void.id).where(void.voids_action_id == GuaranteeAction.id, void.action_status == "issued")
    return session.scalar(
        sa.select(GuaranteeAction)
        .where(
            GuaranteeAction.guarantee_id == action.guarantee_id,
            GuaranteeAction.id != action.id,
            GuaranteeAction.action_status == "issued",
            GuaranteeAction.origin == "app",
            GuaranteeAction.action_type != "void",
            ~voided.exists(),
            sa.or_(
                GuaranteeAction.issued_at > action.issued_at,
                sa.and_(GuaranteeAction.issued_at == action.issued_at, GuaranteeAction.id > action.id),
            ),
        )
        .order_by(GuaranteeAction.issued_at, GuaranteeAction.id)
        .limit(1)
    )


def describe_action(action: GuaranteeAction) -> str:
    """'the extension BG/2026/000012 issued on 2026-01-15' (for messages that name an action)."""
    return _(
        "the %(kind)s %(reference)s issued on %(day)s",
        kind=labels.label("action_type", action.action_type).lower(),
        reference=action.reference or f"#{action.id}",
        day=local_day(action.issued_at).isoformat() if action.issued_at else "—",
    )


def is_voided(session, action_id: int) -> bool:
    """Whether an issued void names the action."""
    return bool(
        session.scalar(
            sa.select(GuaranteeAction.id).where(
                GuaranteeAction.voids_action_id == action_id, GuaranteeAction.action_status == "issued"
            )
        )
    )


def _answerable(session, action_id: int) -> GuaranteeAction:
    action = session.get(GuaranteeAction, action_id)
    if action is None:
        raise NotFound(_("No such action."))
    if action.action_type not in ANSWERED_TYPES or action.origin != "app":
        raise RuleViolation(_("Only the register's extension, reduction and release letters wait for a bank's answer."))
    if action.action_status != "issued":
        raise RuleViolation(_("This letter is a draft: the bank answers issued letters only."))
    if is_voided(session, action.id):
        raise RuleViolation(_("This letter was voided: it no longer waits for the bank's answer."))
    if session.scalar(sa.select(BankAnswer.id).where(BankAnswer.action_id == action.id)):
        raise RuleViolation(_("The bank's answer to this letter is already recorded; it cannot be changed."))
    return action


def _checked(session, action: GuaranteeAction, guarantee: Guarantee, answer_date, reference, granted):
    """The answer's values checked against the action as it is now: the granted expiry (None unless an
    extension), and whether the guarantee moves to it."""
    if answer_date is None:
        raise ValidationFailed(_("Give the date of the bank's letter."), field="answer_date")
    if answer_date > today():
        raise ValidationFailed(
            _("The bank's letter cannot be dated %(day)s, after today.", day=answer_date.isoformat()),
            field="answer_date",
        )
    issued_on = local_day(action.issued_at)
    if answer_date < issued_on:
        raise ValidationFailed(
            _(
                "The bank's letter is dated %(day)s, before our letter was issued on %(issued)s.",
                day=answer_date.isoformat(),
                issued=issued_on.isoformat(),
            ),
            field="answer_date",
        )
    reference = " ".join((reference or "").split())
    if not reference:
        raise ValidationFailed(_("Give the reference of the bank's letter."), field="bank_reference")
    if len(reference) > MAX_REFERENCE:
        raise ValidationFailed(_("At most %(max)d characters.", max=MAX_REFERENCE), field="bank_reference")
    if action.action_type != "extension":
        return reference, None, False
    granted = granted or action.new_expiry_date
    if action.previous_expiry_date is not None and granted <= action.previous_expiry_date:
        raise ValidationFailed(
            _(
                "The granted expiry %(granted)s is not after the expiry the letter extended, %(previous)s.",
                granted=granted.isoformat(),
                previous=action.previous_expiry_date.isoformat(),
            ),
            field="granted_expiry",
        )
    moves = granted != action.new_expiry_date
    if moves:
        later = later_action(session, action)
        if later is not None or guarantee.expiry_date != action.new_expiry_date:
            raise RuleViolation(
                _(
                    "The bank granted %(granted)s, not the %(asked)s asked, but %(later)s followed this letter: "
                    "void that one first, or record the answer with the date asked.",
                    granted=granted.isoformat(),
                    asked=action.new_expiry_date.isoformat(),
                    later=describe_action(later) if later else _("a later change"),
                ),
                field="granted_expiry",
            )
    return reference, granted, moves


def check(action_id: int, *, answer_date: date | None, bank_reference: str | None, granted_expiry=None) -> None:
    """The refusals recording this answer would meet; writes nothing."""
    session = db.session
    action = _answerable(session, action_id)
    _checked(session, action, action.guarantee, answer_date, bank_reference, granted_expiry)


def record(
    action_id: int,
    *,
    answer_date: date | None,
    bank_reference: str | None,
    user: str,
    granted_expiry: date | None = None,
    upload: Upload | None = None,
) -> BankAnswer:
    """Record the bank's answer to an issued letter, once. For an extension, the expiry the bank granted (default:
    the one asked); when it differs, the guarantee takes it, and the legacy tables get the guarantee's new values.
    The file, if any, is attached to the action in the same transaction."""
    if upload is not None:  # refused before a byte of the file is read
        check(action_id, answer_date=answer_date, bank_reference=bank_reference, granted_expiry=granted_expiry)
    receiving = attachments.received(upload.stream) if upload is not None else nullcontext()
    with receiving as file, unit_of_work() as session:
        found = session.get(GuaranteeAction, action_id)
        if found is None:
            raise NotFound(_("No such action."))
        guarantee = session.scalar(
            sa.select(Guarantee)
            .where(Guarantee.id == found.guarantee_id)
            .with_for_update(of=Guarantee)
            .execution_options(populate_existing=True)
        )
        action = _answerable(session, action_id)
        reference, granted, moves = _checked(session, action, guarantee, answer_date, bank_reference, granted_expiry)
        attachment_id = None
        if file is not None:
            attachment_id = attachments.attach(
                session,
                file,
                guarantee_id=action.guarantee_id,
                filename=upload.filename,
                user=user,
                action_id=action.id,
            ).id
        adapter = DualWriteAdapter(session)
        answer = BankAnswer(
            action_id=action.id,
            answer_date=answer_date,
            bank_reference=reference,
            granted_expiry_date=granted,
            attachment_id=attachment_id,
            # the legacy row's id is taken first: an answer is never updated, so its link is written with it
            legacy_record_id=adapter.reserve_id() if moves else None,
            recorded_by=user,
            recorded_at=utcnow(),
        )
        session.add(answer)
        try:
            session.flush()
        except sa.exc.IntegrityError as error:
            raise Conflict(_("Someone recorded the bank's answer to this letter in the meantime.")) from error
        if moves:
            # after the answer: the database lets a locked guarantee's expiry move only to a recorded granted date
            guarantee.expiry_date = granted
            session.flush()
            adapter.record_answer(guarantee, answer.legacy_record_id)
    return answer
