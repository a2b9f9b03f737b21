"""Reads for the bank's answers and the voids: which letters wait for the bank (the SQL twin of
`domain.bank_answers.awaits_answer`), the worklist, and each guarantee's letters with their answers and voids."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from guarantees.clock import local_day, today
from guarantees.domain.bank_answers import ANSWERED_TYPES, days_waiting
from guarantees.extensions import db
from guarantees.models import BankAnswer, Guarantee, GuaranteeAction
from guarantees.models.attachment import Attachment

SUPPLIER = sa.func.coalesce(Guarantee.supplier_display_name, Guarantee.raw_supplier_name)
BANK = sa.func.coalesce(Guarantee.bank_display, Guarantee.raw_bank_name)


def voided(action=GuaranteeAction):
    """`action` (a table or alias of guarantee_actions) has an issued void."""
    void = aliased(GuaranteeAction, name="void_of")
    return (
        sa.select(void.id)
        .where(void.voids_action_id == action.id, void.action_status == "issued")
        .correlate(action)
        .exists()
    )


def answered(action=GuaranteeAction):
    """`action` has its bank's answer recorded."""
    return sa.select(BankAnswer.id).where(BankAnswer.action_id == action.id).correlate(action).exists()


def awaiting(action=GuaranteeAction):
    """The letters waiting for the bank's answer (the rule of domain.bank_answers, in SQL)."""
    return sa.and_(
        action.action_type.in_(ANSWERED_TYPES),
        action.action_status == "issued",
        action.origin == "app",
        ~answered(action),
        ~voided(action),
    )


def guarantee_awaiting(g=Guarantee):
    """The guarantee (the table, or a subquery's copy of it) has a letter waiting for the bank: the list's filter."""
    action = aliased(GuaranteeAction, name="awaiting_action")
    return sa.select(action.id).where(action.guarantee_id == g.id, awaiting(action)).correlate(g).exists()


@dataclass(frozen=True)
class WaitingLetter:
    """A letter the bank has not answered: what the worklist and the digest name."""

    action_id: int
    guarantee_id: int
    number: str
    supplier: str | None
    bank: str | None
    action_type: str
    reference: str | None
    issued_on: date
    days_waiting: int
    waiting = True  # tells a digest's templates this line from an expiry line


def _waiting_query():
    return (
        sa.select(
            GuaranteeAction.id,
            GuaranteeAction.guarantee_id,
            Guarantee.guarantee_number,
            SUPPLIER.label("supplier"),
            BANK.label("bank"),
            GuaranteeAction.action_type,
            GuaranteeAction.reference,
            GuaranteeAction.issued_at,
        )
        .join(Guarantee, Guarantee.id == GuaranteeAction.guarantee_id)
        .where(awaiting())
        .order_by(GuaranteeAction.issued_at, GuaranteeAction.id)
    )


def _letter(row, day: date) -> WaitingLetter:
    issued_on = local_day(row.issued_at)
    return WaitingLetter(
        row.id,
        row.guarantee_id,
        row.guarantee_number,
        row.supplier,
        row.bank,
        row.action_type,
        row.reference,
        issued_on,
        days_waiting(issued_on, day),
    )


def waiting_letters(limit: int | None = None, *, day: date | None = None) -> list[WaitingLetter]:
    """Letters waiting for the bank's answer, the longest waiting first (the first `limit`, or all)."""
    day = day or today()
    query = _waiting_query() if limit is None else _waiting_query().limit(limit)
    return [_letter(row, day) for row in db.session.execute(query)]


def worklist(limit: int) -> tuple[int, list[WaitingLetter]]:
    """How many letters wait for the bank's answer, and the `limit` longest waiting (one query: each row carries
    the count)."""
    day = today()
    rows = db.session.execute(_waiting_query().add_columns(sa.func.count().over().label("total")).limit(limit)).all()
    return (rows[0].total if rows else 0), [_letter(row, day) for row in rows]


def waiting_count() -> int:
    """How many letters wait for the bank's answer."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(GuaranteeAction).where(awaiting())) or 0


def answer_for(action_id: int) -> BankAnswer | None:
    """The bank's answer to one action, if recorded."""
    return db.session.scalar(sa.select(BankAnswer).where(BankAnswer.action_id == action_id))


def get_action(action_id: int) -> GuaranteeAction | None:
    """One action by id."""
    return db.session.get(GuaranteeAction, action_id)


@dataclass
class Letter:
    """One issued action of a guarantee as its page shows it: what was asked, and what the bank answered (or how
    long it has waited), or the void that corrected it."""

    action: GuaranteeAction
    answer: BankAnswer | None
    attachment_name: str | None
    void: GuaranteeAction | None  # the issued void, or a draft one waiting for a second person
    days_waiting: int | None

    @property
    def voided(self) -> bool:
        return self.void is not None and self.void.action_status == "issued"

    @property
    def differs(self) -> bool:
        """The bank granted another expiry than the one asked."""
        return bool(
            self.answer
            and self.answer.granted_expiry_date is not None
            and self.answer.granted_expiry_date != self.action.new_expiry_date
        )


def guarantee_letters(guarantee_id: int) -> list[Letter]:
    """The guarantee's issued extensions, reductions and releases of the register, newest first, each with its
    answer, its attachment's name and its void (three queries)."""
    actions = list(
        db.session.scalars(
            sa.select(GuaranteeAction)
            .where(
                GuaranteeAction.guarantee_id == guarantee_id,
                GuaranteeAction.action_type.in_(ANSWERED_TYPES),
                GuaranteeAction.action_status == "issued",
                GuaranteeAction.origin == "app",
            )
            .order_by(GuaranteeAction.issued_at.desc(), GuaranteeAction.id.desc())
        ).unique()
    )
    if not actions:
        return []
    ids = [action.id for action in actions]
    answers = {
        answer.action_id: (answer, name)
        for answer, name in db.session.execute(
            sa.select(BankAnswer, Attachment.original_name)
            .outerjoin(Attachment, Attachment.id == BankAnswer.attachment_id)
            .where(BankAnswer.action_id.in_(ids))
        ).unique()
    }
    voids = {
        void.voids_action_id: void
        for void in db.session.scalars(
            sa.select(GuaranteeAction).where(GuaranteeAction.voids_action_id.in_(ids))
        ).unique()
    }
    day = today()
    letters = []
    for action in actions:
        answer, name = answers.get(action.id, (None, None))
        void = voids.get(action.id)
        waiting = None
        if answer is None and not (void and void.action_status == "issued"):
            waiting = days_waiting(local_day(action.issued_at), day)
        letters.append(Letter(action, answer, name, void, waiting))
    return letters


def void_drafts(guarantee_id: int) -> list[GuaranteeAction]:
    """Voids of the guarantee's actions prepared and not yet issued (they wait for a second person)."""
    return list(
        db.session.scalars(
            sa.select(GuaranteeAction)
            .where(
                GuaranteeAction.guarantee_id == guarantee_id,
                GuaranteeAction.action_type == "void",
                GuaranteeAction.action_status == "draft",
            )
            .order_by(GuaranteeAction.id)
        ).unique()
    )
