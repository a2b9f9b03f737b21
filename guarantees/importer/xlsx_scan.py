"""What an .xlsx holds, read from its zip parts as they are inflated, before any grid is built.

python-calamine turns a sheet into one dense grid reaching from its first to its last cell with a value
(``Range::from_sparse``): a 1.9 KB file with a value in A1 and one in XFD1048576 asks for a grid of
17 billion cells (549 GB) and the process aborts. Its rows then become Python values, one string per cell
for a shared string however many cells refer to it: one 1 MB shared string referenced by 1,000 cells is a
1 GB sheet from a 6 KB file. So the worksheet and shared-strings parts are streamed through here first,
never held whole, and the file is refused, with a message saying why, when:

* a sheet holds (the last row and column of its cells with a value) more rows or columns than an import
  takes, or more cells than MAX_CELLS. The range a sheet declares (``<dimension ref=...>``) is not a reason:
  calamine does not size its grid by it, and real lists declare ranges far past their data (one of the
  team's sheets declares A1:XEY29 for 29 rows of 12 columns);
* the shared strings are larger than SST_MAX_BYTES, or hold more than SST_MAX_COUNT entries (declared or
  counted), or one entry longer than an Excel cell can be;
* the cells that refer to shared strings would expand to more than EXPANDED_MAX_BYTES of text.

Positions follow calamine: a cell's ``r`` attribute, else the cell after the previous one in its row (and a
row without ``r`` the row after the previous one); cells without a value (``<c .../>``) take no place in its grid.
The counts are byte lengths of the XML, never less than the text they hold. Other formats (xls, xlsb,
ods) are not scanned: the reader reads every workbook in a child process with memory and time limits.
"""

from __future__ import annotations

import html
import itertools
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from flask_babel import lazy_gettext as _l

SST_MAX_BYTES = 64 * 1024 * 1024  # uncompressed sharedStrings.xml
SST_MAX_COUNT = 2_000_000  # entries
CELL_MAX_CHARS = 32_767  # the most characters Excel puts in a cell
# An entry's XML may spend up to 4 bytes per character (UTF-8), more with markup: beyond this it cannot hold
# a text Excel could have written.
SST_ITEM_MAX_BYTES = 4 * CELL_MAX_CHARS + 4096
EXPANDED_MAX_BYTES = 128 * 1024 * 1024  # the text the shared-string cells of a sheet expand to
MAX_CELLS = 30_000_000  # rows x columns of one sheet, whatever the two limits allow

_CHUNK = 1 << 20
_PREFIX = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?(?:worksheet|sst)\b")
# Attribute patterns start with a letter, not \s: a literal start is what makes Python's regex fast. They take
# any spacing and quoting XML allows; an attribute whose name merely ends in r or t counts too (never fewer).
_REF = re.compile(rb"""r\s*=\s*["']([A-Za-z]{1,3})([0-9]+)["'][^>]*(?<!/)>""")
_SST_COUNT = re.compile(rb"""\buniqueCount\s*=\s*["']\s*([0-9]+)""")
_SHEET = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheet\s([^>]*)>")
_RELATIONSHIP = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Relationship\s([^>]*)>")
_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*["']([^"']*)["']""")


def column_number(letters: str | bytes) -> int:
    """'A' -> 1, 'XFD' -> 16384."""
    number = 0
    for char in letters.upper() if isinstance(letters, str) else letters.decode("ascii").upper():
        number = number * 26 + ord(char) - 64
    return number


def column_letters(number: int) -> str:
    """1 -> 'A', 16384 -> 'XFD'."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _size(n: int) -> object:
    if n >= 1024 * 1024:
        return _l("%(size)s MB", size=f"{n / (1024 * 1024):,.0f}")
    return _l("%(size)s KB", size=f"{n / 1024:,.0f}")


class Refused(Exception):
    """The scan refuses the file; args[0] is the message (a lazy string)."""


@dataclass
class Limits:
    max_rows: int
    max_columns: int


@dataclass
class SheetScan:
    """One worksheet part: its name (when the workbook names it) and its last row and column with a value."""

    part: str
    name: str
    rows: int = 0  # the last row with a value (1-based), 0 when none
    columns: int = 0
    expanded: int = 0  # bytes of shared-string text its cells refer to


@dataclass
class Scan:
    sheets: list[SheetScan] = field(default_factory=list)
    shared_strings: int = 0  # entries

    @property
    def rows(self) -> int:
        """The most rows any sheet holds."""
        return max((sheet.rows for sheet in self.sheets), default=0)


def _attributes(text: bytes) -> dict[str, str]:
    return {
        name.decode("utf-8", "replace").rsplit(":", 1)[-1]: html.unescape(value.decode("utf-8", "replace"))
        for name, value in _ATTRIBUTE.findall(text)
    }


def _parts(workbook_xml: bytes, rels_xml: bytes) -> tuple[dict[str, str], set[str]]:
    """(worksheet part -> sheet name, shared-strings parts), from xl/workbook.xml and its relationships."""
    targets, shared = {}, set()
    for text in _RELATIONSHIP.findall(rels_xml):
        found = _attributes(text)
        if "Id" in found and "Target" in found:
            target = found["Target"]
            target = _normal_part(target.lstrip("/") if target.startswith("/") else f"xl/{target}")
            targets[found["Id"]] = target
            if found.get("Type", "").endswith("/sharedStrings"):
                shared.add(target)
    names = {}
    for text in _SHEET.findall(workbook_xml):
        found = _attributes(text)
        target = targets.get(found.get("id", ""))
        if target and "name" in found:
            names[target] = found["name"]
    return names, shared


def _normal_part(path: str) -> str:
    parts: list[str] = []
    for piece in path.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def _prefix(head: bytes) -> bytes:
    """The namespace prefix of the part's root element (b'x:' for <x:worksheet>), b'' for none."""
    found = _PREFIX.search(head)
    return found.group(1) + b":" if found and found.group(1) else b""


def _pieces(chunks: Iterator[bytes], close: Callable[[bytes], bytes]) -> Iterator[tuple[bytes, bytes]]:
    """(prefix, piece) for the part's chunks, each piece cut after its last closing tag `close(prefix)` (before
    its last '<' when it has none), so that an element and its tags stay in one piece."""
    carry = b""
    prefix = end = None
    for chunk in chunks:
        data = carry + chunk
        if end is None:
            if len(data) < _CHUNK and chunk:
                carry = data
                continue
            prefix = _prefix(data[:_CHUNK])
            end = close(prefix)
        cut = data.rfind(end)
        cut = cut + len(end) if cut >= 0 else data.rfind(b"<")
        if cut <= 0:
            carry = data
            continue
        carry = data[cut:]
        yield prefix, data[:cut]
    if carry:
        yield (_prefix(carry[:_CHUNK]) if prefix is None else prefix), carry


def _chunks(member: BinaryIO) -> Iterator[bytes]:
    return iter(lambda: member.read(_CHUNK), b"")


def _too_many(count: int) -> Refused:
    return Refused(
        _l(
            "The workbook's shared text has %(count)s entries, more than an import reads (%(limit)s); it was refused "
            "as unsafe.",
            count=f"{count:,}",
            limit=f"{SST_MAX_COUNT:,}",
        )
    )


def _too_long() -> Refused:
    return Refused(
        _l(
            "The workbook holds a text longer than an Excel cell can (%(limit)s characters); it was refused as unsafe.",
            limit=f"{CELL_MAX_CHARS:,}",
        )
    )


def shared_string_lengths(member: BinaryIO, declared_size: int) -> list[int]:
    """Each entry of sharedStrings.xml, as its length in bytes of XML (never fewer than its characters)."""
    if declared_size > SST_MAX_BYTES:
        raise Refused(
            _l(
                "The workbook's shared text is %(size)s, more than an import reads (%(limit)s); it was refused as "
                "unsafe.",
                size=_size(declared_size),
                limit=_size(SST_MAX_BYTES),
            )
        )
    lengths: list[int] = []
    pattern = close = None
    carry = b""
    for chunk in itertools.chain(_chunks(member), [b""]):  # b"": the end (a part smaller than its head too)
        data = carry + chunk
        if pattern is None:
            if len(data) < 4096 and chunk:
                carry = data
                continue
            declared = _SST_COUNT.search(data, 0, 4096)
            if declared and int(declared.group(1)) > SST_MAX_COUNT:
                raise _too_many(int(declared.group(1)))
            prefix = _prefix(data[:4096])
            escaped = re.escape(prefix)
            pattern = re.compile(rb"<" + escaped + rb"si(?:\s[^>]*)?(?:/>|>(.*?)</" + escaped + rb"si\s*>)", re.S)
            close = b"</" + prefix + b"si>"
        # Up to the end of the last complete entry (all of it at the end); an entry is never cut in two.
        cut = len(data) if not chunk else data.rfind(close)
        if cut < 0:
            if len(data) > SST_ITEM_MAX_BYTES + _CHUNK:
                raise _too_long()
            carry = data
            continue
        if chunk:
            cut += len(close)
        found = list(map(len, pattern.findall(data, 0, cut)))
        if found and max(found) > SST_ITEM_MAX_BYTES:
            raise _too_long()
        lengths.extend(found)
        if len(lengths) > SST_MAX_COUNT:
            raise _too_many(len(lengths))
        carry = data[cut:]
    return lengths


def check_size(name: str, rows: int, columns: int, limits: Limits) -> None:
    """Refuse a sheet of more rows, columns or cells than an import takes (the reader's messages)."""
    if rows > limits.max_rows:
        raise Refused(
            _l(
                "Sheet %(name)s has %(rows)s rows; an import takes at most %(limit)s rows per sheet.",
                name=repr(name),
                rows=f"{rows:,}",
                limit=f"{limits.max_rows:,}",
            )
        )
    if columns > limits.max_columns:
        raise Refused(
            _l(
                "Sheet %(name)s has %(columns)s columns; an import takes at most %(limit)s columns.",
                name=repr(name),
                columns=f"{columns:,}",
                limit=f"{limits.max_columns:,}",
            )
        )
    if rows * columns > MAX_CELLS:
        raise Refused(
            _l(
                "Sheet %(name)s has %(rows)s rows of %(columns)s columns, too many cells for an import.",
                name=repr(name),
                rows=f"{rows:,}",
                columns=f"{columns:,}",
            )
        )


class _Places:
    """Rows and cells placed one by one as calamine places them, for the pieces with cells lacking `r`."""

    def __init__(self, prefix: bytes) -> None:
        self.tags = re.compile(rb"<" + re.escape(prefix) + rb"(row|c)\b([^>]*?)(/?)>")
        self.row = 0
        self.column = 0

    def place(self, scan: SheetScan, piece: bytes, limits: Limits) -> None:
        for match in self.tags.finditer(piece):
            kind, attributes, empty = match.groups()
            ref = _PLACE.search(attributes)
            if kind == b"row":
                self.row = int(ref.group(2)) if ref else self.row + 1
                self.column = 0
                continue
            if ref and ref.group(1):
                self.row, self.column = int(ref.group(2)), column_number(ref.group(1))
            else:
                self.column += 1
            if not empty:
                scan.rows = max(scan.rows, self.row)
                scan.columns = max(scan.columns, self.column)
                check_size(scan.name, scan.rows, scan.columns, limits)


_PLACE = re.compile(rb"""(?:^|\s)r\s*=\s*["']([A-Za-z]{0,3})([0-9]+)["']""")


def _shared_refs(prefix: bytes) -> re.Pattern:
    """The index in <v> of a cell of type s (a shared string), formula or not."""
    escaped = re.escape(prefix)
    return re.compile(
        rb"""t\s*=\s*["']s["'][^>]*(?<!/)>\s*(?:<""" + escaped + rb"f\b[^>]*?(?:/>|>[^<]*</" + escaped
        + rb"f>)\s*)?<" + escaped + rb"v>\s*([0-9]+)\s*<"
    )  # fmt: skip


def scan_worksheet(member: BinaryIO, scan: SheetScan, limits: Limits, lengths: list[int]) -> None:
    """Stream one worksheet part into `scan`, refusing it as soon as it goes past a limit."""
    shared = places = None
    for prefix, piece in _pieces(_chunks(member), lambda prefix: b"</" + prefix + b"c>"):
        if shared is None:
            shared = _shared_refs(prefix)
            places = _Places(prefix)
        refs = _REF.findall(piece)
        if len(refs) != piece.count(b"</" + prefix + b"c>"):
            places.place(scan, piece, limits)  # some cell with a value has no r attribute
        elif refs:
            letters, numbers = zip(*refs, strict=True)
            widest = max(set(letters), key=lambda found: (len(found), found.upper()))
            scan.columns = max(scan.columns, column_number(widest))
            scan.rows = max(scan.rows, max(map(int, set(numbers))))
            places.row, places.column = int(numbers[-1]), column_number(letters[-1])
            check_size(scan.name, scan.rows, scan.columns, limits)
        indices = shared.findall(piece)
        if indices:
            scan.expanded += sum(lengths[i] for i in map(int, indices) if i < len(lengths))
            if scan.expanded > EXPANDED_MAX_BYTES:
                raise Refused(
                    _l(
                        "The cells of sheet %(name)s repeat the workbook's shared text to more than %(limit)s; it was "
                        "refused as unsafe.",
                        name=repr(scan.name),
                        limit=_size(EXPANDED_MAX_BYTES),
                    )
                )


class Scanner:
    """The scan of one .xlsx, fed its members as the reader inflates them (shared strings first: `order`)."""

    def __init__(self, archive: zipfile.ZipFile, limits: Limits) -> None:
        self.limits = limits
        self.result = Scan()
        self.lengths: list[int] = []
        try:
            names, shared = _parts(_head(archive, "xl/workbook.xml"), _head(archive, "xl/_rels/workbook.xml.rels"))
        except KeyError:
            names, shared = {}, set()
        self.names = names
        self.shared = shared | {"xl/sharedStrings.xml"}

    def order(self, infos: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
        return sorted(infos, key=lambda info: info.filename not in self.shared)

    def consume(self, info: zipfile.ZipInfo, member: BinaryIO) -> bool:
        """Scan the member if it is a worksheet or the shared strings (True), else leave it (False)."""
        name = info.filename
        if name in self.shared:
            lengths = shared_string_lengths(member, info.file_size)
            self.lengths = self.lengths or lengths
            self.result.shared_strings = max(self.result.shared_strings, len(lengths))
            return True
        if name in self.names or (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            sheet = SheetScan(name, self.names.get(name) or name.rsplit("/", 1)[-1].removesuffix(".xml"))
            scan_worksheet(member, sheet, self.limits, self.lengths)
            self.result.sheets.append(sheet)
            return True
        return False


def _head(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as member:
        return member.read(16 * 1024 * 1024)
