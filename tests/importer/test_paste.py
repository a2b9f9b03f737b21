"""Pasted text into the import's grid: tabs, several spaces, Excel's quoted cells, line ends, headers, limits; and
the real workbooks' rows copied as Excel copies them, read as the Excel import reads the workbooks."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from guarantees.importer import WorkbookError, detect, parse_rows, read_workbook
from guarantees.importer.headers import TEMPLATE_HEADERS
from guarantees.importer.paste import MAX_TEXT_BYTES, column_name, read_paste, split_cells
from tests.conftest import SHARED_FIXTURES

WORKBOOKS = sorted((SHARED_FIXTURES / "xlsx").glob("*.xlsx")) if (SHARED_FIXTURES / "xlsx").is_dir() else []


# -- clipboard text as Excel makes it ---------------------------------------------------------------------------


def _shown(cell) -> str:
    """A cell as Excel shows it, and so copies it (its number format applied, roughly as a Saudi office has it)."""
    value, fmt = cell.value, cell.number_format or "General"
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        if "mmm" in fmt:
            year = f"{value:%y}" if "yyyy" not in fmt else f"{value.year}"
            return f"{value.day}-{value:%b}-{year}"
        return f"{value.day}/{value.month}/{value.year}"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        if "#,##0.00" in fmt:
            text = f"{value:,.2f}"
            return f" {text} " if fmt.startswith("_(") else text  # the accounting format pads with spaces
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    text = str(value)
    if any(c in text for c in "\t\r\n") or text.startswith('"'):
        return '"' + text.replace('"', '""') + '"'
    return text


def clipboard_text(path: Path, rows: int | None = None) -> str:
    """The first sheet's rows (the header row and `rows` more, or all) as Excel copies a range: cells joined by
    tabs, rows ended by CRLF, as far as the last column holding a value."""
    # the last column holding a value, as the reader finds it (a sheet may declare thousands of empty ones)
    width = max(len(row) for row in read_workbook(path).sheets[0].rows)
    book = load_workbook(path, data_only=True)  # formulas: the values Excel last computed, as calamine reads them
    sheet = book.worksheets[0]
    last = sheet.max_row if rows is None else min(sheet.max_row, rows + 1)
    lines = ["\t".join(_shown(cell) for cell in row) for row in sheet.iter_rows(max_row=last, max_col=width)]
    return "\r\n".join(lines) + "\r\n"


def _parsed(workbook, **kwargs):
    detection = detect(workbook, **kwargs)
    return detection, list(parse_rows(workbook, detection))


@pytest.mark.parametrize("path", WORKBOOKS or [None], ids=[p.name for p in WORKBOOKS] or ["absent"])
def test_a_real_workbook_copied_from_excel_reads_as_its_import(path):
    if path is None:
        pytest.skip("real workbooks not found: ../shared/fixtures is absent beside the project")
    excel_detection, excel_rows = _parsed(read_workbook(path))
    pasted = read_paste(clipboard_text(path))
    assert pasted.has_header and pasted.separator == "tab"
    detection, rows = _parsed(pasted.workbook)
    assert detection.header_row == excel_detection.header_row
    assert detection.column_headers().keys() == excel_detection.column_headers().keys()
    assert len(rows) == len(excel_rows) > 0
    for mine, theirs in zip(rows, excel_rows, strict=True):
        assert mine.row_number == theirs.row_number
        assert mine.values == theirs.values, mine.row_number
        assert mine.errors == theirs.errors


# -- splitting ----------------------------------------------------------------------------------------------------


def test_tabs_and_windows_line_ends():
    rows, separator = split_cells("A\tB\tC\r\n1\t2\t3\r\n")
    assert separator == "tab"
    assert rows == [["A", "B", "C"], ["1", "2", "3"]]


def test_lone_cr_and_lf_line_ends_and_trailing_empty_cells_and_rows():
    rows, _ = split_cells("A\tB\t\t\r1\t\t\n\t\t\r\n\r\n")
    assert rows == [["A", "B"], ["1"]]


def test_empty_cells_inside_a_row_keep_the_columns_in_place():
    rows, _ = split_cells("A\t\tC\n\tB\t\n")
    assert rows == [["A", "", "C"], ["", "B"]]


def test_excel_quoted_cells_hold_tabs_line_ends_and_doubled_quotes():
    text = 'N\tSupplier\tComment\r\nG1\t"Acme\r\nTrading"\t"says ""extend""\tnow"\r\nG2\tBeta\t"x"\r\n'
    rows, _ = split_cells(text)
    assert rows == [["N", "Supplier", "Comment"], ["G1", "Acme\r\nTrading", 'says "extend"\tnow'], ["G2", "Beta", "x"]]


def test_a_quote_that_opens_no_quoted_cell_is_text():
    rows, _ = split_cells('G1\t"Best" Co\tx\r\nG2\t"unclosed\tx\r\n')
    assert rows == [["G1", '"Best" Co', "x"], ["G2", '"unclosed', "x"]]


def test_an_email_table_splits_on_runs_of_spaces_not_on_one():
    text = "Guarantee No   Supplier Name      Bank\nJLG 1   Al Rajhi Trading  Riyad Bank\n"
    rows, separator = split_cells(text)
    assert separator == "spaces"
    assert rows == [["Guarantee No", "Supplier Name", "Bank"], ["JLG 1", "Al Rajhi Trading", "Riyad Bank"]]


def test_non_breaking_spaces_trim_and_separate_like_spaces():
    rows, _ = split_cells("\ufeffA\u00a0\u00a0B C\u00a0\r\n\u00a0G1\u00a0 \u00a0x\r\n")
    assert rows == [["A", "B C"], ["G1", "x"]]
    rows, _ = split_cells("N\tS\r\n\u00a0G1\u00a0\t\u00a0\r\n")
    assert rows == [["N", "S"], ["G1"]]


# -- headers ------------------------------------------------------------------------------------------------------


def test_an_english_header_is_found_by_the_import_detection():
    text = "S/N\tBANK GURANTEE NUMBER\tCONTRACTOR NAME\tBANK NAME\tAMOUNT\r\n1\tJLG1\tAcme\tSNB\t1,000.00\r\n"
    pasted = read_paste(text)
    assert pasted.has_header and pasted.overrides is None
    detection, rows = _parsed(pasted.workbook)
    assert set(detection.columns) == {"guarantee_number", "supplier", "bank", "amount"}
    assert [(r.row_number, r.values["guarantee_number"], str(r.values["amount"])) for r in rows] == [
        (2, "JLG1", "1000.00")
    ]


def test_an_arabic_header_in_an_email_table():
    text = "رقم الضمان    اسم المورد    البنك    المبلغ\nJLG-7    شركة النخبة    البنك الأهلي    25,200\n"
    pasted = read_paste(text)
    assert pasted.has_header and pasted.separator == "spaces"
    detection, rows = _parsed(pasted.workbook)
    assert rows[0].values == {
        "guarantee_number": "JLG-7",
        "supplier": "شركة النخبة",
        "bank": "البنك الأهلي",
        "amount": rows[0].values["amount"],
    }
    assert str(rows[0].values["amount"]) == "25200.00"


def test_a_title_line_above_the_header_is_left_out_as_in_an_import():
    text = "Guarantees for June\r\nBG NO\tSUPPLIER\tBANK\r\nG1\tAcme\tSNB\r\n"
    detection, rows = _parsed(read_paste(text).workbook)
    assert detection.header_row == 2 and [r.row_number for r in rows] == [3]


def test_without_a_header_the_template_order_is_assumed_and_shown_as_column_names():
    text = "JLG1\tAcme\tRiyad Bank\t1,000\tSAR\t01/01/2025\t01/01/2026\r\nJLG2\tBeta\tSNB\t2000\r\n"
    pasted = read_paste(text)
    assert not pasted.has_header
    assert pasted.overrides == {
        "guarantee_number": "Column A",
        "supplier": "Column B",
        "bank": "Column C",
        "amount": "Column D",
        "currency": "Column E",
        "issue_date": "Column F",
        "expiry_date": "Column G",
    }
    assert pasted.workbook.sheets[0].rows[0] == [column_name(i) for i in range(7)]
    assert pasted.data_rows == 2
    detection, rows = _parsed(pasted.workbook, overrides=pasted.overrides)
    assert detection.headers == [column_name(i) for i in range(7)]
    assert [r.values["guarantee_number"] for r in rows] == ["JLG1", "JLG2"]
    assert rows[0].values["expiry_date"] == date(2026, 1, 1) and rows[1].values["bank"] == "SNB"


def test_the_template_headers_themselves_are_a_header():
    text = "\t".join(TEMPLATE_HEADERS.values()) + "\r\nG1\tAcme\tSNB\t5\r\n"
    assert read_paste(text).has_header


def test_one_column_without_a_header_is_refused_asking_for_the_header_row():
    with pytest.raises(WorkbookError, match="header row"):
        read_paste("JLG1\nJLG2\n")


def test_column_names_past_z():
    assert [column_name(i) for i in (0, 25, 26, 27, 701, 702)] == [
        "Column A", "Column Z", "Column AA", "Column AB", "Column ZZ", "Column AAA",
    ]  # fmt: skip


# -- limits -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \r\n\t\t\r\n\u00a0\n"])
def test_empty_input_is_refused(text):
    with pytest.raises(WorkbookError, match="Nothing to read"):
        read_paste(text)


def test_text_over_the_size_limit_is_refused_before_it_is_split():
    with pytest.raises(WorkbookError, match="larger than 2 MB"):
        read_paste("ب" * (MAX_TEXT_BYTES // 2 + 1))  # two bytes a letter: over the limit in bytes, not in letters


def test_the_import_row_and_column_limits_hold():
    with pytest.raises(WorkbookError, match="at most 3 rows"):
        read_paste("N\tS\r\n" + "G\tx\r\n" * 3, max_rows=3)
    with pytest.raises(WorkbookError, match="at most 4 columns"):
        read_paste("\t".join("abcde") + "\r\n", max_columns=4)


def test_a_large_paste_reads_in_one_pass():
    rows = "".join(f"G{n}\tSupplier {n}\tSNB\t{n},000.00\r\n" for n in range(20_000))
    text = "BG NO\tSUPPLIER\tBANK\tAMOUNT\r\n" + rows
    assert len(text.encode()) < MAX_TEXT_BYTES
    pasted = read_paste(text)
    assert pasted.has_header and pasted.data_rows == 20_000
