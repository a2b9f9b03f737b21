"""bench/excel_floor.py helpers, and a 50,000-row workbook parsed whole (timings belong to `make bench`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from guarantees.importer import detect, parse_rows, read_workbook

BENCH = Path(__file__).resolve().parents[2] / "bench" / "excel_floor.py"


@pytest.fixture(scope="module")
def excel_floor():
    spec = importlib.util.spec_from_file_location("excel_floor", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_workbook_imports_cleanly(excel_floor, tmp_path):
    path = excel_floor.make_workbook(tmp_path / "bench.xlsx", rows=300)
    seconds = excel_floor.floor_seconds(path)
    assert isinstance(seconds, float)
    workbook = read_workbook(path)
    detection = detect(workbook)
    assert detection.header_row == 2  # a title row above the header
    assert len(detection.columns) == 9 and detection.ignored == []
    rows = list(parse_rows(workbook, detection))
    assert len(rows) == 300
    assert all(not row.errors for row in rows)
    assert {row.related_to for row in rows} == {"contract", "purchase_order"}


@pytest.mark.slow
def test_fifty_thousand_rows_parse_whole(excel_floor, tmp_path):
    path = excel_floor.make_workbook(tmp_path / "bench50k.xlsx", rows=50_000)
    workbook = read_workbook(path)
    detection = detect(workbook)
    rows = list(parse_rows(workbook, detection))
    assert len(rows) == 50_000
    assert not [row.row_number for row in rows if row.errors]
    assert rows[-1].row_number == 50_002  # title row and header above the data
