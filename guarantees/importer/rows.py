"""Turn the data rows under a detected header into normalised values, one ParsedRow per guarantee row.

Values (only the fields the detection mapped are keys; a blank cell gives None):

* guarantee_number: invisible characters removed, then normalise_number (upper case, no
  spaces); at most 100 characters;
* supplier, bank, type: parse_text (500 characters at most); comment: parse_text, 2000;
* amount: parse_amount (Decimal, 2 places); currency: parse_currency (e.g. 'SAR');
* issue_date, expiry_date: parse_date; contract_number, po_number: parse_code.

A cell that does not parse gives None and an error "field: message" in ParsedRow.errors (the field's
word and the message translated into the language of the request at hand, English outside one).

Rows skipped (never yielded):

* blank rows, and rows with no data in any mapped column (e.g. only a serial number);
* a repeated header row (the guarantee number cell holds the header text again);
* a totals row: a "Total"/"المجموع"/"الإجمالي" cell;
* a row without a guarantee number that does not look like a guarantee: fewer than two
  other mapped cells filled (a lone amount under the list, a footnote in one column).

A row without a guarantee number but with at least two other mapped cells filled is a
guarantee row with a missing number: it is yielded with the error "guarantee number: missing".
Rows with a number are always yielded, even with nothing else (an update needs only the number).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from guarantees.domain.text import normalise_number
from guarantees.importer.headers import FIELD_WORDS
from guarantees.importer.mapping import Detection
from guarantees.importer.reader import Workbook
from guarantees.importer.values import (
    cell_text,
    parse_amount,
    parse_code,
    parse_currency,
    parse_date,
    parse_text,
    strip_invisible,
)

__all__ = ["MAX_NUMBER_LENGTH", "ParsedRow", "SkippedRow", "parse_rows"]

MAX_NUMBER_LENGTH = 100
MAX_COMMENT_LENGTH = 2000
NO_DATA = _l("no data in the mapped columns")
TOTALS_ROW = _l("totals row")
REPEATED_HEADER = _l("repeated header row")
NO_NUMBER = _l("not a guarantee row (no number)")
_TOTALS = re.compile(r"\s*(?:grand\s+|sub\s*-?\s*)?totals?\b|\s*(?:ال)?(?:إجمالي|اجمالي|مجموع)", re.IGNORECASE)


@dataclass
class ParsedRow:
    row_number: int  # 1-based spreadsheet row
    values: dict[str, object]  # field -> normalised value (None for a blank cell), mapped fields only
    errors: list[str]  # "field: problem" for each cell that did not parse, translated when parsed
    related_to: str | None = None  # 'purchase_order' when a PO number is present, else 'contract' when a contract is
    cells: list[object] = field(default_factory=list, repr=False, compare=False)  # the row as read
    headers: list[str] = field(default_factory=list, repr=False, compare=False)  # Detection.headers

    @property
    def raw(self) -> dict[str, str]:
        """header -> the cell as text ('' when blank), for every column of the header row."""
        cells = self.cells
        return {name: cell_text(cells[i]) if i < len(cells) else "" for i, name in enumerate(self.headers)}

    @property
    def guarantee_number(self) -> str | None:
        return self.values.get("guarantee_number")  # type: ignore[return-value]


@dataclass(frozen=True)
class SkippedRow:
    row_number: int
    reason: str  # translated when the row was read


def _number(value: object) -> str | None:
    if type(value) is str and value.isascii() and value.isprintable() and " " not in value:
        text = value.upper()  # what normalise_number gives for plain ASCII, without the regex
    else:
        text = normalise_number(strip_invisible(value) if type(value) is str else value)
    if not text:
        return None
    if len(text) > MAX_NUMBER_LENGTH:
        raise ValueError(
            _l(
                "%(value)s is too long (%(length)d characters, at most %(limit)d)",
                value=f"{text[:37]!r}...",
                length=len(text),
                limit=MAX_NUMBER_LENGTH,
            )
        )
    return text


def _comment(value: object) -> str | None:
    return parse_text(value, max_length=MAX_COMMENT_LENGTH)


_PARSERS: dict[str, Callable[[object], object]] = {
    "guarantee_number": _number,
    "supplier": parse_text,
    "bank": parse_text,
    "amount": parse_amount,
    "currency": parse_currency,
    "issue_date": parse_date,
    "expiry_date": parse_date,
    "contract_number": parse_code,
    "po_number": parse_code,
    "type": parse_text,
    "comment": _comment,
}


class _Cached:
    """A parser with a cache per import: names, banks, types and dates repeat down a list."""

    __slots__ = ("cache", "parse")

    def __init__(self, parse: Callable[[object], object]):
        self.parse = parse
        self.cache: dict[object, tuple[object, str | None]] = {}

    def __call__(self, value: object) -> tuple[object, str | None]:
        key = value if type(value) is str else (type(value), value)
        hit = self.cache.get(key)
        if hit is None:
            try:
                hit = (self.parse(value), None)
            except ValueError as exc:
                hit = (None, str(exc))
            if len(self.cache) < 200_000:
                self.cache[key] = hit
        return hit


def _field_error(name: str, problem: object) -> str:
    """ "amount: 'abc' is not a number", in the language at hand."""
    return str(_l("%(field)s: %(problem)s", field=FIELD_WORDS[name], problem=problem))


def _blank(value: object) -> bool:
    return value is None or value == "" or (type(value) is str and value.isspace())


def _is_totals(row: list[object]) -> bool:
    return any(type(v) is str and _TOTALS.match(v) for v in row)


def parse_rows(
    workbook: Workbook,
    detection: Detection,
    *,
    skipped: list[SkippedRow] | None = None,
) -> Iterator[ParsedRow]:
    """Yield the guarantee rows under the header; a list passed as `skipped` collects the non-blank rows left out."""
    sheet = workbook.sheet(detection.sheet)
    mapped = [(name, column.index, _Cached(_PARSERS[name])) for name, column in detection.columns.items()]
    number_column = detection.columns.get("guarantee_number")
    number_index = number_column.index if number_column else None
    repeated_header = number_column.header.strip().casefold() if number_column else None
    headers = detection.headers
    first = detection.header_row  # 0-based index of the first data row

    for offset, row in enumerate(sheet.rows[first:]):
        row_number = first + offset + 1
        width = len(row)
        present: list[tuple[str, object, _Cached]] = []
        for name, index, parser in mapped:
            if index < width:
                value = row[index]
                if value != "" and value is not None and not (type(value) is str and value.isspace()):
                    present.append((name, value, parser))
        if not present:
            if skipped is not None and any(not _blank(v) for v in row):
                skipped.append(SkippedRow(row_number, str(NO_DATA)))
            continue

        number_cell = row[number_index] if number_index is not None and number_index < width else None
        if type(number_cell) is str and (
            number_cell.strip().casefold() == repeated_header or _TOTALS.match(number_cell)
        ):
            if skipped is not None:
                reason = TOTALS_ROW if _TOTALS.match(number_cell) else REPEATED_HEADER
                skipped.append(SkippedRow(row_number, str(reason)))
            continue

        values: dict[str, object] = dict.fromkeys(detection.columns)
        errors: list[str] = []
        number_failed = False
        for name, value, parser in present:
            result, error = parser(value)
            if error is None:
                values[name] = result
            else:
                errors.append(_field_error(name, error))
                number_failed = number_failed or name == "guarantee_number"

        if values.get("guarantee_number") is None and not number_failed:
            others = sum(1 for name, _, _ in present if name != "guarantee_number")
            if others < 2 or _is_totals(row):
                if skipped is not None:
                    skipped.append(SkippedRow(row_number, str(TOTALS_ROW if others >= 2 else NO_NUMBER)))
                continue
            errors.insert(0, str(_l("%(field)s: missing", field=FIELD_WORDS["guarantee_number"])))

        if values.get("po_number"):
            related_to = "purchase_order"
        elif values.get("contract_number"):
            related_to = "contract"
        else:
            related_to = None
        yield ParsedRow(row_number, values, errors, related_to, row, headers)
