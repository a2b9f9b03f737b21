"""Fixtures of the import service and CLI tests: workbook files in the test's folder, table counts.

The parsing tests own conftest.py; the service and CLI tests import the *_fixture functions, which pytest
registers under their short names (workbook, workbook_file, error_files).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Guarantee, ImportBatch, ImportBatchItem
from guarantees.models.legacy import ImportedRecord, ImportSession

HEADER = [
    "BANK GUARANTEE NUMBER",
    "SUPPLIER",
    "BANK NAME",
    "AMOUNT",
    "EXPIRY DATE",
    "CONTRACT NO.",
    "PO NO.",
    "TYPE",
    "COMMENT",
]
WRITTEN = (Guarantee, ImportBatch, ImportBatchItem, ImportedRecord, ImportSession)


def count(model, *where) -> int:
    """Rows of a model's table (matching `where`)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def counts() -> dict[str, int]:
    """Rows of every table an import writes, by table name."""
    return {model.__tablename__: count(model) for model in WRITTEN}


@pytest.fixture(name="workbook")
def workbook_fixture(xlsx_bytes):
    """workbook(rows, header=HEADER) -> the bytes of an xlsx whose first row is the header."""

    def make(rows: list[list[object]], *, header: list[str] | None = HEADER, sheets=None) -> bytes:
        if sheets is not None:
            return xlsx_bytes(sheets=sheets)
        return xlsx_bytes(([header] if header else []) + [list(row) for row in rows])

    return make


@pytest.fixture(name="workbook_file")
def workbook_file_fixture(tmp_path, workbook):
    """workbook_file(rows, name="list.xlsx", ...) -> the Path of that workbook, written in the test's folder."""

    def make(rows: list[list[object]], name: str = "list.xlsx", **kwargs) -> Path:
        path = tmp_path / name
        path.write_bytes(workbook(rows, **kwargs))
        return path

    return make


@pytest.fixture(name="error_files")
def error_files_fixture(app):
    """The error workbooks written under the app's UPLOAD_FOLDER."""

    def listing() -> list[Path]:
        folder = Path(app.config["UPLOAD_FOLDER"]) / "errors"
        return sorted(folder.glob("*.xlsx")) if folder.is_dir() else []

    return listing
