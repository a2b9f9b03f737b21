"""Fixtures of the pure importer's tests: compound files for the reader, and the shared real workbooks.

Workbooks built in memory come from the `xlsx_bytes` fixture of tests/conftest.py.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.conftest import SHARED_FIXTURES, compound_file

# Hypothesis keeps its example database and caches outside the work tree (.hypothesis/ is not ignored by git).
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "guarantees-hypothesis"))

FIXTURES = SHARED_FIXTURES / "xlsx"
CASES = SHARED_FIXTURES.parent / "checks" / "xlsx_cases.json"


@pytest.fixture
def cfb_bytes():
    """cfb_bytes(["WordDocument"]) -> a compound file with those (empty) streams."""
    return compound_file


@pytest.fixture
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir() or not CASES.is_file():
        pytest.skip(f"real workbooks not found: {FIXTURES} (the shared folder beside the project root)")
    return FIXTURES
