"""Reading a dictionary file: headers in Arabic or English, CSV encodings and separators, row checks, refusals."""

import pytest

from guarantees.importer.dictionary_file import (
    EXPORT_HEADERS,
    MAX_BYTES,
    parse_swift,
    read_dictionary,
    score_header,
    split_aliases,
)
from guarantees.importer.reader import WorkbookError
from tests.conftest import build_xlsx


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Official name / الاسم الرسمي", "name"),
        ("Bank Name", "name"),
        ("اسم البنك", "name"),
        ("اسم المورد", "name"),
        ("Official name AR / الاسم الرسمي بالعربية", "name_ar"),
        ("الاسم بالعربي", "name_ar"),
        ("Supplier name (English)", "name_en"),
        ("الاسم بالإنجليزية", "name_en"),
        ("Short code", "short_name"),
        ("الاسم المختصر", "short_name"),
        ("Aliases / الأسماء البديلة", "aliases"),
        ("Other names", "aliases"),
        ("Department", "department"),
        ("الإدارة", "department"),
        ("Address line 1", "address_line_1"),
        ("العنوان ٢", "address_line_2"),
        ("E-mail", "email"),
        ("البريد الإلكتروني", "email"),
        ("SWIFT code", "swift_bic"),
        ("BIC", "swift_bic"),
    ],
)
def test_headers_are_recognised_in_both_languages(header, field):
    scores = score_header(header)
    assert max(scores, key=scores.get) == field


@pytest.mark.parametrize("header", ["S/N", "Amount", "Today", ""])
def test_other_headers_map_to_nothing(header):
    assert score_header(header) == {}


def test_export_headers_read_back_as_their_fields():
    for entity, headers in EXPORT_HEADERS.items():
        found = read_dictionary(entity, (",".join(headers.values()) + "\nX,Y,Z,,,,,,,\n").encode())
        assert list(found.columns) == [name for name in headers if name in found.columns]
        assert set(found.columns) == set(headers)


BANKS_CSV = (
    "قائمة البنوك\n"
    "\n"
    "اسم البنك,Bank Name,Code,Aliases,SWIFT,E-mail\n"
    "بنك الرياض,Riyad Bank,ribl,RB; بنك رياض، RIYADH BANK, riblsari ,tf@riyadbank.example\n"
    ",,,,,\n"
    "البنك العربي الوطني,Arab National Bank,anb,,ARNB,not-an-address\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1256", "utf-16"])
def test_csv_in_each_encoding_with_a_title_row_above_the_header(encoding):
    found = read_dictionary("bank", BANKS_CSV.encode(encoding))
    assert found.format == "csv"
    assert found.header_row == 3
    assert found.columns == {
        "name": "اسم البنك",
        "name_en": "Bank Name",
        "short_name": "Code",
        "aliases": "Aliases",
        "email": "E-mail",
        "swift_bic": "SWIFT",
    }
    riyad, anb = found.rows
    assert riyad.row_number == 4 and anb.row_number == 6
    assert riyad.values["name"] == riyad.values["name_ar"] == "بنك الرياض"
    assert (riyad.values["short_name"], riyad.values["swift_bic"]) == ("RIBL", "RIBLSARI")
    assert riyad.aliases == ["RB", "بنك رياض", "RIYADH BANK"]
    assert riyad.errors == []
    assert [str(error) for error in anb.errors] == [
        "“not-an-address” is not an e-mail address.",
        "“ARNB” is not a SWIFT/BIC code (8 or 11 letters and digits).",
    ]


@pytest.mark.parametrize("separator", [";", "\t"])
def test_csv_separated_by_semicolons_or_tabs(separator):
    text = f"Official name{separator}Short name\nLana Medical Co.{separator}Lana\n"
    found = read_dictionary("supplier", text.encode())
    assert [row.values for row in found.rows] == [{"name": "Lana Medical Co.", "short_name": "Lana"}]


def test_xlsx_with_arabic_headers_on_the_second_sheet_is_read():
    data = build_xlsx(
        sheets={
            "Notes": [["Nothing here"]],
            "الموردون": [
                ["الاسم الرسمي", "الاسم المختصر", "الأسماء البديلة"],
                ["شركة لانا الطبية", "لانا", "LANA\nلانا الطبية"],
            ],
        }
    )
    found = read_dictionary("supplier", data)
    assert (found.format, found.sheet, found.header_row) == ("xlsx", "الموردون", 1)
    (row,) = found.rows
    assert row.values == {"name": "شركة لانا الطبية", "short_name": "لانا"}
    assert row.aliases == ["LANA", "لانا الطبية"]


def test_numbers_lose_their_trailing_zero_and_a_formula_guard_is_dropped():
    found = read_dictionary("bank", build_xlsx([["Bank name", "Short code"], ["Bank 2000", 1234.0]]))
    assert found.rows[0].values["short_name"] == "1234"
    found = read_dictionary("supplier", b"Official name\n'=HYPERLINK(x)\n")
    assert found.rows[0].values["name"] == "=HYPERLINK(x)"


def test_a_row_without_a_name_and_values_too_long_are_errors():
    found = read_dictionary("bank", f"Bank name,Short code,Department\n,RB,x\nBank,{'X' * 21},\n".encode())
    nameless, long_code = found.rows
    assert [str(e) for e in nameless.errors] == ["The row has no name."]
    assert [str(e) for e in long_code.errors] == ["short name: too long (at most 20 characters)."]


def test_a_supplier_short_name_is_a_display_name_of_any_length():
    found = read_dictionary("supplier", f"Official name,Short name\nA,{'B' * 60}\n".encode())
    assert found.rows[0].errors == []


def test_split_aliases_and_parse_swift():
    assert split_aliases("a; b ،c\nA;;  ") == ["a", "b", "c"]
    assert split_aliases(None) == []
    assert parse_swift(" rjhi sari ") == "RJHISARI"
    assert parse_swift("NCBKSAJE001") == "NCBKSAJE001"
    for bad in ("RJHI", "1JHISARI", "RJHISARI0", "RJHISA-I"):
        with pytest.raises(ValueError):
            parse_swift(bad)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "This file is empty."),
        (b"Amount,Date\n1,2\n", "No header row found"),
        (b"\x00\x01\x02binary", "neither a workbook"),
        (b"x" * (MAX_BYTES + 1), "larger than"),
        (build_xlsx(encrypted=True), "protected with a password"),
        (b"PK\x03\x04not really a zip", "damaged"),
    ],
)
def test_refusals_say_why(data, message):
    with pytest.raises(WorkbookError) as refused:
        read_dictionary("bank", data)
    assert message in refused.value.message
