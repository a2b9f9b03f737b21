"""Find the header row of a guarantee list and map its columns to the register's fields.

Each header cell is reduced to a key (NFKC, case folded, punctuation dropped, Arabic letter
variants folded: أ إ آ -> ا, ة -> ه, ى -> ي, diacritics and tatweel removed) and scored
for every field:

* 100 when the key is one of the field's known headers (English and Arabic, misspellings);
* 80-90 when its words carry the field's concepts (e.g. a "guarantee" word, misspelt or
  not, plus a "number" word), minus 10 for each word the importer does not know;
* 0 when a word marks a derived column (status, days, today, owner, renewal, release,
  serial number ...) or the words fit another field better (a "bank guarantee number" is
  not a bank name; "date" alone or "today" is no expiry date).

The header row is the row, among the first HEADER_SCAN_ROWS rows of a sheet, whose cells
map the most fields (then the highest total score). Each field takes its best column and
each column serves one field: the best scores are assigned first, the leftmost column wins
a tie, and the columns left over are listed in Detection.ignored. A header is recognised
when it maps the guarantee number and at least one more field. Without a sheet named, the
sheet with the best recognised header is chosen (the first one on a tie, visible sheets
before hidden ones).

Overrides (field -> header text as the user sees it) win over detection: they are matched
after folding spaces (NBSP too) and case, then, failing that, by key. An empty or None
header text unmaps a field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from guarantees.domain.text import clean_text
from guarantees.importer.reader import Sheet, Workbook, WorkbookError
from guarantees.importer.values import strip_invisible

__all__ = [
    "FIELDS",
    "HEADER_SCAN_ROWS",
    "TEMPLATE_HEADERS",
    "Column",
    "Detection",
    "detect",
    "fold_header",
    "score_header",
]

FIELDS = (
    "guarantee_number",
    "supplier",
    "bank",
    "amount",
    "currency",
    "issue_date",
    "expiry_date",
    "contract_number",
    "po_number",
    "type",
    "comment",
)
HEADER_SCAN_ROWS = 15
MIN_SCORE = 30
_MAX_HEADER_LENGTH = 80  # a longer cell is a title or a note, not a column header


@dataclass(frozen=True)
class Column:
    index: int  # 0-based column index in Sheet.rows
    header: str  # the header cell's text, as found (str() of the cell)


@dataclass(frozen=True)
class Detection:
    sheet: str
    header_row: int  # 1-based spreadsheet row of the header
    columns: dict[str, Column]  # field -> column, only the fields found
    ignored: list[str]  # non-blank header cells not mapped to a field, left to right
    headers: list[str] = field(default_factory=list)  # a unique display name per column (see column_names)
    other_sheets: list[str] = field(default_factory=list)  # other sheets whose header was recognised too

    def column_headers(self) -> dict[str, str]:
        """field -> header text, in FIELDS order (the mapping to show the user)."""
        return {name: self.columns[name].header for name in FIELDS if name in self.columns}


# ----------------------------------------------------------------------------- header keys

_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي"})
_ARABIC_MARKS = re.compile("[\u0640\u064b-\u065f\u0670]")
_LETTER_SLASH = re.compile(r"(?<![^\W_])(\w)/(?=\w(?![^\W_]))")  # L/G -> LG, S/N -> SN
_PUNCT = re.compile(r"[\W_]+")


def fold_header(text: object) -> str:
    """Header text folded for comparison: spaces of every kind (NBSP too) folded and trimmed, case folded."""
    return (clean_text(strip_invisible(str(text))) or "").casefold()


@lru_cache(maxsize=4096)
def _key(text: str) -> str:
    folded = fold_header(text)
    folded = _ARABIC_MARKS.sub("", folded).translate(_ARABIC_FOLD)
    folded = folded.replace("#", " no ").replace(".", "").replace("'", "").replace("’", "")
    folded = _LETTER_SLASH.sub(r"\1", folded)
    return " ".join(_PUNCT.sub(" ", folded).split())


# ----------------------------------------------------------------------------- concepts

GUAR, NUM, BANK, NAME, SUPPLIER, AMOUNT, CURRENCY = ["GUAR", "NUM", "BANK", "NAME", "SUPPLIER", "AMOUNT", "CURRENCY"]
DATE, ISSUE, EXPIRY, VALID, UNTIL, CONTRACT, PO = ["DATE", "ISSUE", "EXPIRY", "VALID", "UNTIL", "CONTRACT", "PO"]
PURCHASE, ORDER, TYPE, COMMENT, DERIVED, NEUTRAL = ["PURCHASE", "ORDER", "TYPE", "COMMENT", "DERIVED", "NEUTRAL"]

_CONCEPT_WORDS = {
    GUAR: "guarantee guarantees guaranty guarantie bg bgs lg lgs ضمان ضمانات",
    NUM: "number numbers no nos num nbr nr ref reference رقم",
    BANK: "bank banks بنك بنوك مصرف",
    NAME: "name names اسم",
    SUPPLIER: "supplier suppliers contractor contractors vendor vendors applicant company firm مورد موردين مقاول شركه"
    " متعهد",
    AMOUNT: "amount amounts amt value مبلغ قيمه",
    CURRENCY: "currency curr ccy cur عمله",
    DATE: "date dates dt dated تاريخ",
    ISSUE: "issue issued issuance issuing start اصدار بدايه",
    EXPIRY: "expiry expiration expire expires expiring exp validity maturity end انتهاء صلاحيه",
    VALID: "valid",
    UNTIL: "until till upto حتي",
    CONTRACT: "contract contracts agreement عقد عقود",
    PO: "po pos lpo",
    PURCHASE: "purchase purchasing شراء مشتريات",
    ORDER: "order orders امر",
    TYPE: "type types kind category نوع",
    COMMENT: "comment comments remark remarks note notes observation ملاحظات ملاحظه تعليق تعليقات",
    DERIVED: "status state days day today owner renewal renew renewed release released unrelease un sn serial"
    " remaining reminder words old previous responsible حاله الحاله ايام يوم مسؤول موظف افراج تمديد",
    NEUTRAL: "of the in for on by letter sar sr riyal riyals خطاب ب في",
}
_CONCEPTS: dict[str, str] = {word: concept for concept, words in _CONCEPT_WORDS.items() for word in words.split()}
# Words a misspelling is matched against (first letter equal, at most this many edits).
_FUZZY = {
    "guarantee": 2,
    "guaranty": 1,
    "supplier": 2,
    "contractor": 2,
    "expiry": 1,
    "expiration": 2,
    "validity": 2,
    "amount": 1,
    "currency": 2,
    "comment": 1,
    "remarks": 1,
    "number": 1,
    "purchase": 2,
}
_ARTICLES = ("وال", "بال", "كال", "فال", "لل", "ال")

_EXACT_HEADERS = {
    "guarantee_number": [
        "BANK GUARANTEE NUMBER",
        "BANK GURANTEE NUMBER",
        "BANK GUARANTEE NO",
        "BANK GUARANTEE NO.",
        "GUARANTEE NUMBER",
        "GUARANTEE NO",
        "GUARANTEE NO.",
        "BG NO",
        "BG NO.",
        "BG NUMBER",
        "BG #",
        "LG NO",
        "LG NO.",
        "LG NUMBER",
        "L/G NO",
        "LETTER OF GUARANTEE NUMBER",
        "LETTER OF GUARANTEE NO",
        "BG",
        "LG",
        "رقم الضمان",
        "رقم خطاب الضمان",
        "رقم الضمان البنكي",
        "رقم خطاب الضمان البنكي",
    ],
    "supplier": [
        "SUPPLIER",
        "SUPPLIER NAME",
        "CONTRACTOR",
        "CONTRACTOR NAME",
        "VENDOR",
        "VENDOR NAME",
        "APPLICANT",
        "COMPANY NAME",
        "اسم المورد",
        "المورد",
        "المقاول",
        "اسم المقاول",
        "اسم الشركة",
        "الشركة",
    ],
    "bank": ["BANK", "BANK NAME", "ISSUING BANK", "البنك", "اسم البنك", "البنك المصدر"],
    "amount": [
        "AMOUNT",
        "BG AMOUNT",
        "LG AMOUNT",
        "GUARANTEE AMOUNT",
        "BANK GUARANTEE AMOUNT",
        "GUARANTEE VALUE",
        "VALUE",
        "المبلغ",
        "مبلغ الضمان",
        "قيمة الضمان",
        "القيمة",
    ],
    "currency": ["CURRENCY", "CCY", "CUR", "العملة"],
    "issue_date": ["ISSUE DATE", "DATE OF ISSUE", "ISSUANCE DATE", "BG ISSUE DATE", "تاريخ الإصدار", "تاريخ الاصدار"],
    "expiry_date": [
        "EXPIRY DATE",
        "EXPIRY",
        "EXPIRATION DATE",
        "VALIDITY DATE",
        "VALIDITY",
        "VALID UNTIL",
        "BG EXPIRY DATE",
        "LG EXPIRY DATE",
        "تاريخ الانتهاء",
        "تاريخ انتهاء الضمان",
        "تاريخ الصلاحية",
    ],
    "contract_number": ["CONTRACT NO", "CONTRACT NO.", "CONTRACT NUMBER", "CONTRACT", "رقم العقد", "العقد"],
    "po_number": [
        "PO NO",
        "PO NO.",
        "PO NUMBER",
        "PO",
        "P.O",
        "P.O.",
        "P.O NO",
        "P.O. NO.",
        "PURCHASE ORDER",
        "PURCHASE ORDER NO",
        "PURCHASE ORDER NUMBER",
        "أمر الشراء",
        "رقم أمر الشراء",
    ],
    "type": ["TYPE", "BG TYPE", "LG TYPE", "GUARANTEE TYPE", "TYPE OF GUARANTEE", "النوع", "نوع الضمان"],
    "comment": ["COMMENT", "COMMENTS", "REMARK", "REMARKS", "NOTE", "NOTES", "ملاحظات", "الملاحظات", "ملاحظة", "تعليق"],
}
# The headers of the import template (template.py): English and Arabic in one cell.
TEMPLATE_HEADERS = {
    "guarantee_number": "BANK GUARANTEE NUMBER / رقم الضمان",
    "supplier": "SUPPLIER / المورد",
    "bank": "BANK NAME / اسم البنك",
    "amount": "AMOUNT / المبلغ",
    "currency": "CURRENCY / العملة",
    "issue_date": "ISSUE DATE / تاريخ الإصدار",
    "expiry_date": "EXPIRY DATE / تاريخ الانتهاء",
    "contract_number": "CONTRACT NO. / رقم العقد",
    "po_number": "PO NO. / رقم أمر الشراء",
    "type": "TYPE / النوع",
    "comment": "COMMENT / ملاحظات",
}
_EXACT: dict[str, str] = {_key(text): name for name, texts in _EXACT_HEADERS.items() for text in texts}
_EXACT.update({_key(text): name for name, text in TEMPLATE_HEADERS.items()})
assert set(_EXACT.values()) == set(FIELDS)


def _distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, giving up (limit + 1) once it exceeds limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


@lru_cache(maxsize=4096)
def _concept(word: str) -> str | None:
    if word in _CONCEPTS:
        return _CONCEPTS[word]
    for article in _ARTICLES:
        if word.startswith(article) and len(word) > len(article) + 1 and word[len(article) :] in _CONCEPTS:
            return _CONCEPTS[word[len(article) :]]
    if len(word) >= 5 and word.isascii():
        for known, limit in _FUZZY.items():
            if word[0] == known[0] and _distance(word, known, limit) <= limit:
                return _CONCEPTS[known]
    return None


def _has(concepts: set[str], *wanted: str) -> bool:
    return any(c in concepts for c in wanted)


def _rule_scores(concepts: set[str]) -> dict[str, int]:
    c = concepts
    scores: dict[str, int] = {}
    if DERIVED in c:
        return scores
    if GUAR in c and NUM in c and not _has(c, AMOUNT, DATE, TYPE, CURRENCY, SUPPLIER, NAME, CONTRACT, PO, PURCHASE):
        scores["guarantee_number"] = 90
    elif GUAR in c and c <= {GUAR, BANK, NEUTRAL}:
        scores["guarantee_number"] = 50
    if SUPPLIER in c and not _has(c, BANK, AMOUNT, DATE, NUM, CURRENCY, TYPE, CONTRACT, PO):
        scores["supplier"] = 85
    if BANK in c and not _has(c, GUAR, NUM, AMOUNT, DATE, SUPPLIER, TYPE, CURRENCY, CONTRACT, PO, COMMENT):
        scores["bank"] = 85
    if AMOUNT in c and not _has(c, DATE, NUM, TYPE, CURRENCY, NAME, SUPPLIER):
        scores["amount"] = 85
    if CURRENCY in c and not _has(c, DATE, NUM, NAME):
        scores["currency"] = 85
    if ISSUE in c and DATE in c and not _has(c, EXPIRY, VALID, UNTIL, NUM, BANK):
        scores["issue_date"] = 85
    if (EXPIRY in c or UNTIL in c or (VALID in c and DATE in c)) and not _has(c, ISSUE, NUM, AMOUNT, NAME):
        scores["expiry_date"] = 85
    if CONTRACT in c and not _has(c, SUPPLIER, AMOUNT, DATE, NAME, TYPE, PO, PURCHASE):
        scores["contract_number"] = 85
    if (PO in c or (PURCHASE in c and ORDER in c)) and not _has(c, AMOUNT, DATE, NAME, CONTRACT):
        scores["po_number"] = 85
    if TYPE in c and not _has(c, NUM, AMOUNT, DATE, NAME, SUPPLIER, CURRENCY):
        scores["type"] = 80
    if COMMENT in c:
        scores["comment"] = 80
    return scores


@lru_cache(maxsize=4096)
def score_header(text: str) -> dict[str, int]:
    """Scores (MIN_SCORE..100) of the fields this header text may hold; empty when none."""
    key = _key(text)
    if not key or len(key) > _MAX_HEADER_LENGTH:
        return {}
    if key in _EXACT:
        return {_EXACT[key]: 100}
    concepts: set[str] = set()
    unknown = 0
    for word in key.split():
        concept = _concept(word)
        if concept is None:
            unknown += 1
        else:
            concepts.add(concept)
    return {
        name: score - 10 * unknown
        for name, score in _rule_scores(concepts).items()
        if score - 10 * unknown >= MIN_SCORE
    }


# ----------------------------------------------------------------------------- detection


@dataclass
class _Candidate:
    sheet_index: int
    sheet: Sheet
    row_index: int  # 0-based
    columns: dict[str, int]
    overrides_found: int
    total: int

    @property
    def recognised(self) -> bool:
        return "guarantee_number" in self.columns and len(self.columns) >= 2

    def rank(self) -> tuple:
        return (self.overrides_found, self.recognised, len(self.columns), self.total)


def _header_cells(row: list[object]) -> list[tuple[int, str]]:
    cells = []
    for index, value in enumerate(row):
        if value is None or value == "":
            continue
        text = value if type(value) is str else str(value)
        if text.strip():
            cells.append((index, text))
    return cells


def _match_override(cells: list[tuple[int, str]], wanted: str) -> int | None:
    folded = fold_header(wanted)
    for index, text in cells:
        if fold_header(text) == folded:
            return index
    key = _key(wanted)
    for index, text in cells:
        if key and _key(text) == key:
            return index
    return None


def _assign(cells: list[tuple[int, str]], overrides: Mapping[str, str | None]) -> tuple[dict[str, int], int, int]:
    columns: dict[str, int] = {}
    used: set[int] = set()
    found = 0
    for name, wanted in overrides.items():
        if not wanted:
            continue
        index = _match_override(cells, wanted)
        if index is not None and index not in used:
            columns[name] = index
            used.add(index)
            found += 1
    pairs = []
    for index, text in cells:
        for name, score in score_header(text).items():
            pairs.append((-score, index, name))
    pairs.sort()
    total = 0
    for negative, index, name in pairs:
        if name in columns or name in overrides or index in used:
            continue
        columns[name] = index
        used.add(index)
        total -= negative
    return columns, found, total


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _display_headers(row: list[object], width: int) -> list[str]:
    names: list[str] = []
    seen: dict[str, int] = {}
    for index in range(width):
        value = row[index] if index < len(row) else ""
        text = "" if value is None else (value if type(value) is str else str(value))
        name = (clean_text(strip_invisible(text)) or "") if text.strip() else ""
        name = name or f"Column {_column_letter(index)}"
        count = seen.get(name.casefold(), 0) + 1
        seen[name.casefold()] = count
        names.append(name if count == 1 else f"{name} ({count})")
    return names


def _listing(cells: list[tuple[int, str]]) -> str:
    return ", ".join(repr(text.strip()) for _, text in cells) or "(none)"


def detect(
    workbook: Workbook,
    *,
    sheet: str | None = None,
    overrides: Mapping[str, str | None] | None = None,
) -> Detection:
    """Find the header row and map its columns; WorkbookError with a user-facing message if none fits."""
    overrides = dict(overrides or {})
    unknown = [name for name in overrides if name not in FIELDS]
    if unknown:
        raise WorkbookError(f"Unknown field {unknown[0]!r} in the column mapping. Fields: {', '.join(FIELDS)}.")
    taken: dict[str, str] = {}
    for name, wanted in overrides.items():
        if wanted:
            other = taken.setdefault(fold_header(wanted), name)
            if other != name:
                raise WorkbookError(f"The column {wanted.strip()!r} cannot be mapped to both {other} and {name}.")
    if sheet is not None:
        chosen = workbook.sheet(sheet)
        sheets = [(workbook.sheets.index(chosen), chosen)]
    else:
        sheets = list(enumerate(workbook.sheets))

    best_per_sheet: list[_Candidate] = []
    for sheet_index, current in sheets:
        best: _Candidate | None = None
        for row_index, row in enumerate(current.rows[:HEADER_SCAN_ROWS]):
            cells = _header_cells(row)
            if not cells:
                continue
            columns, found, total = _assign(cells, overrides)
            candidate = _Candidate(sheet_index, current, row_index, columns, found, total)
            if best is None or candidate.rank() > best.rank():
                best = candidate
        if best is not None:
            best_per_sheet.append(best)

    wanted = sum(1 for value in overrides.values() if value)
    recognised = [c for c in best_per_sheet if c.recognised and c.overrides_found == wanted]
    if not recognised:
        if wanted and best_per_sheet:
            top = max(best_per_sheet, key=lambda c: c.rank())
            cells = _header_cells(top.sheet.rows[top.row_index])
            missing = [v for v in overrides.values() if v and _match_override(cells, v) is None]
            if missing:
                raise WorkbookError(
                    f"There is no column {missing[0].strip()!r} in the header row (row {top.row_index + 1} of sheet"
                    f" {top.sheet.name!r}). Columns: {_listing(cells)}."
                )
        where = f"sheet {sheet!r}" if sheet is not None else "any sheet"
        raise WorkbookError(
            f"No header row found in the first {HEADER_SCAN_ROWS} rows of {where}: the import needs a column for the"
            " guarantee number (e.g. 'BANK GUARANTEE NUMBER' or 'رقم الضمان') and at least one more known column"
            " (supplier, bank, amount, expiry date ...). Map the columns by hand if the headers are unusual."
        )
    recognised.sort(key=lambda c: (c.rank()[1:], not c.sheet.hidden, -c.sheet_index), reverse=True)
    top = recognised[0]
    header = top.sheet.rows[top.row_index]
    cells = _header_cells(header)
    mapped = set(top.columns.values())
    width = max([index for index, _ in cells] + list(mapped)) + 1
    columns = {
        name: Column(top.columns[name], str(header[top.columns[name]])) for name in FIELDS if name in top.columns
    }
    return Detection(
        sheet=top.sheet.name,
        header_row=top.row_index + 1,
        columns=columns,
        ignored=[text for index, text in cells if index not in mapped],
        headers=_display_headers(header, width),
        other_sheets=[c.sheet.name for c in recognised[1:]],
    )
