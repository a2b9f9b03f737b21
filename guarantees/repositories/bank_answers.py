"""Reads for the bank's answers and the voids: which letters wait for the bank (the SQL twin of
`domain.bank_answers.awaits_answer`), the worklist, each guarantee's letters with their answers and voids, and the
register of answers (every issued letter with what the bank granted and the proof, filtered and paged)."""

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from guarantees.clock import local_day, local_time, today
from guarantees.domain.bank_answers import ANSWERED_TYPES, awaits_answer, days_waiting
from guarantees.extensions import db
from guarantees.models import BankAnswer, Guarantee, GuaranteeAction
from guarantees.models.attachment import Attachment
from guarantees.repositories.pages import Page, paginate

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


def guarantee_letters(guarantee_id: int, *, include_hidden: bool = False) -> list[Letter]:
    """The guarantee's issued extensions, reductions and releases of the register, newest first, each with its
    answer, its attachment's name (none for a hidden attachment unless `include_hidden`) and its void (three
    queries)."""
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
            .outerjoin(
                Attachment,
                sa.and_(
                    Attachment.id == BankAnswer.attachment_id,
                    sa.true() if include_hidden else Attachment.hidden_at.is_(None),
                ),
            )
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


# -- the register of answers: which letters the banks confirmed, with the proof --------------------------------------

ANSWER_STATES = ("confirmed", "waiting", "voided")
LETTER_BANK = sa.func.coalesce(GuaranteeAction.bank_display, Guarantee.bank_display, Guarantee.raw_bank_name)


@dataclass(frozen=True)
class AnswerFilters:
    """What the answers page lists: a state (blank: all), a kind of letter, part of the bank's name as the letter
    named it, and a range of the days our letters were issued (both included)."""

    state: str = ""
    action_type: str = ""
    bank: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def query(self) -> dict:
        """The URL parameters of these filters (blank ones left out)."""
        values = {
            "state": self.state,
            "type": self.action_type,
            "bank": self.bank,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
        }
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class ProofFile:
    """An attachment of a letter's action: the bank's answer's own file, or another one tied to the action."""

    id: int
    action_id: int
    name: str
    content_type: str
    size_bytes: int
    hidden: bool


@dataclass
class AnsweredLetter:
    """One issued letter as the answers page shows it: what we asked, what the bank granted, its letter, the proof
    and the state (voided, confirmed, or waiting for so many days)."""

    action_id: int
    guarantee_id: int
    number: str
    bank: str | None
    action_type: str
    reference: str | None
    issued_on: date
    previous_expiry: date | None
    asked_expiry: date | None
    previous_amount: object
    asked_amount: object
    currency: str | None
    answer_date: date | None
    bank_reference: str | None
    granted_expiry: date | None
    answer_attachment_id: int | None
    answered_by: str | None
    void_id: int | None
    void_reference: str | None
    void_reason: str | None
    state: str  # voided | confirmed | waiting
    days_waiting: int | None
    files: list[ProofFile]

    @property
    def differs(self) -> bool:
        """The bank granted another expiry than the one asked."""
        return self.granted_expiry is not None and self.granted_expiry != self.asked_expiry


def _day_start(day: date) -> datetime:
    """The first instant of a calendar day of the register's time zone, as naive UTC (how `issued_at` is kept)."""
    midnight = datetime.combine(day, time.min)
    return midnight - (local_time(midnight).utcoffset() or timedelta(0))


def _contains(column, text: str):
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def _letters_query(filters: AnswerFilters):
    """The register's issued extensions, reductions and releases with their answer and issued void, narrowed by
    `filters`: the waiting ones (the rule's SQL form) longest waiting first, the others newest first."""
    void = aliased(GuaranteeAction, name="void")
    query = (
        sa.select(
            GuaranteeAction.id,
            GuaranteeAction.guarantee_id,
            Guarantee.guarantee_number,
            LETTER_BANK.label("bank"),
            GuaranteeAction.action_type,
            GuaranteeAction.action_status,
            GuaranteeAction.origin,
            GuaranteeAction.reference,
            GuaranteeAction.issued_at,
            GuaranteeAction.previous_expiry_date,
            GuaranteeAction.new_expiry_date,
            GuaranteeAction.previous_amount,
            GuaranteeAction.new_amount,
            Guarantee.currency,
            BankAnswer.id.label("answer_id"),
            BankAnswer.answer_date,
            BankAnswer.bank_reference,
            BankAnswer.granted_expiry_date,
            BankAnswer.attachment_id.label("answer_attachment_id"),
            BankAnswer.recorded_by,
            void.id.label("void_id"),
            void.reference.label("void_reference"),
            void.notes.label("void_reason"),
        )
        .join(Guarantee, Guarantee.id == GuaranteeAction.guarantee_id)
        .outerjoin(BankAnswer, BankAnswer.action_id == GuaranteeAction.id)
        .outerjoin(void, sa.and_(void.voids_action_id == GuaranteeAction.id, void.action_status == "issued"))
        .where(
            GuaranteeAction.action_type.in_(ANSWERED_TYPES),
            GuaranteeAction.action_status == "issued",
            GuaranteeAction.origin == "app",
        )
    )
    if filters.state == "waiting":
        query = query.where(awaiting())
    elif filters.state == "confirmed":
        query = query.where(answered(), ~voided())
    elif filters.state == "voided":
        query = query.where(voided())
    if filters.action_type:
        query = query.where(GuaranteeAction.action_type == filters.action_type)
    if filters.bank:
        query = query.where(_contains(LETTER_BANK, filters.bank))
    if filters.date_from:
        query = query.where(GuaranteeAction.issued_at >= _day_start(filters.date_from))
    if filters.date_to:
        query = query.where(GuaranteeAction.issued_at < _day_start(filters.date_to + timedelta(days=1)))
    if filters.state == "waiting":
        return query.order_by(GuaranteeAction.issued_at, GuaranteeAction.id)
    return query.order_by(GuaranteeAction.issued_at.desc(), GuaranteeAction.id.desc())


def proof_files(action_ids, *, include_hidden: bool) -> dict[int, list[ProofFile]]:
    """The attachments of these actions (a list of ids, or a select of them), oldest first, by action id (hidden
    ones too when `include_hidden`): the proof of each letter."""
    query = sa.select(
        Attachment.id,
        Attachment.action_id,
        Attachment.original_name,
        Attachment.content_type,
        Attachment.size_bytes,
        Attachment.hidden_at,
    ).where(Attachment.action_id.in_(action_ids))
    if not include_hidden:
        query = query.where(Attachment.hidden_at.is_(None))
    found: dict[int, list[ProofFile]] = {}
    for row in db.session.execute(query.order_by(Attachment.uploaded_at, Attachment.id)):
        found.setdefault(row.action_id, []).append(
            ProofFile(
                row.id, row.action_id, row.original_name, row.content_type, row.size_bytes, row.hidden_at is not None
            )
        )
    return found


def _answered_letter(row, files: dict[int, list[ProofFile]], day: date) -> AnsweredLetter:
    issued_on = local_day(row.issued_at)
    waits = awaits_answer(
        action_type=row.action_type,
        action_status=row.action_status,
        origin=row.origin,
        answered=row.answer_id is not None,
        voided=row.void_id is not None,
    )
    state = "voided" if row.void_id is not None else "waiting" if waits else "confirmed"
    return AnsweredLetter(
        action_id=row.id,
        guarantee_id=row.guarantee_id,
        number=row.guarantee_number,
        bank=row.bank,
        action_type=row.action_type,
        reference=row.reference,
        issued_on=issued_on,
        previous_expiry=row.previous_expiry_date,
        asked_expiry=row.new_expiry_date,
        previous_amount=row.previous_amount,
        asked_amount=row.new_amount,
        currency=row.currency,
        answer_date=row.answer_date,
        bank_reference=row.bank_reference,
        granted_expiry=row.granted_expiry_date,
        answer_attachment_id=row.answer_attachment_id,
        answered_by=row.recorded_by,
        void_id=row.void_id,
        void_reference=row.void_reference,
        void_reason=row.void_reason,
        state=state,
        days_waiting=days_waiting(issued_on, day) if waits else None,
        files=files.get(row.id, []),
    )


def answered_letters_page(filters: AnswerFilters, page: int, per_page: int, *, include_hidden: bool) -> Page:
    """One page of the letters and their answers (`filters`), each with its proof files."""
    found = paginate(_letters_query(filters), page, per_page, scalars=False)
    files = proof_files([row.id for row in found.items], include_hidden=include_hidden) if found.items else {}
    day = today()
    return replace(found, items=[_answered_letter(row, files, day) for row in found.items])


def answered_letters(filters: AnswerFilters, *, include_hidden: bool) -> list[AnsweredLetter]:
    """Every letter of `filters` with its answer and proof files (the export): two queries, whatever their number."""
    query = _letters_query(filters)
    rows = db.session.execute(query).all()
    ids = query.with_only_columns(GuaranteeAction.id).order_by(None)
    files = proof_files(ids, include_hidden=include_hidden) if rows else {}
    day = today()
    return [_answered_letter(row, files, day) for row in rows]


def letter_banks() -> list[str]:
    """The banks the register's letters were addressed to, by name (the answers page's choice of bank)."""
    query = (
        sa.select(LETTER_BANK.label("bank"))
        .join(Guarantee, Guarantee.id == GuaranteeAction.guarantee_id)
        .where(
            GuaranteeAction.action_type.in_(ANSWERED_TYPES),
            GuaranteeAction.action_status == "issued",
            GuaranteeAction.origin == "app",
            LETTER_BANK.is_not(None),
        )
        .distinct()
        .order_by("bank")
    )
    return [name for name in db.session.scalars(query) if name]
