"""Helpers for the importer tests: small workbooks built in memory, and the shared real fixtures."""

from __future__ import annotations

import io
import os
import struct
import tempfile
from pathlib import Path

import pytest
from openpyxl import Workbook

# Hypothesis keeps its example database and caches outside the work tree (.hypothesis/ is not ignored by git).
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "guarantees-hypothesis"))

# ../shared/fixtures beside the project root (tests/importer/conftest.py -> project root -> its parent).
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
FIXTURES = SHARED / "fixtures" / "xlsx"
CASES = SHARED / "checks" / "xlsx_cases.json"


def _xlsx_bytes(
    rows: list[list[object]] | None = None, *, sheets: dict[str, list[list[object]]] | None = None
) -> bytes:
    """An xlsx file holding `rows` in one sheet, or several sheets (name -> rows) in order."""
    book = Workbook()
    book.remove(book.active)
    for name, sheet_rows in (sheets or {"Sheet1": rows or []}).items():
        ws = book.create_sheet(name)
        for row in sheet_rows:
            ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cfb_bytes(names: list[str]) -> bytes:
    """A minimal compound file (OLE2/CFB, version 3) whose directory lists `names` as empty streams."""
    assert len(names) <= 3
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<III", header, 40, 0, 1, 1)  # directory sectors (v3: 0), FAT sectors, first directory sector
    struct.pack_into("<IIIII", header, 56, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    struct.pack_into("<109I", header, 76, 0, *([0xFFFFFFFF] * 108))
    fat = struct.pack("<128I", 0xFFFFFFFD, 0xFFFFFFFE, *([0xFFFFFFFF] * 126))
    directory = bytearray(512)
    for i, (name, kind) in enumerate([("Root Entry", 5), *((n, 2) for n in names)]):
        entry = bytearray(128)
        encoded = name.encode("utf-16-le") + b"\0\0"
        entry[: len(encoded)] = encoded
        struct.pack_into("<HBB", entry, 64, len(encoded), kind, 1)
        struct.pack_into("<III", entry, 68, 0xFFFFFFFF, 0xFFFFFFFF, 1 if kind == 5 and names else 0xFFFFFFFF)
        struct.pack_into("<II", entry, 116, 0xFFFFFFFE, 0)
        directory[i * 128 : (i + 1) * 128] = entry
    return bytes(header) + fat + bytes(directory)


@pytest.fixture
def xlsx_bytes():
    """xlsx_bytes(rows) or xlsx_bytes(sheets={"name": rows, ...}) -> the bytes of an .xlsx file."""
    return _xlsx_bytes


@pytest.fixture
def cfb_bytes():
    """cfb_bytes(["EncryptionInfo", "EncryptedPackage"]) -> a compound file with those streams."""
    return _cfb_bytes


@pytest.fixture
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir() or not CASES.is_file():
        pytest.skip(f"real workbooks not found: {FIXTURES} (the shared folder beside the project root)")
    return FIXTURES
