"""`flask import-excel`: JSON and readable reports, the duplicate-file refusal, and bad files refused cleanly."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from guarantees.cli.imports import parse_overrides
from guarantees.extensions import db
from guarantees.models import Guarantee, ImportBatch
from guarantees.services.errors import ValidationFailed
from tests.services.test_imports import HEADER, count, counts, error_files_fixture  # noqa: F401 - a fixture

ROWS = [
    ["G-1", "Lana Medical", "Riyad Bank", 1000, date(2026, 1, 31), "C/1", None, "FINAL", None],
    ["G-2", "Noor Trading", "SNB", 2000, date(2026, 2, 28), None, 421378.0, None, "for extension"],
    ["G-3", "No Bank Co", None, 5, None, None, None, None, None],
]


@pytest.fixture
def workbook_file(tmp_path, xlsx_bytes):
    """workbook_file(rows, name="list.xlsx", header=HEADER) -> the Path of that workbook in the test's folder."""

    def make(rows: list[list], name: str = "list.xlsx", *, header: list[str] = HEADER, sheets=None) -> Path:
        path = tmp_path / name
        path.write_bytes(xlsx_bytes(sheets=sheets) if sheets else xlsx_bytes([header, *rows]))
        return path

    return make


def run(runner, *args):
    return runner.invoke(args=["import-excel", *map(str, args)])


def report(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_dry_run_json_reports_mapping_counts_and_errors_and_writes_nothing(app, runner, workbook_file):
    data = report(run(runner, workbook_file(ROWS), "--dry-run", "--json"))
    assert (data["sheet"], data["header_row"]) == ("Sheet1", 1)
    assert data["columns"] == {
        "guarantee_number": "BANK GUARANTEE NUMBER",
        "supplier": "SUPPLIER",
        "bank": "BANK NAME",
        "amount": "AMOUNT",
        "expiry_date": "EXPIRY DATE",
        "contract_number": "CONTRACT NO.",
        "po_number": "PO NO.",
        "type": "TYPE",
        "comment": "COMMENT",
    }
    assert data["counts"] == {"new": 2, "update": 0, "unchanged": 0, "error": 1}
    assert data["errors"] == [{"row": 4, "reason": "bank: required for a new guarantee"}]
    assert "batch_id" not in data
    # The rejected rows of a dry run go to a temporary folder, not the app's uploads.
    path = Path(data["error_workbook"])
    assert path.is_file() and Path(app.config["UPLOAD_FOLDER"]) not in path.parents
    assert sum(counts().values()) == 0


def test_commit_json_gives_the_batch_and_the_error_workbook(app, runner, workbook_file, error_files):
    data = report(run(runner, workbook_file(ROWS), "--json", "--user", "clerk"))
    batch = db.session.get(ImportBatch, data["batch_id"])
    assert (batch.created_by, batch.total_records, batch.filename) == ("clerk", 2, "list.xlsx")
    assert data["counts"] == {"new": 2, "update": 0, "unchanged": 0, "error": 1}
    assert error_files() == [Path(data["error_workbook"])]
    assert data["error_workbook"].endswith(f"errors/batch-{batch.id}-errors.xlsx")
    assert count(Guarantee) == 2


def test_a_clean_commit_has_no_error_workbook_and_a_default_user(app, runner, workbook_file):
    data = report(run(runner, workbook_file(ROWS[:2]), "--json"))
    assert "error_workbook" not in data
    assert db.session.get(ImportBatch, data["batch_id"]).created_by.startswith("cli")


def test_a_second_commit_of_the_same_file_is_refused_unless_confirmed(app, runner, workbook_file):
    path = workbook_file(ROWS[:2])
    first = report(run(runner, path, "--json"))
    refused = run(runner, path, "--json")
    assert refused.exit_code == 3
    assert "already imported" in refused.stderr and "--confirm-duplicate-file" in refused.stderr
    assert refused.stdout == ""
    assert count(ImportBatch) == 1
    dry = report(run(runner, path, "--dry-run", "--json"))
    assert [b["id"] for b in dry["duplicate_of"]] == [first["batch_id"]]
    again = report(run(runner, path, "--json", "--confirm-duplicate-file"))
    assert again["counts"] == {"new": 0, "update": 0, "unchanged": 2, "error": 0}
    assert count(ImportBatch) == 2


def test_readable_summary(app, runner, workbook_file):
    result = run(runner, workbook_file(ROWS), "--dry-run")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Sheet:   Sheet1, header on row 1" in out
    assert "supplier          SUPPLIER" in out and "currency          -- not in this file" in out
    assert "Rows:    2 new, 0 update, 0 unchanged, 1 error" in out
    assert "row 4: bank: required for a new guarantee" in out
    assert "Dry run: nothing was written." in out
    result = run(runner, workbook_file(ROWS[:2], name="two.xlsx"))
    assert result.exit_code == 0 and "Imported as batch" in result.stdout


def test_map_corrects_the_detected_mapping(app, runner, workbook_file):
    header = ["BANK GUARANTEE NUMBER", "BENEFICIARY", "BANK NAME", "AMOUNT", "REMARKS"]
    path = workbook_file([["M-1", "Lana Medical", "Riyad Bank", 10, "a remark"]], header=header)
    data = report(run(runner, path, "--dry-run", "--json"))
    assert "supplier" not in data["columns"] and data["counts"]["error"] == 1
    data = report(run(runner, path, "--json", "--map", "supplier=beneficiary", "--map", "comment="))
    assert data["columns"]["supplier"] == "BENEFICIARY" and "comment" not in data["columns"]
    assert data["counts"]["new"] == 1
    g = db.session.scalar(sa.select(Guarantee))
    assert (g.raw_supplier_name, g.amount, g.comment) == ("Lana Medical", 10, None)


def test_sheet_chooses_the_sheet(app, runner, workbook_file):
    sheets = {
        "Notes": [["nothing to see"]],
        "2024": [["BG NO", "SUPPLIER", "BANK", "AMOUNT"], ["OLD-1", "S", "B", 1]],
        "2025": [["BG NO", "SUPPLIER", "BANK", "AMOUNT"], ["NEW-1", "S", "B", 1], ["NEW-2", "S", "B", 2]],
    }
    path = workbook_file([], sheets=sheets)
    data = report(run(runner, path, "--dry-run", "--json"))
    assert data["sheet"] == "2024" and data["sheets"] == ["Notes", "2024", "2025"]
    data = report(run(runner, path, "--dry-run", "--json", "--sheet", "2025"))
    assert (data["sheet"], data["counts"]["new"]) == ("2025", 2)
    missing = run(runner, path, "--json", "--sheet", "2026")
    assert missing.exit_code == 1 and "no sheet named '2026'" in missing.stderr


@pytest.mark.parametrize("option", ["supplier", "vendor=X"])
def test_a_bad_map_option_is_a_usage_error(app, runner, workbook_file, option):
    result = run(runner, workbook_file(ROWS), "--map", option)
    assert result.exit_code == 2 and "--map" in result.stderr
    assert sum(counts().values()) == 0


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (12 * 1024 * 1024))
    return out.getvalue()


BAD_FILES = {
    "text": (lambda wb: b"BANK GUARANTEE NUMBER,SUPPLIER\nG-1,X\n", {}, "not an Excel workbook"),
    "empty": (lambda wb: wb([]), {}, "empty"),
    "encrypted": (lambda wb: wb(encrypted=True), {}, "password"),
    "zip bomb": (lambda wb: _zip_bomb(), {}, "unsafe"),
    "no header": (lambda wb: wb([["Name", "Value"], ["1", "2"]]), {}, "No header row found"),
    "too many rows": (lambda wb: wb([HEADER, *ROWS]), {"MAX_IMPORT_ROWS": 3}, "at most 3 rows"),
    "too large": (lambda wb: wb([HEADER, *ROWS]), {"MAX_UPLOAD_BYTES": 1000}, "larger than"),
    "no valid row": (lambda wb: wb([HEADER, *ROWS[2:]]), {}, "Nothing to import"),
}


# A dry run of a file without a valid row is no refusal: it reports the rows' errors.
BAD_CASES = [
    pytest.param(kind, dry_run, id=f"{kind}-{'dry-run' if dry_run else 'commit'}")
    for kind in BAD_FILES
    for dry_run in (False, True)
    if not (dry_run and kind == "no valid row")
]


@pytest.mark.parametrize(("kind", "dry_run"), BAD_CASES)
def test_bad_files_exit_non_zero_with_one_message_and_write_nothing(
    app,
    runner,
    tmp_path,
    xlsx_bytes,
    error_files,
    kind,
    dry_run,
):
    make, config, message = BAD_FILES[kind]
    app.config.update(config)
    path = tmp_path / "bad.xlsx"
    path.write_bytes(make(xlsx_bytes))
    result = run(runner, path, "--json", *(["--dry-run"] if dry_run else []))
    assert result.exit_code == 1
    assert message in result.stderr and result.stderr.count("Error:") == 1
    assert result.stdout == ""
    assert sum(counts().values()) == 0 and error_files() == []


def test_a_refusal_without_json_is_one_line_on_stderr(app, runner, tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("not a workbook")
    result = run(runner, path)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "Error: This file is not an Excel workbook (.xlsx, .xlsm, .xls or .ods). Save it as .xlsx and try again."
    ]


def test_a_missing_file_is_refused(app, runner, tmp_path):
    result = run(runner, tmp_path / "nowhere.xlsx", "--json")
    assert result.exit_code == 1 and "There is no file" in result.stderr


def test_help(runner):
    result = runner.invoke(args=["import-excel", "--help"])
    assert result.exit_code == 0
    for option in ("--sheet", "--map", "--dry-run", "--json", "--user", "--confirm-duplicate-file"):
        assert option in result.output


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], {}),
        (["supplier=CONTRACTOR NAME"], {"supplier": "CONTRACTOR NAME"}),
        ([" Expiry-Date = VALIDITY  DATE ", "comment="], {"expiry_date": "VALIDITY  DATE", "comment": None}),
        (["bank=A=B"], {"bank": "A=B"}),
    ],
)
def test_parse_overrides(items, expected):
    assert parse_overrides(items) == expected


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["supplier"], "FIELD=HEADER"),
        (["=X"], "FIELD=HEADER"),
        (["vendor=X"], "Unknown field 'vendor'"),
        (["bank=X", "bank=Y"], "mapped twice"),
    ],
)
def test_parse_overrides_refuses_bad_syntax(items, message):
    with pytest.raises(ValidationFailed, match=message):
        parse_overrides(items)
