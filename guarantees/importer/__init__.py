"""Excel import, the pure part: read a workbook, find and map its header, parse its rows.

    workbook = read_workbook(path_or_bytes)          # WorkbookError(message) when refused
    detection = detect(workbook, overrides={...})    # header row and field -> column
    for row in parse_rows(workbook, detection): ...  # ParsedRow: values, errors, raw

Nothing here touches the database; the import service builds on these modules.
"""

from guarantees.importer.mapping import FIELDS, Column, Detection, detect
from guarantees.importer.reader import Sheet, Workbook, WorkbookError, read_workbook
from guarantees.importer.rows import ParsedRow, SkippedRow, parse_rows
from guarantees.importer.values import (
    parse_amount,
    parse_code,
    parse_currency,
    parse_date,
    parse_text,
)

__all__ = [
    "FIELDS",
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
]
