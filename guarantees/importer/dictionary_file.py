"""Read a supplier or bank dictionary file (.xlsx or .csv): find its header row, map its columns, check its rows.

Pure: no database. Headers are recognised in Arabic or English the way the guarantee import recognises its
own (headers.header_key folds case, punctuation, spaces and Arabic letter variants), against this module's
own table of fields: official name (one column, or one per language), short name, aliases, and for banks
department, address lines, e-mail and SWIFT/BIC. Workbooks go through the import's reader with its
hostile-file checks (size, kind, encryption, zip bombs, the xlsx scan before any grid is built); a CSV is
read as UTF-8 (with or without BOM), UTF-16 with a BOM, or Windows-1256 (Arabic Excel), with `,`, `;` or
tab between cells, within the same row and column limits.

Each row comes back with its values by field (None for a blank cell: a blank never erases), its aliases
(one cell, separated by `;`, `،`, `؛` or new lines) and the reasons it cannot be used.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from guarantees.domain.email import parse_address
from guarantees.domain.swift import parse_swift
from guarantees.domain.text import clean_text
from guarantees.importer.error_workbook import is_formula_like
from guarantees.importer.headers import header_key
from guarantees.importer.reader import WorkbookError, read_workbook

__all__ = [
    "ENTITY_FIELDS",
    "EXPORT_HEADERS",
    "MAX_BYTES",
    "MAX_ROWS",
    "DictionaryFile",
    "FileRow",
    "detect_columns",
    "parse_swift",
    "read_dictionary",
    "split_aliases",
]

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 100
HEADER_SCAN_ROWS = 15
MAX_ALIASES = 50
# The longest value each field takes (characters); the rest take MAX_TEXT, as the admin pages do.
LIMITS = {"short_name": 20, "email": 200, "swift_bic": 11}
MAX_TEXT = 300

# The fields of a dictionary file; which of them each dictionary reads.
NAME_FIELDS = ("name", "name_ar", "name_en")
ENTITY_FIELDS = {
    "supplier": ("name", "name_ar", "name_en", "short_name", "aliases"),
    "bank": (
        "name", "name_ar", "name_en", "short_name", "aliases", "department", "address_line_1", "address_line_2",
        "email", "swift_bic",
    ),
}  # fmt: skip
# The headers an export writes (English / Arabic in one cell), per dictionary, in column order.
EXPORT_HEADERS = {
    "supplier": {
        "name": "Official name / الاسم الرسمي",
        "short_name": "Short name / الاسم المختصر",
        "aliases": "Aliases / الأسماء البديلة",
    },
    "bank": {
        "name": "Official name / الاسم الرسمي",
        "name_ar": "Official name AR / الاسم الرسمي بالعربية",
        "name_en": "Official name EN / الاسم الرسمي بالإنجليزية",
        "short_name": "Short name / الاسم المختصر",
        "aliases": "Aliases / الأسماء البديلة",
        "department": "Department / الإدارة",
        "address_line_1": "Address line 1 / العنوان 1",
        "address_line_2": "Address line 2 / العنوان 2",
        "email": "E-mail / البريد الإلكتروني",
        "swift_bic": "SWIFT/BIC / رمز السويفت",
    },
}
FIELD_WORDS = {
    "name": _l("official name"),
    "name_ar": _l("Arabic name"),
    "name_en": _l("English name"),
    "short_name": _l("short name"),
    "aliases": _l("aliases"),
    "department": _l("department"),
    "address_line_1": _l("address line 1"),
    "address_line_2": _l("address line 2"),
    "email": _l("e-mail"),
    "swift_bic": _l("SWIFT/BIC"),
}

# ----------------------------------------------------------------------------- headers

NAME, OFFICIAL, AR, EN, SHORT, ALIAS, DEPARTMENT = "NAME", "OFFICIAL", "AR", "EN", "SHORT", "ALIAS", "DEPARTMENT"
ADDRESS, ONE, TWO, EMAIL, SWIFT, ENTITY, NEUTRAL = "ADDRESS", "ONE", "TWO", "EMAIL", "SWIFT", "ENTITY", "NEUTRAL"
_CONCEPT_WORDS = {
    NAME: "name names اسم اسماء",
    OFFICIAL: "official legal full رسمي رسميه",
    AR: "ar arabic arab عربي عربيه بالعربي بالعربيه",
    EN: "en eng english latin انجليزي انجليزيه بالانجليزي بالانجليزيه انكليزي لاتيني",
    SHORT: "short code abbreviation abbr abbrev acronym display مختصر رمز اختصار مختصره",
    ALIAS: "alias aliases aka alternative alternate other others synonyms variants بديل بديله اخري اخرى مرادفات",
    DEPARTMENT: "department dept division section unit attention attn اداره قسم اداره جهه",
    ADDRESS: "address addr عنوان",
    ONE: "1 one first ١ اول الاول",
    TWO: "2 two second ٢ ثاني الثاني",
    EMAIL: "email mail بريد الكتروني ايميل",
    SWIFT: "swift bic swiftbic سويفت",
    ENTITY: "bank supplier contractor vendor company بنك مصرف مورد مقاول شركه",
    NEUTRAL: "of the line in by sa ksa سطر ال",
}
_CONCEPTS = {word: concept for concept, words in _CONCEPT_WORDS.items() for word in words.split()}
_ARTICLES = ("وال", "بال", "ال")
_ARABIC = re.compile("[\u0600-\u06ff]")


def _concept(word: str) -> str | None:
    if word in _CONCEPTS:
        return _CONCEPTS[word]
    for article in _ARTICLES:
        rest = word[len(article) :]
        if word.startswith(article) and len(rest) > 1 and rest in _CONCEPTS:
            return _CONCEPTS[rest]
    return None


def _concepts(key: str) -> tuple[set[str], int]:
    found, unknown = set(), 0
    # "e mail" is one word, however it is written ('E-mail', 'e_mail').
    for word in key.replace("e mail", "email").split():
        concept = _concept(word)
        if concept is None:
            unknown += 1
        else:
            found.add(concept)
    return found, unknown


def score_header(text: str) -> dict[str, int]:
    """Scores (30..100) of the dictionary fields this header may hold; empty when none."""
    key = header_key(text)
    if not key or len(key) > 80:
        return {}
    c, unknown = _concepts(key)
    scores: dict[str, int] = {}
    if SWIFT in c:
        scores["swift_bic"] = 95
    elif EMAIL in c:
        scores["email"] = 95
    elif ALIAS in c:
        scores["aliases"] = 90
    elif ADDRESS in c:
        scores["address_line_2" if TWO in c else "address_line_1"] = 90 if (ONE in c or TWO in c) else 80
    elif DEPARTMENT in c:
        scores["department"] = 90
    elif SHORT in c:
        scores["short_name"] = 90
    elif c & {NAME, OFFICIAL, ENTITY}:
        if AR in c and EN not in c:
            scores["name_ar"] = 90
        elif EN in c and AR not in c:
            scores["name_en"] = 90
        elif not c & {AR, EN}:
            scores["name"] = 85
            # A second name column without a language word: its header's script says which it probably is.
            scores["name_ar" if _ARABIC.search(key) else "name_en"] = 60
    return {name: score - 10 * unknown for name, score in scores.items() if score - 10 * unknown >= 30}


def detect_columns(row: list[object], fields: tuple[str, ...]) -> dict[str, int]:
    """field -> column index of a header row: best scores first, the leftmost column on a tie, one field each."""
    pairs = []
    for index, value in enumerate(row):
        text = _text(value)
        if text:
            for name, score in score_header(text).items():
                if name in fields:
                    pairs.append((-score, index, name))
    columns: dict[str, int] = {}
    for _score, index, name in sorted(pairs):
        if name not in columns and index not in columns.values():
            columns[name] = index
    return columns


# ----------------------------------------------------------------------------- values


def _text(value: object) -> str | None:
    """A cell as text: numbers without a trailing '.0', spaces of every kind folded; None when blank."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_text(value)


_ALIAS_SEPARATORS = re.compile(r"[;\n\r\u060c\u061b]+")  # ; new line، ؛


def split_aliases(text: str | None) -> list[str]:
    """One cell of aliases → the aliases, each once (as written), in order."""
    seen: dict[str, str] = {}
    for part in _ALIAS_SEPARATORS.split(text or ""):
        alias = clean_text(part)
        if alias and alias.casefold() not in seen:
            seen[alias.casefold()] = alias
    return list(seen.values())


@dataclass
class FileRow:
    """One data row: its spreadsheet row number, its values by field (None: blank), aliases, and problems."""

    row_number: int
    values: dict[str, str | None]
    aliases: list[str] = field(default_factory=list)
    errors: list[object] = field(default_factory=list)  # lazy messages, translated when shown

    def names(self) -> list[str]:
        """The row's names, official first."""
        return [self.values[name] for name in NAME_FIELDS if self.values.get(name)]


@dataclass
class DictionaryFile:
    """What a dictionary file holds: where its header is, its columns, and its data rows."""

    entity: str
    format: str  # 'csv' or the workbook's format
    sheet: str | None
    header_row: int  # 1-based
    columns: dict[str, str]  # field -> header text, in the dictionary's field order
    ignored: list[str]
    rows: list[FileRow]


def _check_row(entity: str, row: FileRow, columns: set[str]) -> None:
    values = row.values
    for name, value in values.items():
        # A bank's short name is its short code; a supplier's is its display name, a name like any other.
        limit = MAX_TEXT if (name, entity) == ("short_name", "supplier") else LIMITS.get(name, MAX_TEXT)
        if value is not None and len(value) > limit:
            row.errors.append(
                _l("%(field)s: too long (at most %(max)d characters).", field=FIELD_WORDS[name], max=limit)
            )
            values[name] = None
    if values.get("email"):
        try:
            parse_address(values["email"])
        except ValueError:
            row.errors.append(_l("“%(value)s” is not an e-mail address.", value=values["email"]))
    if values.get("swift_bic"):
        try:
            values["swift_bic"] = parse_swift(values["swift_bic"])
        except ValueError:
            row.errors.append(
                _l("“%(value)s” is not a SWIFT/BIC code (8 or 11 letters and digits).", value=values["swift_bic"])
            )
    if entity == "bank":
        if values.get("short_name"):
            values["short_name"] = values["short_name"].upper()
        # A file with one name column: its name fills the language it is written in (letters carry both).
        name = values.get("name")
        language = "name_ar" if name and _ARABIC.search(name) else "name_en"
        if name and language not in columns:
            values[language] = name
    if len(row.aliases) > MAX_ALIASES:
        row.errors.append(_l("Too many aliases (at most %(max)d).", max=MAX_ALIASES))
    for alias in row.aliases:
        if len(alias) > MAX_TEXT:
            row.errors.append(_l("An alias is too long (at most %(max)d characters).", max=MAX_TEXT))
            break
    if not row.names():
        row.errors.append(_l("The row has no name."))


def _rows(entity: str, grid: list[list[object]], header: int, columns: dict[str, int]) -> list[FileRow]:
    rows = []
    for index in range(header + 1, len(grid)):
        cells = grid[index]
        raw = {name: cells[col] if col < len(cells) else None for name, col in columns.items()}
        values = {name: _text(value) for name, value in raw.items()}
        if not any(values.values()):
            continue
        # Aliases are split before spaces are folded: a new line separates two of them.
        values.pop("aliases", None)
        aliases = split_aliases(str(raw["aliases"])) if raw.get("aliases") not in (None, "") else []
        row = FileRow(index + 1, values, aliases)
        _check_row(entity, row, set(columns))
        rows.append(row)
    return rows


# ----------------------------------------------------------------------------- reading

NOT_A_DICTIONARY_FILE = _l("This file is neither a workbook (.xlsx) nor a CSV text file.")


def _decode(data: bytes) -> str:
    """CSV bytes as text: UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1256 (Arabic Excel's 'CSV')."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ValueError from None
    if b"\x00" in data:
        raise ValueError
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1256")
    except UnicodeDecodeError:
        raise ValueError from None


def _csv_grid(data: bytes) -> list[list[object]]:
    try:
        text = _decode(data)
    except ValueError:
        raise WorkbookError(NOT_A_DICTIONARY_FILE) from None
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    grid: list[list[object]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), dialect):
            if len(grid) >= MAX_ROWS:
                raise WorkbookError(_l("This file has more than %(max)d rows.", max=MAX_ROWS))
            if len(row) > MAX_COLUMNS:
                raise WorkbookError(_l("This file has more than %(max)d columns.", max=MAX_COLUMNS))
            grid.append([_unquote(cell) for cell in row])
    except csv.Error:
        raise WorkbookError(NOT_A_DICTIONARY_FILE) from None
    return grid


def _unquote(cell: str) -> str:
    """A CSV cell as written: the apostrophe an export puts before formula-like text is dropped."""
    return cell[1:] if cell.startswith("'") and is_formula_like(cell[1:]) else cell


def _is_workbook(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_dictionary(entity: str, data: bytes) -> DictionaryFile:
    """The rows of a dictionary file; WorkbookError with a user-facing message when it cannot be read."""
    fields = ENTITY_FIELDS[entity]
    if len(data) > MAX_BYTES:
        raise WorkbookError(
            _l("This file is larger than %(size)s MB, the limit for a dictionary.", size=MAX_BYTES >> 20)
        )
    if not data.strip():
        raise WorkbookError(_l("This file is empty."))
    if _is_workbook(data):
        book = read_workbook(data, max_bytes=MAX_BYTES, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS)
        sheets = [(sheet.name, sheet.rows) for sheet in sorted(book.sheets, key=lambda s: s.hidden)]
        kind = book.format
    else:
        sheets = [(None, _csv_grid(data))]
        kind = "csv"
    best = None
    for name, grid in sheets:
        for index, row in enumerate(grid[:HEADER_SCAN_ROWS]):
            columns = detect_columns(row, fields)
            if not any(field in columns for field in NAME_FIELDS):
                continue
            rank = (len(columns), -index)
            if best is None or rank > best[0]:
                best = (rank, name, grid, index, columns)
        if best is not None:
            break  # the first sheet with a recognised header
    if best is None:
        raise WorkbookError(
            _l(
                "No header row found in the first %(count)d rows: a dictionary file needs a name column, e.g."
                " 'Official name', 'Name EN' or 'الاسم الرسمي'.",
                count=HEADER_SCAN_ROWS,
            )
        )
    _rank, sheet, grid, header, columns = best
    cells = grid[header]
    ignored = [text for i, value in enumerate(cells) if (text := _text(value)) and i not in columns.values()]
    return DictionaryFile(
        entity=entity,
        format=kind,
        sheet=sheet,
        header_row=header + 1,
        columns={name: str(_text(cells[columns[name]])) for name in fields if name in columns},
        ignored=ignored,
        rows=_rows(entity, grid, header, columns),
    )
