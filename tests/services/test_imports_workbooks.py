"""The real workbooks of ../shared/fixtures/xlsx through the import service, as checks/xlsx_cases.json states."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Guarantee, ImportBatch
from guarantees.services import imports as service
from tests.conftest import ROOT, shared_fixture
from tests.services.test_imports import count

CASES_FILE = ROOT.parent / "shared" / "checks" / "xlsx_cases.json"
CASES = json.loads(CASES_FILE.read_text(encoding="utf-8")) if CASES_FILE.is_file() else None
NAMES = sorted(CASES["files"]) if CASES else ["(no cases file)"]


@pytest.fixture
def cases() -> dict:
    if CASES is None:
        pytest.skip(f"no cases file {CASES_FILE}: ../shared is absent beside the project")
    return CASES


def squash(text: object) -> str:
    """Header text as the acceptance check compares it: NBSP and runs of spaces folded, case folded."""
    return " ".join(str(text or "").replace("\xa0", " ").split()).casefold()


def same(got: object, expected: str) -> bool:
    """A stored value equal to the expected text: a date by its ISO day, a number by value, else as text."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", expected):
        return isinstance(got, date) and got.isoformat() == expected
    if isinstance(got, Decimal):
        return got == Decimal(expected)
    return got == expected


@pytest.mark.parametrize("name", NAMES)
def test_each_workbook_maps_and_counts_as_the_cases_say(app, cases, name):
    case = cases["files"][name]
    path = shared_fixture("xlsx", name)
    preview = service.evaluate(path, Path(path).name)
    assert preview.header_row == case["header_row"]
    for field, header in case["columns"].items():
        assert squash(preview.columns.get(field)) == squash(header), field
    for outcome, expected in case["counts"].items():
        assert preview.counts[outcome] == expected, outcome
    assert count(ImportBatch) == 0


def test_committing_the_workbooks_in_order_gives_the_expected_register(app, cases):
    paths = [shared_fixture("xlsx", name) for name in cases["commit_order"]]
    for path in paths:
        result = service.commit(path, path.name, user="check")
        assert result.preview.counts["error"] == 0, result.preview.errors[:3]
    assert count(Guarantee) == cases["guarantees_after_commit"]
    assert count(ImportBatch, ImportBatch.batch_type == "excel_import") == len(paths)
    for number, column, expected in cases["values"]:
        got = db.session.scalar(sa.select(getattr(Guarantee, column)).where(Guarantee.guarantee_number == number))
        assert same(got, expected), (number, column, got, expected)

    again = service.evaluate(paths[0], paths[0].name)
    assert again.counts["new"] == again.counts["update"] == 0 and again.counts["unchanged"] > 0
    assert again.duplicate_of
    with pytest.raises(service.DuplicateFile):
        service.commit(paths[0], paths[0].name, user="check")
    assert count(ImportBatch) == len(paths)
