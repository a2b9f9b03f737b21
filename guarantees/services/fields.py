"""Parsing of guarantee fields as users type them (forms, CLI) into stored values."""

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _

from guarantees.domain.labels import field_label
from guarantees.domain.text import clean_text, normalise_number
from guarantees.importer.values import parse_amount, parse_code, parse_date, parse_text, strip_invisible
from guarantees.services.errors import ValidationFailed

PARSERS = {
    "raw_supplier_name": parse_text,
    "raw_bank_name": parse_text,
    "contract_number": parse_code,
    "po_number": parse_code,
    "amount": parse_amount,
    "issue_date": parse_date,
    "expiry_date": parse_date,
    "type": parse_text,
    "comment": parse_text,
}


def parse_field(field: str, raw: object) -> object:
    """One field's stored value from what the user typed; ValidationFailed with the reason otherwise."""
    if field == "currency":
        text = (parse_text(raw) or "SAR").upper()
        if len(text) != 3 or not text.isalpha():
            raise ValidationFailed(_("Currency: use a three-letter code such as SAR or USD."), field=field)
        return text
    if field == "related_to":
        text = parse_text(raw)
        if text not in (None, "contract", "purchase_order"):
            raise ValidationFailed(_("Related to: choose contract or purchase order."), field=field)
        return text
    if field == "guarantee_number":
        number = normalise_number(raw)
        if not number:
            raise ValidationFailed(_("Guarantee number is required."), field=field)
        if len(number) > 100:
            raise ValidationFailed(_("Guarantee number: at most 100 characters."), field=field)
        if not number.isprintable():
            raise ValidationFailed(_("Guarantee number: no control characters."), field=field)
        return number
    parser = PARSERS.get(field)
    if parser is None:
        raise ValidationFailed(_("%(field)s cannot be edited.", field=field_label(field)), field=field)
    try:
        value = parser(raw)
    except ValueError as error:
        raise ValidationFailed(
            _("%(field)s: %(reason)s", field=field_label(field), reason=error), field=field
        ) from error
    if field in ("contract_number", "po_number", "type") and value and len(value) > (50 if field == "type" else 100):
        raise ValidationFailed(_("%(field)s: too long.", field=field_label(field)), field=field)
    return value


def dates_problem(issue_date: date | None, expiry_date: date | None) -> str | None:
    """Why these dates cannot be a guarantee's (its expiry is not after its issue), or None when they can."""
    if issue_date is None or expiry_date is None or expiry_date > issue_date:
        return None
    return _(
        "The expiry date %(expiry)s is not after the issue date %(issue)s: a guarantee expires after it is issued.",
        expiry=expiry_date.isoformat(),
        issue=issue_date.isoformat(),
    )


def check_dates(issue_date: date | None, expiry_date: date | None, *, field: str = "expiry_date") -> None:
    """ValidationFailed (on `field`) when the expiry date is not after the issue date."""
    problem = dates_problem(issue_date, expiry_date)
    if problem:
        raise ValidationFailed(problem, field=field)


def new_amount_problem(amount: Decimal | None) -> str | None:
    """Why a new guarantee cannot have this amount (none, or not above zero), or None when it can."""
    if amount is None:
        return _("Amount is required for a new guarantee.")
    if amount <= 0:
        return _("Amount must be more than zero for a new guarantee.")
    return None


def search_text(raw: object, limit: int) -> str:
    """Search text as stored text is (no control characters or bidi marks, spaces folded), cut to `limit`."""
    return (clean_text(strip_invisible(str(raw or ""))) or "")[:limit]


def parse_notes(raw: object) -> str | None:
    """An action's notes: free text, None when blank; ValidationFailed when too long."""
    try:
        return parse_text(raw)
    except ValueError as error:
        raise ValidationFailed(_("Notes: %(reason)s", reason=error), field="notes") from error


def display(value: object) -> str | None:
    """A stored value as text for the audit trail."""
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
