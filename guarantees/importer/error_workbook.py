"""The workbook of rejected rows a user downloads after an import, and the cell helper every export uses.

safe_cell keeps a spreadsheet export from ever holding a formula (or an error value) that
came from user data: a string starting with '=', '+', '-', '@', a tab, CR or LF, or one
that reads like an error ('#N/A'), is written as a text cell (data_type 's') with Excel's
"quote prefix" flag, so it shows unchanged and stays text even when the cell is edited.
Characters XML cannot hold are removed and text is cut at Excel's 32,767 characters.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

__all__ = ["REASON_HEADER", "is_formula_like", "safe_cell", "write_error_workbook"]

REASON_HEADER = "Reason / السبب"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
_MAX_CELL_TEXT = 32_767


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet program could read this text as a formula or an error value."""
    return text.startswith(_FORMULA_STARTS) or text in ERROR_CODES


def safe_cell(value: object, ws: object = None) -> object:
    """A value ready for ws.append() that can never become a formula.

    Non-strings are returned unchanged (numbers, Decimal, dates, None). A plain string is
    returned cleaned of characters XML cannot hold. A formula-like string becomes a text
    cell: pass the worksheet `ws` to get a cell bound to it (needed for a write-only
    worksheet, and it adds the quote-prefix flag); without `ws` the cell is detached,
    which a normal worksheet's append() accepts.
    """
    if not isinstance(value, str):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", value)[:_MAX_CELL_TEXT]
    if not is_formula_like(text):
        return text
    if ws is None:
        cell = Cell(None)
    elif isinstance(ws, WriteOnlyWorksheet):
        cell = WriteOnlyCell(ws)
    else:
        cell = Cell(ws)
    cell.value = text
    cell.data_type = "s"
    if ws is not None:
        cell.quotePrefix = True
    return cell


def _header_cell(ws: WriteOnlyWorksheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws)
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", text)[:_MAX_CELL_TEXT]
    cell.data_type = "s"
    cell.font = Font(bold=True)
    cell.alignment = Alignment(vertical="top", wrap_text=True)
    if is_formula_like(text):
        cell.quotePrefix = True
    return cell


def write_error_workbook(
    rows: Iterable[tuple[Mapping[str, str], str]],
    headers: list[str],
    path_or_stream: str | os.PathLike | BinaryIO,
) -> None:
    """Write the rejected rows: the original columns (`headers`, in order) and a reason column.

    `rows` are (raw cells by header, reason) pairs, e.g. (ParsedRow.raw, "; ".join(errors));
    a header missing from a row's dict gives an empty cell. The header row is bold and frozen.
    """
    book = Workbook(write_only=True)
    ws = book.create_sheet("Errors")
    ws.freeze_panes = "A2"
    for index, header in enumerate([*headers, REASON_HEADER], start=1):
        ws.column_dimensions[get_column_letter(index)].width = min(max(len(header) + 4, 14), 60)
    ws.append([_header_cell(ws, header) for header in [*headers, REASON_HEADER]])
    for raw, reason in rows:
        values = [raw.get(header) for header in headers]
        ws.append([safe_cell(None if v == "" else v, ws) for v in values] + [safe_cell(reason, ws)])
    target = os.fspath(path_or_stream) if isinstance(path_or_stream, str | os.PathLike) else path_or_stream
    book.save(target)
