"""read_workbook: what it reads, and every kind of file it refuses with one clear message."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
from datetime import date

import pytest

from guarantees.importer import reader
from guarantees.importer.reader import (
    BOMB,
    CORRUPT,
    EMPTY,
    ENCRYPTED,
    NOT_A_WORKBOOK,
    WorkbookError,
    cfb_entry_names,
    read_workbook,
)


def refused(source, **limits) -> str:
    with pytest.raises(WorkbookError) as caught:
        read_workbook(source, **limits)
    assert caught.value.message == str(caught.value)
    return caught.value.message


def test_reads_values_and_positions(xlsx_bytes, tmp_path):
    data = xlsx_bytes([[None], ["Title"], ["No", "Amount", "Expiry"], ["LG1", 25200, date(2025, 6, 1)]])
    path = tmp_path / "list.xlsx"
    path.write_bytes(data)
    for source in (data, path, str(path), io.BytesIO(data)):
        book = read_workbook(source)
        assert book.format == "xlsx"
        assert book.size == len(data)
        assert book.sha256 == hashlib.sha256(data).hexdigest()
        [sheet] = book.sheets
        assert sheet.name == "Sheet1" and not sheet.hidden
        # Leading blank rows are kept, so rows[i] is spreadsheet row i + 1.
        assert sheet.rows[0] == ["", "", ""]
        assert sheet.rows[1][0] == "Title"
        assert sheet.rows[3] == ["LG1", 25200.0, date(2025, 6, 1)]


def test_reads_several_sheets_in_order(xlsx_bytes):
    book = read_workbook(xlsx_bytes(sheets={"Notes": [["hello"]], "Data": [["a", "b"]], "Blank": []}))
    assert [s.name for s in book.sheets] == ["Notes", "Data", "Blank"]
    assert book.sheets[2].rows == []
    assert book.sheet("Data").rows == [["a", "b"]]
    with pytest.raises(WorkbookError, match="no sheet named 'Nope'.*'Notes', 'Data', 'Blank'"):
        book.sheet("Nope")


def test_text_file_renamed_to_xlsx(tmp_path):
    path = tmp_path / "guarantees.xlsx"
    path.write_text("BANK GUARANTEE NUMBER,SUPPLIER\nLG1,ACME\n", encoding="utf-8")
    assert refused(path) == NOT_A_WORKBOOK
    assert "not an Excel workbook" in NOT_A_WORKBOOK


def test_other_zip_is_not_a_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    assert refused(out.getvalue()) == NOT_A_WORKBOOK


def test_encrypted_workbook(cfb_bytes):
    # A password-protected .xlsx is an OLE2 compound file holding EncryptionInfo and EncryptedPackage.
    data = cfb_bytes(["EncryptionInfo", "EncryptedPackage"])
    assert cfb_entry_names(data) >= {"Root Entry", "EncryptionInfo", "EncryptedPackage"}
    message = refused(data)
    assert message == ENCRYPTED and "password" in message


def test_compound_file_that_is_not_a_workbook(cfb_bytes):
    assert refused(cfb_bytes(["WordDocument"])) == NOT_A_WORKBOOK


def test_xls_without_sheets(cfb_bytes):
    # A compound file with an empty Workbook stream: calamine finds no sheet at all.
    assert refused(cfb_bytes(["Workbook"])) in (CORRUPT, EMPTY)


def test_truncated_compound_file(cfb_bytes):
    assert refused(cfb_bytes(["Workbook"])[:700]) == CORRUPT


def _central_entries(data: bytes):
    """(central directory offset, local header offset, name) of each member of a zip."""
    end = data.rindex(b"PK\x05\x06")
    count, _, offset = struct.unpack_from("<HII", data, end + 10)
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, offset + 28)
        local = struct.unpack_from("<I", data, offset + 42)[0]
        yield offset, local, bytes(data[offset + 46 : offset + 46 + name_len])
        offset += 46 + name_len + extra_len + comment_len


def test_encrypted_zip_member(xlsx_bytes):
    data = bytearray(xlsx_bytes([["a"]]))
    for central, local, _ in list(_central_entries(data)):
        data[central + 8] |= 0x1  # general purpose flag, bit 0: encrypted
        data[local + 6] |= 0x1
    assert refused(bytes(data)) == ENCRYPTED


def test_truncated_xlsx(xlsx_bytes):
    data = xlsx_bytes([["a", "b"], [1, 2]])
    assert refused(data[: len(data) // 2]) == CORRUPT


def test_lying_zip_member_is_caught_before_calamine(xlsx_bytes, monkeypatch):
    calls = []
    monkeypatch.setattr(reader.CalamineWorkbook, "from_filelike", calls.append, raising=False)
    data = bytearray(xlsx_bytes([["BANK GUARANTEE NUMBER", "SUPPLIER"], ["LG1", "ACME"]]))
    # Change the CRC the sheet declares: only inflating the member (the streaming check) notices.
    for central, local, name in list(_central_entries(data)):
        if name == b"xl/worksheets/sheet1.xml":
            crc = struct.unpack_from("<I", data, central + 16)[0] ^ 0xFFFF
            struct.pack_into("<I", data, central + 16, crc)
            struct.pack_into("<I", data, local + 14, crc)
    assert refused(bytes(data)) == CORRUPT
    assert calls == []


def _bomb(member_size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * member_size)
    return out.getvalue()


def test_zip_bomb_by_ratio():
    data = _bomb(20 * 1024 * 1024)
    assert len(data) < 100_000
    assert refused(data) == BOMB


def test_zip_bomb_by_declared_total():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for i in range(25):
            archive.writestr(f"xl/media/image{i}.bin", b"x" * 1000)
    data = bytearray(out.getvalue())
    # Declare 9 MB for each image: no member reaches the 10 MB ratio floor, but 225 MB in all.
    for central, _, name in list(_central_entries(data)):
        if name.startswith(b"xl/media/"):
            struct.pack_into("<I", data, central + 24, 9 * 1024 * 1024)
    assert refused(bytes(data)) == BOMB


def test_small_compressible_member_is_fine(xlsx_bytes):
    # A very compressible but small sheet (ratio > 100, size < 10 MB) is not a bomb.
    book = read_workbook(xlsx_bytes([["BANK GUARANTEE NUMBER"]] + [["LG1"]] * 20_000))
    assert len(book.sheets[0].rows) == 20_001


def test_over_size(xlsx_bytes, tmp_path):
    data = xlsx_bytes([["a"]])
    message = refused(data, max_bytes=1000)
    assert "larger than 1000 bytes" in message
    path = tmp_path / "big.xlsx"
    path.write_bytes(data)
    assert "larger than" in refused(path, max_bytes=1000)
    assert "25 MB" in refused(b"PK\x03\x04" + b"\0" * (25 * 1024 * 1024))


def test_over_row_limit(xlsx_bytes):
    data = xlsx_bytes([["BANK GUARANTEE NUMBER"]] + [[f"LG{i}"] for i in range(10)])
    message = refused(data, max_rows=5)
    assert message == "Sheet 'Sheet1' has 11 rows; an import takes at most 5 rows per sheet."
    assert len(read_workbook(data, max_rows=11).sheets[0].rows) == 11


def test_over_column_limit(xlsx_bytes):
    data = xlsx_bytes([[f"h{i}" for i in range(8)]])
    assert "has 8 columns; an import takes at most 5 columns" in refused(data, max_columns=5)


def test_empty_workbook(xlsx_bytes):
    assert refused(xlsx_bytes([])) == EMPTY
    assert refused(xlsx_bytes(sheets={"A": [], "B": [["  ", "\xa0"]]})) == EMPTY


def test_missing_file(tmp_path):
    assert "There is no file" in refused(tmp_path / "nope.xlsx")


def test_ods_is_read():
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="List">'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>BG NO</text:p></table:table-cell>'
        "</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        archive.writestr(
            "META-INF/manifest.xml",
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
        )
    book = read_workbook(out.getvalue())
    assert book.format == "ods"
    assert book.sheets[0].name == "List"
    assert book.sheets[0].rows == [["BG NO"]]
