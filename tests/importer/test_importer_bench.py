"""bench/excel_floor.py helpers, and the parse time of a 50,000-row workbook."""

from __future__ import annotations

import importlib.util
import time
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
    assert 0 < seconds < 30
    workbook = read_workbook(path)
    detection = detect(workbook)
    assert detection.header_row == 2  # a title row above the header
    assert len(detection.columns) == 9 and detection.ignored == []
    rows = list(parse_rows(workbook, detection))
    assert len(rows) == 300
    assert all(not row.errors for row in rows)
    assert {row.related_to for row in rows} == {"contract", "purchase_order"}


@pytest.mark.slow
def test_fifty_thousand_rows_parse_in_seconds(excel_floor, tmp_path):
    path = excel_floor.make_workbook(tmp_path / "bench50k.xlsx", rows=50_000)
    began = time.perf_counter()
    workbook = read_workbook(path)
    detection = detect(workbook)
    count = sum(1 for _ in parse_rows(workbook, detection))
    elapsed = time.perf_counter() - began
    assert count == 50_000
    # About 1 s on a developer machine (calamine ~0.4 s); the bound leaves room for a busy CI machine.
    assert elapsed < 8, f"read + detect + parse of 50,000 rows took {elapsed:.2f} s"
