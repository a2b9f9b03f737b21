"""The answers page as an .xlsx: one row per letter, with what we asked, what the bank granted, its letter, the
proof's file names and the state; dates as dates, amounts as numbers, and any text (a bank's name, a reference,
a file name) written so that it can never become a formula."""

from io import BytesIO

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from guarantees.domain import labels
from guarantees.importer.error_workbook import safe_cell
from guarantees.repositories.bank_answers import AnsweredLetter

DATE_FORMAT = "yyyy-mm-dd"
AMOUNT_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
HEADERS = (
    _l("Guarantee number"),
    _l("Bank"),
    _l("Letter"),
    _l("Reference number"),
    _l("Issued"),
    _l("Expiry before"),
    _l("Expiry asked"),
    _l("Amount before"),
    _l("Amount asked"),
    _l("Currency"),
    _l("Expiry granted"),
    _l("Granted differs"),
    _l("Bank's letter date"),
    _l("Bank's reference"),
    _l("Proof"),
    _l("State"),
    _l("Days waiting"),
)


def state_text(letter: AnsweredLetter) -> str:
    """The letter's state in words: confirmed, waiting N days, or voided."""
    if letter.state == "voided":
        return _("Voided")
    if letter.state == "waiting":
        return ngettext("Waiting %(num)d day", "Waiting %(num)d days", letter.days_waiting or 0)
    return _("Confirmed")


def _cell(sheet, value, number_format: str):
    cell = WriteOnlyCell(sheet, value=value)
    if value is not None:
        cell.number_format = number_format
    return cell


def _row(sheet, letter: AnsweredLetter) -> list:
    extension = letter.action_type == "extension"
    return [
        safe_cell(letter.number, sheet),
        safe_cell(letter.bank or "", sheet),
        safe_cell(labels.label("action_type", letter.action_type), sheet),
        safe_cell(letter.reference or "", sheet),
        _cell(sheet, letter.issued_on, DATE_FORMAT),
        _cell(sheet, letter.previous_expiry if extension else None, DATE_FORMAT),
        _cell(sheet, letter.asked_expiry if extension else None, DATE_FORMAT),
        _cell(sheet, letter.previous_amount, AMOUNT_FORMAT),
        _cell(sheet, letter.asked_amount, AMOUNT_FORMAT),
        safe_cell(letter.currency or "", sheet),
        _cell(sheet, letter.granted_expiry, DATE_FORMAT),
        _("yes") if letter.differs else "",
        _cell(sheet, letter.answer_date, DATE_FORMAT),
        safe_cell(letter.bank_reference or "", sheet),
        safe_cell("; ".join(file.name for file in letter.files), sheet),
        state_text(letter),
        _cell(sheet, letter.days_waiting, COUNT_FORMAT),
    ]


def workbook(letters: list[AnsweredLetter]) -> bytes:
    """The .xlsx of the answers page's rows (every page of them)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(_l("Bank answers"))[:31])
    header = []
    for name in HEADERS:
        cell = WriteOnlyCell(sheet, value=safe_cell(str(name)))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for letter in letters:
        sheet.append(_row(sheet, letter))
    out = BytesIO()
    book.save(out)
    return out.getvalue()
