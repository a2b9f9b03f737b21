"""The error workbook (never a formula from user data), safe_cell, and the import template."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from guarantees.importer import (
    FIELDS,
    REASON_HEADER,
    detect,
    parse_rows,
    read_workbook,
    safe_cell,
    write_error_workbook,
    write_template,
)

DANGEROUS = ['=HYPERLINK("http://x","click")', "+1+2", "-3+4", "@SUM(A1)", "\t=1", "\r=1", "=", "#N/A", "#REF!"]
READ_BACK = [text.replace("\r", "\n") for text in DANGEROUS]  # XML reads a CR back as LF


def sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode("utf-8")


def test_error_workbook(tmp_path):
    headers = ["BANK GUARANTEE NUMBER", "SUPPLIER", "AMOUNT", "=cmd|' /C calc'!A0"]
    rows = [
        ({"BANK GUARANTEE NUMBER": "LG1", "SUPPLIER": "=1+2", "AMOUNT": "abc"}, "amount: 'abc' is not a number"),
        (
            {"BANK GUARANTEE NUMBER": "", "SUPPLIER": "شركة", "AMOUNT": "-5", "ignored": "x"},
            "guarantee_number: missing",
        ),
    ] + [({"BANK GUARANTEE NUMBER": f"LG{i}", "SUPPLIER": text}, "-bad") for i, text in enumerate(DANGEROUS)]
    out = io.BytesIO()
    write_error_workbook(rows, headers, out)
    data = out.getvalue()
    path = tmp_path / "errors.xlsx"
    write_error_workbook(rows, headers, path)
    assert path.read_bytes()[:2] == b"PK"

    book = load_workbook(io.BytesIO(data))
    ws = book.active
    assert ws.freeze_panes == "A2"
    header = [cell.value for cell in ws[1]]
    assert header == [*headers, REASON_HEADER]
    assert REASON_HEADER == "Reason / السبب"
    assert all(cell.font.b for cell in ws[1])
    values = [[cell.value for cell in row] for row in ws.iter_rows(min_row=2)]
    assert values[0] == ["LG1", "=1+2", "abc", None, "amount: 'abc' is not a number"]
    assert values[1] == [None, "شركة", "-5", None, "guarantee_number: missing"]
    assert [row[1] for row in values[2:]] == READ_BACK
    # No cell is a formula or an error value: every string is a text cell, the dangerous ones quote-prefixed.
    for row in ws.iter_rows():
        for cell in row:
            assert cell.data_type in ("s", "n"), (cell.coordinate, cell.value, cell.data_type)
            if isinstance(cell.value, str) and cell.value[:1] in "=+-@\t\r#":
                assert cell.quotePrefix, cell.coordinate
    xml = sheet_xml(data)
    assert "<f>" not in xml and "<f " not in xml
    assert 't="e"' not in xml
    # And calamine reads the text back unchanged.
    again = read_workbook(data)
    assert again.sheets[0].rows[1][:2] == ["LG1", "=1+2"]


def test_error_workbook_from_parsed_rows(xlsx_bytes):
    workbook = read_workbook(xlsx_bytes([["BG NO", "SUPPLIER", "AMOUNT"], ["LG1", "+EVIL()", "abc"], ["LG2", "B", 5]]))
    detection = detect(workbook)
    bad = [(row.raw, "; ".join(row.errors)) for row in parse_rows(workbook, detection) if row.errors]
    out = io.BytesIO()
    write_error_workbook(bad, detection.headers, out)
    rows = read_workbook(out.getvalue()).sheets[0].rows
    assert rows == [
        ["BG NO", "SUPPLIER", "AMOUNT", REASON_HEADER],
        ["LG1", "+EVIL()", "abc", "amount: 'abc' is not a number"],
    ]


def test_error_workbook_drops_illegal_characters():
    out = io.BytesIO()
    write_error_workbook([({"A": "bad\x00\x07chars"}, "r")], ["A"], out)
    assert load_workbook(io.BytesIO(out.getvalue())).active["A2"].value == "badchars"


@pytest.mark.parametrize("write_only", [False, True])
def test_safe_cell_in_any_worksheet(write_only):
    book = Workbook(write_only=write_only)
    ws = book.create_sheet("Export") if write_only else book.active
    values = ["plain", 12, Decimal("1.50"), date(2025, 6, 1), None, *DANGEROUS]
    ws.append([safe_cell(v, ws) for v in values])
    if not write_only:
        ws.append([safe_cell(v) for v in values])  # detached cells suit a normal worksheet
    out = io.BytesIO()
    book.save(out)
    read = load_workbook(io.BytesIO(out.getvalue()))
    sheet = read["Export"] if write_only else read.active
    for row in sheet.iter_rows():
        got = [cell.value for cell in row]
        assert got[:4] == ["plain", 12, 1.5, got[3]] and got[3].date() == date(2025, 6, 1)
        assert got[5:] == READ_BACK
        assert all(cell.data_type != "f" and cell.data_type != "e" for cell in row)
    assert not re.search(r"<f[ >]", sheet_xml(out.getvalue()))


def test_safe_cell_passes_plain_values():
    assert safe_cell("plain") == "plain"
    assert safe_cell("a\x00b") == "ab"
    assert safe_cell(5) == 5
    assert safe_cell(None) is None
    assert safe_cell("x" * 40_000) == "x" * 32_767


def test_template_is_detected_perfectly(tmp_path):
    out = io.BytesIO()
    write_template(out)
    workbook = read_workbook(out.getvalue())
    detection = detect(workbook)
    assert detection.header_row == 1
    assert list(detection.columns) == list(FIELDS)
    assert [c.index for c in detection.columns.values()] == list(range(len(FIELDS)))
    assert detection.ignored == []
    assert list(parse_rows(workbook, detection)) == []
    ws = load_workbook(io.BytesIO(out.getvalue())).active
    assert ws.freeze_panes == "A2"
    assert all(cell.font.b for cell in ws[1])
    write_template(tmp_path / "template.xlsx")
    assert detect(read_workbook(tmp_path / "template.xlsx")).columns == detection.columns


def test_filled_template_imports(tmp_path):
    out = io.BytesIO()
    write_template(out)
    book = load_workbook(io.BytesIO(out.getvalue()))
    book.active.append(["LG1", "ACME", "SNB", 1000, "SAR", "01/01/2025", "01/06/2025", "C/1", None, "FINAL", "x"])
    filled = io.BytesIO()
    book.save(filled)
    workbook = read_workbook(filled.getvalue())
    [row] = parse_rows(workbook, detect(workbook))
    assert row.errors == []
    assert row.values["currency"] == "SAR"
    assert row.values["issue_date"] == date(2025, 1, 1)
    assert row.related_to == "contract"
