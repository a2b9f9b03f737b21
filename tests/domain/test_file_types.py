"""Attachments' kinds read from their bytes, and their names made safe to show and to send back."""

import io
from urllib.parse import unquote

import pytest

from guarantees.domain import file_types
from guarantees.domain.file_types import ascii_name, content_disposition, display_name, is_program, sniff
from tests.sample_files import elf_bytes, exe_bytes, jpeg_head, office_zip, pdf_bytes, png_bytes


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (pdf_bytes(), "pdf"),
        (png_bytes(), "png"),
        (jpeg_head(), "jpeg"),
        (office_zip("sheet"), "xlsx"),
        (office_zip("document"), "docx"),
    ],
)
def test_each_accepted_kind_is_read_from_its_content(content, code):
    assert sniff(io.BytesIO(content)).code == code


@pytest.mark.parametrize(
    "content",
    [b"", b"plain text", b"%PD", office_zip("macro"), b"PK\x03\x04garbage", elf_bytes(), exe_bytes(), b"GIF89a"],
    ids=["empty", "text", "short", "macro-workbook", "broken-zip", "elf", "exe", "gif"],
)
def test_anything_else_is_refused(content):
    assert sniff(io.BytesIO(content)) is None


def test_a_zip_without_content_types_is_told_by_its_main_part():
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<x/>")
    assert sniff(io.BytesIO(out.getvalue())) is file_types.DOCX


def test_programs_are_recognised_for_the_message():
    assert is_program(io.BytesIO(elf_bytes())) and is_program(io.BytesIO(exe_bytes()))
    assert not is_program(io.BytesIO(pdf_bytes()))


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../x.pdf", "x.pdf"),
        ("C:\\Windows\\x.pdf", "x.pdf"),
        ("C:x.pdf", "x.pdf"),
        ("/etc/passwd", "passwd"),
        ("خطاب\u202e البنك\x00\x1b.pdf", "خطاب البنك.pdf"),
        ("  spaced   out  .pdf ", "spaced out .pdf"),
        ("..", "attachment.pdf"),
        ("", "attachment.pdf"),
        ("\u2066\u2069", "attachment.pdf"),
    ],
)
def test_display_names_lose_folders_and_invisible_characters_but_keep_arabic(raw, shown):
    assert display_name(raw, file_types.PDF) == shown


def test_a_long_name_is_cut_keeping_its_extension():
    name = display_name("ب" * 500 + ".docx")
    assert len(name) == file_types.NAME_MAX and name.endswith(".docx")


def test_the_content_disposition_carries_the_exact_name_and_an_ascii_stand_in():
    header = content_disposition("attachment", 'خطاب "1";\r\n.pdf', file_types.PDF)
    assert header.startswith('attachment; filename="')
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii() and fallback.endswith(".pdf") and '"' not in fallback and ";" not in fallback
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == 'خطاب "1";\r\n.pdf' and encoded.isascii() and ";" not in encoded
    assert ascii_name("Café.PDF") == "Cafe.PDF"
    assert ascii_name("صورة.png") == "attachment.png"
