"""Read a spreadsheet into plain Python rows with python-calamine, refusing what it should not read.

Checks, each refusal a WorkbookError with one user-facing message:

* size: more than max_bytes (checked before reading a path);
* kind, from the magic bytes, not the file name: a zip holding ``[Content_Types].xml`` and
  ``xl/workbook.xml`` (xlsx, xlsm) or ``xl/workbook.bin`` (xlsb), an OpenDocument spreadsheet
  (ods), or an OLE2/CFB container holding a ``Workbook``/``Book`` stream (xls);
* encryption: a CFB container with ``EncryptionInfo``/``EncryptedPackage`` (that is what a
  password-protected xlsx is), an encrypted zip member, or calamine's password error (xls);
* zip bombs, before calamine sees the file: too many members, a declared total uncompressed
  size over 200 MB, a member over 10 MB compressed more than 100 times, or the whole archive so;
  then every member is inflated in streaming mode (nothing kept) so that sizes and CRCs that lie
  are caught too;
* hostile xlsx, in that same pass (xlsx_scan): a sheet that declares or holds more rows, columns
  or cells than an import takes, shared strings too large, too many or too long, and cells that
  would repeat them into too much text: refused before any grid is built;
* corrupt files (anything calamine or the zip reader cannot read);
* limits per sheet: more than max_rows rows (counted up to the last non-empty row) or more
  than max_columns columns (up to the last non-empty column), checked again on calamine's grid;
* whatever else a file makes the parser do: calamine runs in a child process (isolation) that
  may use READ_MEMORY bytes more than its parent and READ_SECONDS seconds; past either it is
  killed and the file refused, and the caller's process lives on;
* an empty workbook (no non-blank cell in any sheet).

``inspect_workbook`` makes every check but the parse (fast: for the upload page, and to tell a large file
from a small one); ``read_workbook`` makes them all and returns the rows.

Rows keep calamine's values: str ('' for an empty cell), float, int, bool, date, datetime,
time or timedelta. ``Sheet.rows[i][j]`` is the cell at spreadsheet row i + 1, column j + 1:
leading empty rows and columns are kept so positions are the spreadsheet's own.
"""

from __future__ import annotations

import gc
import hashlib
import io
import os
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum, SheetVisibleEnum

from guarantees.importer import isolation, xlsx_scan
from guarantees.importer.xlsx_scan import Limits, Refused

__all__ = [
    "MAX_BYTES",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "Inspection",
    "Sheet",
    "Workbook",
    "WorkbookError",
    "inspect_workbook",
    "read_workbook",
]

MAX_BYTES = 25 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLUMNS = 500
READ_MEMORY = 2 * 1024 * 1024 * 1024  # bytes the parser's child process may add to its parent's
READ_SECONDS = 300  # a 200,000-row workbook parses in about 3 s

ZIP_MAX_TOTAL = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_RATIO_FLOOR = 10 * 1024 * 1024
ZIP_MAX_MEMBERS = 10_000

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Messages for the user, translated when shown (English, the source, outside a request).
NOT_A_WORKBOOK = _l("This file is not an Excel workbook (.xlsx, .xlsm, .xls or .ods). Save it as .xlsx and try again.")
ENCRYPTED = _l("This workbook is protected with a password. Remove the password in Excel (File > Info) and try again.")
CORRUPT = _l("This workbook is damaged or incomplete and cannot be read. Open it in Excel, save it again and retry.")
EMPTY = _l("This workbook is empty: no sheet has any data.")
BOMB = _l("This file expands to far more data than a list of guarantees can hold; it was refused as unsafe.")
TOO_MUCH_MEMORY = _l("Reading this workbook needs more memory than an import may use; it was refused as unsafe.")


class WorkbookError(Exception):
    """A workbook that cannot be imported; str(error), or .message, is the message for the user, in the language
    of the request at hand when read (English outside one)."""

    def __init__(self, message: object):
        super().__init__(message)

    @property
    def message(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Sheet:
    name: str
    rows: list[list[object]]
    hidden: bool = False


@dataclass(frozen=True)
class Workbook:
    sheets: list[Sheet]
    format: str = "xlsx"  # 'xlsx' (also xlsm), 'xlsb', 'xls' or 'ods'
    size: int = 0  # bytes
    sha256: str = ""  # of the file's bytes, for the "already imported" check
    sheet_names: list[str] = field(default_factory=list)  # every sheet, also those skipped (chart sheets)

    def sheet(self, name: str) -> Sheet:
        for sheet in self.sheets:
            if sheet.name == name:
                return sheet
        names = ", ".join(repr(s.name) for s in self.sheets)
        raise WorkbookError(
            _l("There is no sheet named %(name)s in this workbook. Sheets: %(names)s.", name=repr(name), names=names)
        )


@dataclass(frozen=True)
class Inspection:
    """What the checks before the parse found: the kind of file and, for an xlsx, how many rows it holds."""

    format: str
    size: int  # bytes
    sha256: str
    rows: int | None  # the most rows (up to the last with a value) of any sheet; None: not known before the parse


# ----------------------------------------------------------------------------- loading


def _load(source: str | os.PathLike | bytes | bytearray | memoryview | BinaryIO, max_bytes: int) -> bytes:
    too_big = _l("This file is larger than %(size)s, the limit for an import.", size=_size(max_bytes))
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            if path.stat().st_size > max_bytes:
                raise WorkbookError(too_big)
            with path.open("rb") as f:
                data = f.read(max_bytes + 1)
        except IsADirectoryError:
            raise WorkbookError(NOT_A_WORKBOOK) from None
        except FileNotFoundError:
            raise WorkbookError(_l("There is no file %(name)s.", name=repr(str(source)))) from None
        except OSError as exc:
            raise WorkbookError(
                _l("The file %(name)s cannot be read: %(reason)s.", name=repr(str(source)), reason=exc.strerror or exc)
            ) from None
    elif hasattr(source, "read"):
        data = source.read(max_bytes + 1)
        if not isinstance(data, bytes):
            raise TypeError("read_workbook needs a binary stream")
    else:
        raise TypeError(f"read_workbook cannot read a {type(source).__name__}")
    if len(data) > max_bytes:
        raise WorkbookError(too_big)
    return data


def _size(n: int) -> object:
    if n >= 1024 * 1024:
        return _l("%(size)s MB", size=f"{n / (1024 * 1024):g}")
    if n >= 1024:
        return _l("%(size)s KB", size=f"{n / 1024:g}")
    return _l("%(size)s bytes", size=n)


# ----------------------------------------------------------------------------- zip containers


def _check_zip(data: bytes, limits: Limits) -> tuple[str, xlsx_scan.Scan | None]:
    """The spreadsheet kind of a zip container ('xlsx', 'xlsb', 'ods') after the bomb checks, with the scan of
    an xlsx's sheets and shared strings."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise WorkbookError(CORRUPT) from None
    with archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            kind = "xlsx"
        elif "[Content_Types].xml" in names and "xl/workbook.bin" in names:
            kind = "xlsb"
        elif "mimetype" in names and "content.xml" in names:
            try:
                mimetype = archive.read("mimetype")[:100]
            except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError, ValueError, RuntimeError):
                raise WorkbookError(CORRUPT) from None
            if not mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
                raise WorkbookError(NOT_A_WORKBOOK)
            kind = "ods"
        else:
            raise WorkbookError(NOT_A_WORKBOOK)
        if len(infos) > ZIP_MAX_MEMBERS:
            raise WorkbookError(BOMB)
        total = sum(info.file_size for info in infos)
        if total > ZIP_MAX_TOTAL:
            raise WorkbookError(BOMB)
        if total > ZIP_RATIO_FLOOR and total > ZIP_MAX_RATIO * max(sum(info.compress_size for info in infos), 1):
            raise WorkbookError(BOMB)
        for info in infos:
            if info.flag_bits & 0x1:
                raise WorkbookError(ENCRYPTED)
            if info.file_size > ZIP_RATIO_FLOOR and info.file_size > ZIP_MAX_RATIO * max(info.compress_size, 1):
                raise WorkbookError(BOMB)
        # Inflate every member without keeping it: zipfile stops at the declared size and checks
        # the CRC, so a member whose header lies about its size is caught here, not in calamine.
        # An xlsx's worksheets and shared strings are scanned on the way (xlsx_scan).
        scanner = None
        collecting = gc.isenabled()
        gc.disable()  # the scan's millions of small matches would set off the collector again and again
        try:
            if kind == "xlsx":
                scanner = xlsx_scan.Scanner(archive, limits)
                infos = scanner.order(infos)
            for info in infos:
                if info.is_dir():
                    continue
                with archive.open(info) as member:
                    if scanner is None or not scanner.consume(info, member):
                        while member.read(1 << 20):
                            pass
        except Refused as refusal:
            raise WorkbookError(refusal.args[0]) from None
        except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError, ValueError, RuntimeError):
            raise WorkbookError(CORRUPT) from None
        finally:
            if collecting:
                gc.enable()
    return kind, scanner.result if scanner else None


# ----------------------------------------------------------------------------- OLE2 / CFB containers

_FREESECT = 0xFFFFFFFF
_MAXREGSECT = 0xFFFFFFFA


def cfb_entry_names(data: bytes) -> set[str]:
    """Names of the storages and streams in a compound file (OLE2/CFB) directory."""
    if len(data) < 512 or data[:8] != _CFB_MAGIC:
        raise ValueError("not a compound file")
    shift = struct.unpack_from("<H", data, 30)[0]
    if shift not in (9, 12):
        raise ValueError("bad sector size")
    size = 1 << shift
    n_fat, first_dir = struct.unpack_from("<II", data, 44)
    first_difat, n_difat = struct.unpack_from("<II", data, 68)
    total_sectors = max(0, (len(data) - size) // size)

    def sector(n: int) -> bytes:
        if n >= total_sectors:
            raise ValueError("sector out of range")
        start = (n + 1) * size
        return data[start : start + size]

    difat = list(struct.unpack_from("<109I", data, 76))
    nxt, seen = first_difat, 0
    while nxt < _MAXREGSECT and seen < n_difat and seen <= total_sectors:
        block = struct.unpack(f"<{size // 4}I", sector(nxt))
        difat.extend(block[:-1])
        nxt, seen = block[-1], seen + 1
    fat: list[int] = []
    for s in [s for s in difat if s < _MAXREGSECT][:n_fat]:
        fat.extend(struct.unpack(f"<{size // 4}I", sector(s)))

    names: set[str] = set()
    current, visited = first_dir, set()
    while current < _MAXREGSECT and current not in visited:  # a chain that loops is read once
        visited.add(current)
        block = sector(current)
        for offset in range(0, size, 128):
            entry = block[offset : offset + 128]
            name_len, kind = struct.unpack_from("<HB", entry, 64)
            if kind in (1, 2, 5) and 2 <= name_len <= 64:
                names.add(entry[: name_len - 2].decode("utf-16-le", "replace"))
        current = fat[current] if current < len(fat) else _FREESECT
    return names


def _check_cfb(data: bytes) -> str:
    try:
        names = cfb_entry_names(data)
    except (ValueError, struct.error):
        raise WorkbookError(CORRUPT) from None
    if "EncryptionInfo" in names or "EncryptedPackage" in names:
        raise WorkbookError(ENCRYPTED)
    if "Workbook" in names or "Book" in names:
        return "xls"
    raise WorkbookError(NOT_A_WORKBOOK)


# ----------------------------------------------------------------------------- reading


def _is_blank(value: object) -> bool:
    return value is None or (type(value) is str and (not value or value.isspace()))


def _has_data(rows: list[list[object]]) -> bool:
    for row in rows:
        for value in row:
            if value != "" and not _is_blank(value):
                return True
    return False


def _inspect(data: bytes, limits: Limits) -> Inspection:
    head = data[:8]
    scan = None
    if head[:4] in _ZIP_MAGIC:
        kind, scan = _check_zip(data, limits)
    elif head == _CFB_MAGIC:
        kind = _check_cfb(data)
    else:
        raise WorkbookError(NOT_A_WORKBOOK)
    return Inspection(kind, len(data), hashlib.sha256(data).hexdigest(), scan.rows if scan else None)


def inspect_workbook(
    source: str | os.PathLike | bytes | BinaryIO,
    *,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    max_columns: int = MAX_COLUMNS,
) -> Inspection:
    """Every check that needs no parse (size, kind, encryption, zip bombs, an xlsx's declared and actual sizes and
    shared strings); WorkbookError with a user-facing message if refused."""
    return _inspect(_load(source, max_bytes), Limits(max_rows, max_columns))


def read_workbook(
    source: str | os.PathLike | bytes | BinaryIO,
    *,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    max_columns: int = MAX_COLUMNS,
    memory: int = READ_MEMORY,
    seconds: float = READ_SECONDS,
) -> Workbook:
    """Read every worksheet of a spreadsheet file; WorkbookError with a user-facing message if refused. The parse
    runs in a child process allowed `memory` more bytes than this one and `seconds` seconds."""
    data = _load(source, max_bytes)
    limits = Limits(max_rows, max_columns)
    inspection = _inspect(data, limits)
    try:
        sheets, names = isolation.run(
            lambda: _parse(data, limits), memory=memory, seconds=seconds, passes=(WorkbookError,)
        )
    except isolation.OutOfMemory:
        raise WorkbookError(TOO_MUCH_MEMORY) from None
    except isolation.OutOfTime:
        raise WorkbookError(
            _l("Reading this workbook took more than %(seconds)s seconds; it was refused as unsafe.", seconds=seconds)
        ) from None
    except RuntimeError:
        raise WorkbookError(CORRUPT) from None
    if not any(_has_data(sheet.rows) for sheet in sheets):
        raise WorkbookError(EMPTY)
    return Workbook(
        sheets=sheets, format=inspection.format, size=inspection.size, sha256=inspection.sha256, sheet_names=names
    )


def _parse(data: bytes, limits: Limits) -> tuple[list[Sheet], list[str]]:
    """calamine's reading of every worksheet (in the child process)."""
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError:
        raise WorkbookError(ENCRYPTED) from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # calamine errors, and Rust panics (pyo3 PanicException is a BaseException)
        raise WorkbookError(CORRUPT) from None

    sheets: list[Sheet] = []
    names: list[str] = []
    with book:
        for meta in book.sheets_metadata:
            names.append(meta.name)
            if meta.typ not in (SheetTypeEnum.WorkSheet,):
                continue
            hidden = meta.visible != SheetVisibleEnum.Visible
            try:
                sheet = book.get_sheet_by_name(meta.name)
                end = sheet.end
                if end is None:
                    sheets.append(Sheet(meta.name, [], hidden))
                    continue
                xlsx_scan.check_size(meta.name, end[0] + 1, end[1] + 1, limits)
                rows = sheet.to_python(skip_empty_area=False)
            except Refused as refusal:
                raise WorkbookError(refusal.args[0]) from None
            except PasswordError:
                raise WorkbookError(ENCRYPTED) from None
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException:
                raise WorkbookError(CORRUPT) from None
            sheets.append(Sheet(meta.name, rows, hidden))
    return sheets, names
