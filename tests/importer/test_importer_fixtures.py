"""The real workbooks of the shared folder: detection and row counts as xlsx_cases.json states them."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from guarantees.importer import detect, parse_rows, read_workbook

# ../shared/checks/xlsx_cases.json beside the project root; the `fixtures_dir` fixture skips without it.
CASES = Path(__file__).resolve().parents[2].parent / "shared" / "checks" / "xlsx_cases.json"
_CASES = json.loads(CASES.read_text(encoding="utf-8")) if CASES.is_file() else {"files": {}, "values": []}
_NAMES = sorted(_CASES["files"]) or ["(no fixtures)"]


def squash(text: object) -> str:
    """As xlsx_contract.py compares headers: NBSP and runs of spaces folded, case folded."""
    return " ".join(str(text or "").replace("\xa0", " ").split()).casefold()


@pytest.mark.parametrize("name", _NAMES)
def test_fixture_detection_and_counts(fixtures_dir, name):
    if name not in _CASES["files"]:
        pytest.skip("no cases file")
    case = _CASES["files"][name]
    workbook = read_workbook(fixtures_dir / name)
    detection = detect(workbook)
    assert detection.header_row == case["header_row"]
    found = detection.column_headers()
    for field, header in case["columns"].items():
        assert squash(found.get(field)) == squash(header), field
    # Only the listed fields are mapped (e.g. no supplier in Expired-BG.xlsx).
    assert set(found) == set(case["columns"])
    rows = list(parse_rows(workbook, detection))
    counts = case["counts"]
    # On an empty register every valid row is new: parsed rows = new + error.
    assert len(rows) == counts.get("new", 0) + counts.get("error", 0)
    for row in rows:
        assert row.values["guarantee_number"], row
        assert not row.errors, (row.row_number, row.errors)


def _rows_by_number(fixtures_dir):
    by_number: dict[str, list] = {}
    for name in _CASES["commit_order"]:
        workbook = read_workbook(fixtures_dir / name)
        for row in parse_rows(workbook, detect(workbook)):
            by_number.setdefault(row.values["guarantee_number"], []).append(row)
    return by_number


def test_fixture_values(fixtures_dir):
    if not _CASES["values"]:
        pytest.skip("no cases file")
    by_number = _rows_by_number(fixtures_dir)
    for number, column, expected in _CASES["values"]:
        field = "supplier" if column == "raw_supplier_name" else column
        got = [row.values.get(field) for row in by_number[number] if row.values.get(field) is not None]
        assert got, (number, column)
        value = got[-1]  # the last file in commit order wins
        if isinstance(value, date):
            assert value.isoformat() == expected, (number, column)
        elif isinstance(value, Decimal):
            assert value == Decimal(expected), (number, column)
        else:
            assert value == expected, (number, column)


def test_expired_list_has_no_supplier_but_all_rows(fixtures_dir):
    workbook = read_workbook(fixtures_dir / "Expired-BG.xlsx")
    detection = detect(workbook)
    assert "supplier" not in detection.columns
    rows = list(parse_rows(workbook, detection))
    assert len(rows) == 343
    assert all("supplier" not in row.values for row in rows)


def test_two_bank_columns_in_the_arabic_list(fixtures_dir):
    workbook = read_workbook(fixtures_dir / "ضمانات للتمديد يناير 2025.xlsx")
    detection = detect(workbook)
    assert detection.columns["bank"].header == "BANK NAME"
    assert "اسم البنك" in detection.ignored
    assert detection.columns["expiry_date"].header == "VALIDITY DATE"  # not the new date 'V2'


def test_derived_columns_are_ignored(fixtures_dir):
    detection = detect(read_workbook(fixtures_dir / "July.xlsx"))
    assert {"DAYS VALID", "RENEWAL DATE", "Today", "Bank Guarantee Status "} <= set(detection.ignored)
    assert detection.columns["expiry_date"].header == "VALIDITY DATE"
