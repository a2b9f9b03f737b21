"""The blank import template users download: one bilingual header row that detect() maps exactly."""

from __future__ import annotations

import os
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from guarantees.importer.headers import FIELDS, TEMPLATE_HEADERS

__all__ = ["write_template"]

_TEXT_FIELDS = {"guarantee_number", "contract_number", "po_number"}  # keep leading zeros: text cells
_DATE_FIELDS = {"issue_date", "expiry_date"}


def write_template(stream: str | os.PathLike | BinaryIO) -> None:
    """Write the template workbook (sheet 'Guarantees', header row bold and frozen) to a path or binary stream."""
    book = Workbook()
    ws = book.active
    ws.title = "Guarantees"
    ws.freeze_panes = "A2"
    ws.sheet_view.rightToLeft = False
    bold = Font(bold=True)
    for index, name in enumerate(FIELDS, start=1):
        cell = ws.cell(row=1, column=index, value=TEMPLATE_HEADERS[name])
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        column = ws.column_dimensions[get_column_letter(index)]
        column.width = 34 if name in {"guarantee_number", "supplier", "comment"} else 20
        if name in _TEXT_FIELDS:
            column.number_format = "@"
        elif name in _DATE_FIELDS:
            column.number_format = "DD/MM/YYYY"
        elif name == "amount":
            column.number_format = "#,##0.00"
    book.save(os.fspath(stream) if isinstance(stream, str | os.PathLike) else stream)
