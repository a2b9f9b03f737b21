"""What an attachment is, read from its bytes (never from its name), and its name made safe to show and to send.

Accepted: PDF, PNG, JPEG, and the Office Open XML workbook (.xlsx) and document (.docx) that banks send. An
.xlsx or .docx is a zip: it is recognised by the main part its `[Content_Types].xml` declares (or, when that is
missing, by the part every such file has), never by its extension.
"""

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import quote


@dataclass(frozen=True)
class FileType:
    """An accepted kind of file: its code, content type, usual extension, and whether a browser can show it."""

    code: str
    content_type: str
    extension: str
    previewable: bool


PDF = FileType("pdf", "application/pdf", ".pdf", True)
PNG = FileType("png", "image/png", ".png", True)
JPEG = FileType("jpeg", "image/jpeg", ".jpg", True)
XLSX = FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", False)
DOCX = FileType("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx", False)
FILE_TYPES = (PDF, PNG, JPEG, XLSX, DOCX)
BY_CONTENT_TYPE = {kind.content_type: kind for kind in FILE_TYPES}
CONTENT_TYPES = tuple(BY_CONTENT_TYPE)

HEAD_BYTES = 16  # enough of the start of a file to tell every kind below
# The main part of each zip-based kind, as [Content_Types].xml declares it (macro-enabled variants are not these).
_ZIP_MAIN_PARTS = (
    (XLSX, b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", "xl/workbook.xml"),
    (DOCX, b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", "word/document.xml"),
)
_CONTENT_TYPES_MAX = 1024 * 1024  # [Content_Types].xml larger than this is no honest Office file
_PROGRAMS = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"#!")


def sniff(stream: BinaryIO) -> FileType | None:
    """The kind of the file `stream` holds (seekable, read from its start), or None when it is none we accept."""
    stream.seek(0)
    head = stream.read(HEAD_BYTES)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        stream.seek(0)
        return _office(stream)
    return None


def is_program(stream: BinaryIO) -> bool:
    """Whether the file starts like an executable program or script (so the refusal can say so)."""
    stream.seek(0)
    return stream.read(HEAD_BYTES).startswith(_PROGRAMS)


def _office(stream: BinaryIO) -> FileType | None:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
            declared = b""
            info = archive.NameToInfo.get("[Content_Types].xml")
            if info is not None and info.file_size <= _CONTENT_TYPES_MAX:
                with archive.open(info) as part:
                    declared = part.read(_CONTENT_TYPES_MAX + 1)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError, ValueError):
        return None
    if declared:
        found = [kind for kind, main, _part in _ZIP_MAIN_PARTS if main in declared]
        return found[0] if len(found) == 1 else None
    found = [kind for kind, _main, part in _ZIP_MAIN_PARTS if part in names]
    return found[0] if len(found) == 1 else None


# Control characters, and the invisible marks that reorder text (bidi overrides and isolates) or hide it.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_DRIVE = re.compile(r"^[A-Za-z]:")
NAME_MAX = 200  # characters of a shown name


def display_name(raw: str | None, kind: FileType | None = None) -> str:
    """The uploaded file's name, safe to show and to offer back: no folders or drive (`../../x.pdf`, `C:\\x.pdf`
    give `x.pdf`), no control or bidi characters, spaces folded, at most NAME_MAX characters with the extension
    kept; Arabic and other letters stay. An empty result becomes `attachment` plus the kind's extension."""
    name = unicodedata.normalize("NFC", raw or "")
    name = _UNSAFE.sub("", name.replace("\\", "/")).rsplit("/", 1)[-1]
    name = " ".join(_DRIVE.sub("", name).split()).strip(". ")
    if len(name) > NAME_MAX:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: NAME_MAX - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:NAME_MAX]
    return name or "attachment" + (kind.extension if kind else "")


def _ascii(text: str, keep: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"_+", "_", re.sub(f"[^{keep}]", "_", text))


def ascii_name(name: str, kind: FileType | None = None) -> str:
    """An ASCII stand-in for `name` (the `filename=` of a Content-Disposition for old clients): accents dropped,
    anything else that is not a plain letter, digit or `.-_ ()` replaced by `_`; a name of which nothing is left
    (an Arabic one) becomes `attachment`, with its extension."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    stem = _ascii(stem, r"A-Za-z0-9.\-_ ()").strip(" ._")
    extension = _ascii(extension, "A-Za-z0-9").strip("_")[:10]
    if not stem.strip("_ "):
        stem = "attachment"
    return stem + ("." + extension if extension else (kind.extension if kind else ""))


def content_disposition(disposition: str, name: str, kind: FileType | None = None) -> str:
    """`attachment` or `inline` with the name twice: an ASCII `filename=` and the exact UTF-8 `filename*=`
    (RFC 6266 / RFC 5987), so no quote, semicolon or line break in a name can end the header's value."""
    encoded = quote(name, safe="")
    return f"{disposition}; filename=\"{ascii_name(name, kind)}\"; filename*=UTF-8''{encoded}"
