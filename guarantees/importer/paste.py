"""Rows pasted from Excel or an e-mail table, turned into the grid the workbook reader gives (reader.Workbook).

    pasted = read_paste(text)    # WorkbookError(message) when refused
    detect(pasted.workbook, overrides=pasted.overrides) ...    # then exactly as an import

How the text is cut into cells:

* a text holding a tab is a copy from a spreadsheet: cells end at a tab, rows at a line end (CRLF, LF or
  CR). A cell Excel wrote in double quotes (it does so for a cell holding a tab, a line end or a quote) is
  read as one cell, its doubled quotes made single; a quote that does not open such a cell is kept as text;
* a text without a tab is an e-mail or plain-text table: each line is a row, its cells separated by runs of
  two or more spaces (non-breaking spaces too); a single space stays inside a cell;
* cells are trimmed (non-breaking spaces too) and a cell of spaces only is empty; empty cells at the end of
  a row and empty rows at the end of the text are dropped; a byte order mark is dropped.

Header: the header row is found by the import's own detection (mapping.detect, headers.py). When none is
found, the rows are taken in the column order of the import template (template.py): a row of names
"Column A", "Column B" ... is put above them and mapped in that order through the detection's overrides,
so that the preview shows the assumed mapping and it can be corrected like an import's. Nothing is written
before that preview, which says that no header row was found. A paste of one column cannot be a list of
guarantees without its header: refused, asking for the header row.

Limits: the text's size (MAX_TEXT_BYTES, UTF-8), and the import's rows and columns per sheet.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from guarantees.importer.headers import FIELDS
from guarantees.importer.mapping import detect
from guarantees.importer.reader import MAX_COLUMNS, MAX_ROWS, Sheet, Workbook, WorkbookError
from guarantees.importer.xlsx_scan import Limits, Refused, check_size

__all__ = ["MAX_TEXT_BYTES", "SHEET", "Pasted", "column_name", "read_paste", "split_cells", "too_big"]

MAX_TEXT_BYTES = 2 * 1024 * 1024
SHEET = "Pasted rows"

EMPTY = _l("Nothing to read: paste rows copied from Excel or from a table in an e-mail.")
ONE_COLUMN = _l(
    "The pasted rows have a single column and no header row. Copy the header row with the rows (for example "
    "'BANK GUARANTEE NUMBER' or 'رقم الضمان'), and keep the cells apart with tabs (as Excel copies them) or with "
    "at least two spaces."
)

_LINE_END = re.compile(r"\r\n|\r|\n")
_WIDE_GAP = re.compile(r"[ \t\u00a0\u2007\u202f]{2,}")


@dataclass(frozen=True)
class Pasted:
    """A paste read: its grid as a one-sheet workbook, and how its columns are to be mapped."""

    workbook: Workbook
    has_header: bool  # False: the template's column order was assumed (a row of column names put above)
    overrides: dict[str, str] | None  # the mapping to detect with (None: the detection's own)
    separator: str  # 'tab' or 'spaces'

    @property
    def data_rows(self) -> int:
        """How many rows of the grid are data, not the header (or the column names put above)."""
        return max(len(self.workbook.sheets[0].rows) - 1, 0)


def too_big() -> object:
    """The refusal of a text over MAX_TEXT_BYTES (the paste form says the same before reading it)."""
    return _l(
        "The pasted text is larger than %(size)s, the limit for pasted rows. Import the rows as a workbook instead.",
        size=f"{MAX_TEXT_BYTES // (1024 * 1024)} MB",
    )


def column_name(index: int) -> str:
    """'Column A' for index 0, 'Column AB' for 27: the names the mapping shows for columns without a header."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return f"Column {letters}"


def _clean(cell: str) -> str:
    """Trimmed of every kind of space (non-breaking ones too); '' when nothing else is left."""
    return cell.strip()


def _tab_rows(text: str) -> list[list[str]]:
    """Excel's clipboard text: tab-separated cells, line-ended rows, "quoted" cells with doubled quotes."""
    rows: list[list[str]] = []
    row: list[str] = []
    i, n = 0, len(text)
    while True:
        cell, i = _tab_cell(text, i, n)
        row.append(_clean(cell))
        if i >= n:
            rows.append(row)
            return rows
        if text[i] == "\t":
            i += 1
            continue
        # a line end: \r\n, \r or \n
        i += 2 if text.startswith("\r\n", i) else 1
        rows.append(row)
        row = []
        if i >= n:
            return rows


def _tab_cell(text: str, start: int, n: int) -> tuple[str, int]:
    """One cell from `start`: its text and the index of what ends it (a tab, a line end, or n)."""
    if start < n and text[start] == '"':
        parts: list[str] = []
        i = start + 1
        while True:
            quote = text.find('"', i)
            if quote < 0:
                break  # never closed: not a quoted cell
            parts.append(text[i:quote])
            if text.startswith('""', quote):
                parts.append('"')
                i = quote + 2
                continue
            after = quote + 1
            if after >= n or text[after] in "\t\r\n":
                return "".join(parts), after
            break  # text after the closing quote: not a quoted cell
    end = start
    while end < n and text[end] not in "\t\r\n":
        end += 1
    return text[start:end], end


def _space_rows(text: str) -> list[list[str]]:
    """A plain-text table: one row a line, cells apart by two or more spaces."""
    return [[_clean(cell) for cell in _WIDE_GAP.split(line.strip())] for line in _LINE_END.split(text)]


def split_cells(text: str) -> tuple[list[list[str]], str]:
    """The text's rows of cells (trailing empty cells and rows dropped), and 'tab' or 'spaces'."""
    text = text.removeprefix("\ufeff")
    separator = "tab" if "\t" in text else "spaces"
    rows = _tab_rows(text) if separator == "tab" else _space_rows(text)
    for row in rows:
        while row and not row[-1]:
            row.pop()
    while rows and not rows[-1]:
        rows.pop()
    return rows, separator


def read_paste(text: str, *, max_rows: int = MAX_ROWS, max_columns: int = MAX_COLUMNS) -> Pasted:
    """The pasted text as a one-sheet workbook, with its header found or the template's order assumed;
    WorkbookError with a user-facing message when refused."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) > MAX_TEXT_BYTES:
        raise WorkbookError(too_big())
    rows, separator = split_cells(text)
    if not any(rows):
        raise WorkbookError(EMPTY)
    width = max(len(row) for row in rows)
    try:
        check_size(str(SHEET), len(rows), width, Limits(max_rows, max_columns))
    except Refused as refusal:
        raise WorkbookError(refusal.args[0]) from None
    sha256 = hashlib.sha256(data).hexdigest()

    def book(grid: list[list[object]]) -> Workbook:
        return Workbook([Sheet(SHEET, grid)], format="paste", size=len(data), sha256=sha256, sheet_names=[SHEET])

    found = book(rows)
    try:
        detect(found)
    except WorkbookError:
        pass
    else:
        return Pasted(found, True, None, separator)
    if width < 2:
        raise WorkbookError(ONE_COLUMN)
    names = [column_name(index) for index in range(width)]
    overrides = {name: names[index] for index, name in enumerate(FIELDS) if index < width}
    return Pasted(book([names, *rows]), False, overrides, separator)
