"""Excel import, the pure part: read a workbook, find and map its header, parse its rows, write error files.

    workbook = read_workbook(path_or_bytes)          # WorkbookError(message) when refused
    detection = detect(workbook, overrides={...})    # header row and field -> column
    for row in parse_rows(workbook, detection): ...  # ParsedRow: values, errors, raw

Nothing here touches the database; the import service (guarantees.services.imports) builds on these modules,
and `flask import-excel` (cli.py) calls that service.
"""

from guarantees.importer.error_workbook import REASON_HEADER, safe_cell, write_error_workbook
from guarantees.importer.mapping import FIELDS, Column, Detection, detect
from guarantees.importer.reader import Sheet, Workbook, WorkbookError, read_workbook
from guarantees.importer.rows import ParsedRow, SkippedRow, parse_rows
from guarantees.importer.template import write_template
from guarantees.importer.values import (
    parse_amount,
    parse_code,
    parse_currency,
    parse_date,
    parse_text,
)

__all__ = [
    "FIELDS",
    "REASON_HEADER",
    "Column",
    "Detection",
    "ParsedRow",
    "Sheet",
    "SkippedRow",
    "Workbook",
    "WorkbookError",
    "detect",
    "parse_amount",
    "parse_code",
    "parse_currency",
    "parse_date",
    "parse_rows",
    "parse_text",
    "read_workbook",
    "safe_cell",
    "write_error_workbook",
    "write_template",
]
