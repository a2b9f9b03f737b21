"""Each report's table as an .xlsx: counts and amounts as numbers (amounts with thousands and two decimals), months
as dates, and any text (a bank's or supplier's name, a user) written so that it can never become a formula."""

from datetime import date
from io import BytesIO

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from guarantees.domain.guarantee_types import type_label
from guarantees.importer.error_workbook import safe_cell
from guarantees.repositories.reports import ACTION_KINDS, Activity, Total

AMOUNT_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
MONTH_FORMAT = "yyyy-mm"

TITLES = {
    "bank": _l("Exposure by bank"),
    "supplier": _l("Exposure by supplier"),
    "type": _l("Exposure by type"),
    "month": _l("Expiring by month"),
    "activity": _l("Activity by month and user"),
}
KEY_HEADERS = {"bank": _l("Bank"), "supplier": _l("Supplier"), "type": _l("Type"), "month": _l("Expiry month")}
ACTION_HEADERS = {
    "extension": _l("Extensions"), "reduction": _l("Reductions"), "release": _l("Releases"), "void": _l("Voids"),
}  # fmt: skip


def _cell(sheet, value, number_format: str | None = None):
    cell = WriteOnlyCell(sheet, value=value)
    if number_format:
        cell.number_format = number_format
    return cell


def _header(sheet, names: list) -> list:
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=safe_cell(str(name)))
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def workbook(table: str, lines: list[Total] | list[Activity]) -> bytes:
    """The .xlsx of one report table (`table` one of TITLES) from its lines as the page shows them."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(TITLES[table])[:31])
    if table == "activity":
        names = [_l("Month"), _l("User"), *(ACTION_HEADERS[kind] for kind in ACTION_KINDS), _l("Batches"), _l("Rows")]
        sheet.append(_header(sheet, names))
        for line in lines:
            sheet.append(
                [
                    _cell(sheet, line.month, MONTH_FORMAT),
                    safe_cell(line.user, sheet),
                    *(_cell(sheet, line.actions[kind], COUNT_FORMAT) for kind in ACTION_KINDS),
                    _cell(sheet, line.batches, COUNT_FORMAT),
                    _cell(sheet, line.rows, COUNT_FORMAT),
                ]
            )
    else:
        sheet.append(_header(sheet, [KEY_HEADERS[table], _l("Currency"), _l("Guarantees"), _l("Total amount")]))
        for line in lines:
            if table == "month":
                key = _cell(sheet, date.fromisoformat(f"{line.key}-01"), MONTH_FORMAT)
            else:
                key = safe_cell(type_label(line.key) if table == "type" else line.label, sheet)
            sheet.append(
                [
                    key,
                    safe_cell(line.currency, sheet),
                    _cell(sheet, line.count, COUNT_FORMAT),
                    _cell(sheet, line.amount, AMOUNT_FORMAT),
                ]
            )
    out = BytesIO()
    book.save(out)
    return out.getvalue()
