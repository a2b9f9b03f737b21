"""Letters to the banks: what each says, and the log of printed letters (printing never creates or changes an
action, but who printed what is kept)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from guarantees.clock import local_day, today
from guarantees.domain.words import amount_in_words
from guarantees.models import ActionSession, GuaranteeAction, LetterPrint, LetterPrintAction
from guarantees.repositories import actions as repo
from guarantees.services.errors import NotFound, ValidationFailed
from guarantees.services.transaction import unit_of_work

LANGUAGES = ("ar", "en")
LETTER_TYPES = ("extension", "release", "reduction")
TYPE_WORDS = {
    "FINAL": ("ضمان نهائي", "final (performance) guarantee"),
    "ADVANCED": ("ضمان دفعة مقدمة", "advance payment guarantee"),
    "ADVANCE": ("ضمان دفعة مقدمة", "advance payment guarantee"),
    "BID": ("ضمان ابتدائي", "bid (initial) guarantee"),
    "INITIAL": ("ضمان ابتدائي", "bid (initial) guarantee"),
}
CURRENCY_WORDS = {
    "SAR": ("ريال سعودي", "Saudi riyals"),
    "USD": ("دولار أمريكي", "US dollars"),
    "EUR": ("يورو", "euros"),
}


@dataclass(frozen=True)
class Letter:
    """What one letter says, in both languages' words where they differ."""

    action: GuaranteeAction
    bank: repo.Addressee
    date: date
    number: str
    reference_kind: str | None  # 'contract' | 'purchase_order' | None
    reference: str | None
    supplier: str
    type_ar: str | None
    type_en: str | None
    amount: Decimal | None
    previous_amount: Decimal | None
    currency: str
    currency_ar: str
    currency_en: str
    draft: bool
    letter_reference: str | None = None  # BG/<year>/<id>, given at issue; None on a draft or a migrated action
    amount_words: str | None = None  # the amount the letter states first, in Arabic words
    new_amount_words: str | None = None  # a reduction's new amount, in Arabic words

    @property
    def stated_amount(self) -> Decimal | None:
        """The amount the letter's first sentence gives: the amount before a reduction, else the amount."""
        return self.previous_amount if self.action.action_type == "reduction" else self.amount

    @property
    def has_address(self) -> bool:
        """Whether the bank's address block is known (else the letter carries the bank's name alone)."""
        return self.bank.has_address


def _type_words(raw: str | None) -> tuple[str | None, str | None]:
    """FINAL → ضمان نهائي / final guarantee ...; an unknown type is shown as it is."""
    if not raw or not raw.strip():
        return None, None
    return TYPE_WORDS.get(raw.strip().upper(), (raw.strip(), raw.strip()))


def letter_for(action: GuaranteeAction) -> Letter:
    """The content of the letter an action calls for."""
    guarantee = action.guarantee
    if guarantee.po_number and (guarantee.related_to == "purchase_order" or not guarantee.contract_number):
        reference_kind, reference = "purchase_order", guarantee.po_number
    elif guarantee.contract_number:
        reference_kind, reference = "contract", guarantee.contract_number
    else:
        reference_kind, reference = None, None
    type_ar, type_en = _type_words(guarantee.type)
    currency = guarantee.currency or "SAR"
    currency_ar, currency_en = CURRENCY_WORDS.get(currency, (currency, currency))
    issued = action.action_status == "issued"
    when = (local_day(action.issued_at) if action.issued_at else action.action_date) if issued else None
    amount = action.new_amount if action.new_amount is not None else guarantee.amount
    stated = action.previous_amount if action.action_type == "reduction" else amount
    return Letter(
        action=action,
        bank=repo.addressee(action),
        date=when or action.action_date or today(),
        number=action.guarantee_number,
        reference_kind=reference_kind,
        reference=reference,
        supplier=action.supplier_display_name or guarantee.supplier_label,
        type_ar=type_ar,
        type_en=type_en,
        amount=amount,
        previous_amount=action.previous_amount,
        currency=currency,
        currency_ar=currency_ar,
        currency_en=currency_en,
        draft=not issued,
        letter_reference=action.reference if issued else None,
        amount_words=amount_in_words(stated, currency),
        new_amount_words=amount_in_words(amount, currency) if action.action_type == "reduction" else None,
    )


def log_print(action_ids: list[int], *, session_id: int | None = None, language: str, user: str | None) -> LetterPrint:
    """Record that the letters of `action_ids` were printed (in `language`, by `user`), in one transaction."""
    if language not in LANGUAGES:
        raise ValidationFailed(
            _("Letters are printed in Arabic or English, not %(language)s.", language=repr(language)), field="language"
        )
    ids = list(dict.fromkeys(int(action_id) for action_id in action_ids))
    if not ids:
        raise ValidationFailed(_("There is no letter to print."))
    with unit_of_work() as session:
        found = set(session.scalars(sa.select(GuaranteeAction.id).where(GuaranteeAction.id.in_(ids))))
        missing = [action_id for action_id in ids if action_id not in found]
        if missing:
            raise NotFound(_("No such action: %(id)s.", id=missing[0]))
        if session_id is not None and session.get(ActionSession, session_id) is None:
            raise NotFound(_("No such action session."))
        record = LetterPrint(action_ids=ids, action_session_id=session_id, language=language, printed_by=user)
        session.add(record)
        session.flush()
        session.add_all(LetterPrintAction(letter_print_id=record.id, action_id=action_id) for action_id in ids)
    return record
