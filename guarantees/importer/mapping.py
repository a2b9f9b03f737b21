"""Find the header row of a guarantee list and map its columns to the register's fields.

Each header cell is scored per field by headers.score_header. The header row is the row,
among the first HEADER_SCAN_ROWS rows of a sheet, whose cells map the most fields (then the
highest total score). Each field takes its best column and each column serves one field: the
best scores are assigned first, the leftmost column wins a tie, and the columns left over are
listed in Detection.ignored. A header is recognised when it maps the guarantee number and at
least one more field. Without a sheet named, the sheet with the best recognised header is
chosen (the first one on a tie, visible sheets before hidden ones).

Overrides (field -> header text as the user sees it) win over detection: they are matched
after folding spaces (NBSP too) and case, then, failing that, by key. An empty or None
header text unmaps a field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from guarantees.domain.text import clean_text
from guarantees.importer.headers import FIELD_WORDS, FIELDS, TEMPLATE_HEADERS, fold_header, header_key, score_header
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

HEADER_SCAN_ROWS = 15


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
    key = header_key(wanted)
    for index, text in cells:
        if key and header_key(text) == key:
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


def _listing(cells: list[tuple[int, str]]) -> object:
    return ", ".join(repr(text.strip()) for _, text in cells) or _l("(none)")


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
        raise WorkbookError(
            _l(
                "Unknown field %(field)s in the column mapping. Fields: %(fields)s.",
                field=repr(unknown[0]),
                fields=", ".join(FIELDS),
            )
        )
    taken: dict[str, str] = {}
    for name, wanted in overrides.items():
        if wanted:
            other = taken.setdefault(fold_header(wanted), name)
            if other != name:
                raise WorkbookError(
                    _l(
                        "The column %(column)s cannot be mapped to both %(first)s and %(second)s.",
                        column=repr(wanted.strip()),
                        first=FIELD_WORDS[other],
                        second=FIELD_WORDS[name],
                    )
                )
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
                    _l(
                        "There is no column %(column)s in the header row (row %(row)d of sheet %(sheet)s)."
                        " Columns: %(columns)s.",
                        column=repr(missing[0].strip()),
                        row=top.row_index + 1,
                        sheet=repr(top.sheet.name),
                        columns=_listing(cells),
                    )
                )
        if sheet is not None:
            raise WorkbookError(
                _l(
                    "No header row found in the first %(count)d rows of sheet %(sheet)s: the import needs a column for"
                    " the guarantee number (e.g. 'BANK GUARANTEE NUMBER' or 'رقم الضمان') and at least one more known"
                    " column (supplier, bank, amount, expiry date ...). Map the columns by hand if the headers are"
                    " unusual.",
                    count=HEADER_SCAN_ROWS,
                    sheet=repr(sheet),
                )
            )
        raise WorkbookError(
            _l(
                "No header row found in the first %(count)d rows of any sheet: the import needs a column for the"
                " guarantee number (e.g. 'BANK GUARANTEE NUMBER' or 'رقم الضمان') and at least one more known column"
                " (supplier, bank, amount, expiry date ...). Map the columns by hand if the headers are unusual.",
                count=HEADER_SCAN_ROWS,
            )
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
