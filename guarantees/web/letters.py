"""Letters to the banks: one A4 page per issued action, in Arabic (right to left) or English; every print is logged.

A draft action's letter can be previewed (marked "draft — not issued" on screen and on paper) but is not
logged as a print. Viewing the print page of issued letters is what is logged: the page exists to be printed.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import Blueprint, abort, current_app, request

from guarantees.clock import today
from guarantees.forms.letters import LetterForm
from guarantees.models import GuaranteeAction
from guarantees.repositories import actions as repo
from guarantees.services import letters
from guarantees.web.rendering import render
from guarantees.web.security import username

bp = Blueprint("letters", __name__, url_prefix="/letters")
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
    when = (action.issued_at.date() if action.issued_at else action.action_date) if issued else None
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
        amount=action.new_amount if action.new_amount is not None else guarantee.amount,
        previous_amount=action.previous_amount,
        currency=currency,
        currency_ar=currency_ar,
        currency_en=currency_en,
        draft=not issued,
    )


def _print_page(actions: list[GuaranteeAction], *, session_id: int | None, title: str):
    lang = LetterForm(request.args).lang.data
    printable = [a for a in actions if a.action_type in LETTER_TYPES]
    page = [letter_for(action) for action in printable]
    logged = bool(page) and not any(letter.draft for letter in page) and request.method == "GET"
    if logged:
        letters.log_print([a.id for a in printable], session_id=session_id, language=lang, user=username())
    return render(
        "letters/print.html",
        letters=page,
        lang=lang,
        dir="rtl" if lang == "ar" else "ltr",
        title=title,
        session_id=session_id,
        logged=logged,
        signatory_ar=current_app.config.get("LETTER_SIGNATORY_AR", "مدير الإدارة المالية"),
        signatory_en=current_app.config.get("LETTER_SIGNATORY_EN", "Director of Finance"),
    )


@bp.get("/actions/<int(max=2147483647):action_id>")
def action(action_id: int):
    """The letter of one action (?lang=ar, the default, or en)."""
    found = repo.get_action(action_id)
    if found is None or found.action_type not in LETTER_TYPES:
        abort(404)
    return _print_page([found], session_id=found.action_session_id, title=found.guarantee_number)


@bp.get("/sessions/<int(max=2147483647):session_id>")
def session(session_id: int):
    """Every letter of an action session, one per page (?lang=ar, the default, or en)."""
    found = repo.get_session(session_id)
    if found is None:
        abort(404)
    return _print_page(repo.session_actions(session_id), session_id=session_id, title=f"#{session_id}")
