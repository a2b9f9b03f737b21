"""What a legacy row is and what its values mean, shared by migrate and verify.

The rules follow DESIGN §4 (and the acceptance check, which computes them independently):
`record_type` NULL means `import`; `import` and `modification` rows are import rows,
`release_action` and `extension_action` rows are actions; a row without a guarantee number,
or of a type with no counterpart (`renewal_request`), stays unmigrated with its reason.
"""

from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from guarantees.domain.text import clean_text, normalise_number
from guarantees.domain.times import legacy_day, parse_legacy_time

IMPORT, ACTION = "i", "a"
IMPORT_TYPES = ("import", "modification")
ACTION_TYPES = {"release_action": "release", "extension_action": "extension"}
MAX_NUMBER, MAX_CODE, MAX_TYPE = 100, 100, 50
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal(10) ** 16  # Numeric(18, 2)
MANUAL_SESSIONS = ("manual",)
PASTE_SESSIONS = ("smart_paste", "paste")
# Fields of a guarantee that legacy rows carry, in the order the fold visits them.
FIELDS = (
    "raw_supplier_name", "raw_bank_name", "contract_number", "po_number", "related_to", "amount", "issue_date",
    "expiry_date", "type", "comment", "supplier_id", "bank_id", "supplier_display_name", "bank_display",
    "match_status",
)  # fmt: skip
RELATED_TO = {"contract": "contract", "purchase_order": "purchase_order", "po": "purchase_order"}


def classify(record_type: str | None, number: str | None) -> tuple[str | None, str, str | None]:
    """(IMPORT, ACTION or None; the normalised number; why the row stays unmigrated, or None)."""
    kind_name = "import" if record_type is None else record_type
    norm = normalise_number(number)
    if not norm:
        return None, norm, "no guarantee number"
    if kind_name in IMPORT_TYPES:
        kind = IMPORT
    elif kind_name in ACTION_TYPES:
        kind = ACTION
    else:
        return None, norm, f"record type {kind_name!r} has no counterpart in the new model"
    if len(norm) > MAX_NUMBER:
        return None, norm, f"guarantee number longer than {MAX_NUMBER} characters"
    return kind, norm, None


def batch_key(session_type: str | None, session_id: int | None, session_created_at: str | None) -> str:
    """The batch an import row joins: its Excel session, or its session's day for manual and pasted entries."""
    kind = "manual_batch" if session_type in MANUAL_SESSIONS else "text_paste" if session_type in PASTE_SESSIONS else ""
    if kind:
        day = legacy_day(session_created_at)
        return f"{kind}|{day.isoformat() if day else ''}"
    return f"excel_import|{'' if session_id is None else session_id}"


def action_day(created_at: str | None) -> str:
    """The day key grouping an action row into its action session: the first ten characters of created_at."""
    return (created_at or "")[:10]


def iso_day(text: str | None) -> date | None:
    """A day key ('2025-12-17') as a date, None when it is not one."""
    try:
        return date.fromisoformat(text) if text and len(text) == 10 else None
    except ValueError:
        return None


@lru_cache(maxsize=1 << 14)  # (amounts, dates and names repeat on thousands of rows)
def parse_amount(text: object) -> tuple[bool, Decimal | None]:
    """(the cell holds something, its amount): '1,234.50' → 1234.50; text that is not an amount gives None."""
    text = "" if text is None else str(text).strip()
    if not text:
        return False, None
    try:
        value = Decimal(text.replace(",", "")).quantize(CENT)
    except (InvalidOperation, ValueError):
        return True, None
    if not value.is_finite() or value < 0 or value >= MAX_AMOUNT:
        return True, None
    return True, value


@lru_cache(maxsize=1 << 14)
def parse_day(text: object) -> tuple[bool, date | None]:
    """(the cell holds something, its date): ISO first, then the other forms legacy times take."""
    text = "" if text is None else str(text).strip()
    if not text:
        return False, None
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        try:
            return True, date.fromisoformat(text[:10])
        except ValueError:
            pass
    value = parse_legacy_time(text)  # day-first and slash forms the PHP pages wrote
    return True, value.date() if value else None


clean = lru_cache(maxsize=1 << 14)(clean_text)
timestamp = lru_cache(maxsize=1 << 14)(parse_legacy_time)  # (the rows of a session share their created_at)


@lru_cache(maxsize=1 << 12)
def _relation(related_to: object, contract_source: object) -> str | None:
    relation = clean_text(related_to) or clean_text(contract_source)
    return RELATED_TO.get(relation.lower()) if relation else None


def _count(dropped: dict, name: str) -> None:
    dropped[name] = dropped.get(name, 0) + 1


def row_values(row: dict, suppliers: set[int], banks: set[int], dropped: dict) -> dict:
    """The guarantee fields a legacy row states (blank cells left out, so that they never erase a value).

    A value the register cannot hold (a supplier id with no supplier, a code too long) is left out and
    counted in `dropped`; the legacy row itself keeps it.
    """
    values = {}
    for name in ("raw_supplier_name", "raw_bank_name", "comment", "supplier_display_name", "bank_display"):
        raw = row[name]
        if raw is not None and (text := clean(raw)) is not None:
            values[name] = text
    relation = _relation(row["related_to"], row["contract_source"])
    if relation:
        values["related_to"] = relation
    if (raw := row["contract_number"]) is not None and (code := clean(raw)) is not None:
        if len(code) <= MAX_CODE:
            values["po_number" if relation == "purchase_order" else "contract_number"] = code
        else:
            _count(dropped, "contract_number")
    if (raw := row["type"]) is not None and (kind := clean(raw)) is not None:
        if len(kind) <= MAX_TYPE:
            values["type"] = kind.upper()
        else:
            _count(dropped, "type")
    if (raw := row["amount"]) is not None:
        present, amount = parse_amount(raw)
        if present:
            values["amount"] = amount
            if amount is None:
                _count(dropped, "amount")
    for name in ("issue_date", "expiry_date"):
        if (raw := row[name]) is not None:
            present, day = parse_day(raw)
            if present:
                values[name] = day
                if day is None:
                    _count(dropped, name)
    for name, known in (("supplier_id", suppliers), ("bank_id", banks)):
        if (value := row[name]) is not None:
            if value in known:
                values[name] = value
            else:
                _count(dropped, name)
    if (raw := row["match_status"]) is not None and (status := clean(raw)):
        values["match_status"] = "ready" if status.lower() == "ready" else "needs_review"
    return values


def display(value: object) -> str | None:
    """A value as the audit trail shows it."""
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
