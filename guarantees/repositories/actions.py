"""Action sessions, their actions, the banks letters are addressed to, and the log of printed letters."""

from dataclasses import dataclass

import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import ActionSession, Guarantee, GuaranteeAction, LetterPrint
from guarantees.models.dictionary import Bank
from guarantees.repositories.batches import PER_PAGE
from guarantees.repositories.pages import Page, paginate

SESSION_STATUSES = ("draft", "issued")


def list_sessions(*, status: str | None = None, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """Action sessions, newest first; `status` draft (open) or issued (locked)."""
    query = sa.select(ActionSession).order_by(ActionSession.created_at.desc(), ActionSession.id.desc())
    if status == "draft":
        query = query.where(ActionSession.is_locked.is_(False))
    elif status == "issued":
        query = query.where(ActionSession.is_locked.is_(True))
    return paginate(query, page, per_page)


def get_session(session_id: int) -> ActionSession | None:
    """One action session by id."""
    return db.session.get(ActionSession, session_id)


def session_actions(session_id: int) -> list[GuaranteeAction]:
    """A session's actions in the order they were prepared (each with its guarantee)."""
    return list(
        db.session.scalars(
            sa.select(GuaranteeAction)
            .where(GuaranteeAction.action_session_id == session_id)
            .order_by(GuaranteeAction.id)
        ).unique()
    )


def get_action(action_id: int) -> GuaranteeAction | None:
    """One action by id (with its guarantee)."""
    return db.session.get(GuaranteeAction, action_id)


def prints_of_session(session_id: int) -> list[LetterPrint]:
    """Prints of this session's letters (all of them, or single ones), newest first."""
    return list(
        db.session.scalars(
            sa.select(LetterPrint)
            .where(LetterPrint.action_session_id == session_id)
            .order_by(LetterPrint.printed_at.desc(), LetterPrint.id.desc())
        )
    )


@dataclass(frozen=True)
class Addressee:
    """Who a letter is addressed to: a bank of the dictionary, or the bank name as it was typed."""

    name_ar: str
    name_en: str
    department: str | None = None
    address_line_1: str | None = None
    address_line_2: str | None = None
    contact_email: str | None = None
    in_dictionary: bool = False

    @property
    def has_address(self) -> bool:
        """Whether a letter to this bank can carry its address block."""
        return bool(self.address_line_1 or self.address_line_2)


def _from_bank(bank: Bank) -> Addressee:
    return Addressee(
        name_ar=bank.official_name_ar or bank.official_name,
        name_en=bank.official_name_en or bank.official_name,
        department=bank.department,
        address_line_1=bank.address_line_1,
        address_line_2=bank.address_line_2,
        contact_email=bank.contact_email,
        in_dictionary=True,
    )


def addressee(action: GuaranteeAction) -> Addressee:
    """The bank a letter goes to: the action's bank, the guarantee's, a dictionary name match, else the raw name."""
    guarantee: Guarantee = action.guarantee
    return _addressee(action.bank_id or guarantee.bank_id, action.bank_display or guarantee.bank_label)


def guarantee_addressee(guarantee: Guarantee) -> Addressee:
    """The bank a letter issued for `guarantee` now would be addressed to."""
    return _addressee(guarantee.bank_id, guarantee.bank_label)


def _addressee(bank_id: int | None, raw: str | None) -> Addressee:
    bank = db.session.get(Bank, bank_id) if bank_id else None
    if bank is None and raw:
        key = raw.strip().lower()
        columns = (Bank.official_name, Bank.official_name_ar, Bank.official_name_en, Bank.short_code)
        candidates = db.session.scalars(
            sa.select(Bank).where(sa.or_(*(sa.func.lower(sa.func.trim(c)) == key for c in columns)))
        ).all()
        bank = next(iter(candidates), None) if len(candidates) == 1 else None
    if bank is not None:
        return _from_bank(bank)
    return Addressee(name_ar=raw or "", name_en=raw or "")


def without_address(actions: list[GuaranteeAction]) -> set[int]:
    """The drafts among `actions` whose bank has no address yet: their letters would carry its name alone."""
    return {a.id for a in actions if a.action_status == "draft" and not addressee(a).has_address}


def guarantee_drafts(guarantee_id: int) -> list[GuaranteeAction]:
    """A guarantee's draft actions waiting to be issued (in sessions not yet locked), oldest first."""
    return list(
        db.session.scalars(
            sa.select(GuaranteeAction)
            .join(ActionSession, ActionSession.id == GuaranteeAction.action_session_id)
            .where(
                GuaranteeAction.guarantee_id == guarantee_id,
                GuaranteeAction.action_status == "draft",
                ActionSession.is_locked.is_(False),
            )
            .order_by(GuaranteeAction.id)
        ).unique()
    )
