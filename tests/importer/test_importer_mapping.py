"""Header detection and column mapping on small synthetic workbooks."""

from __future__ import annotations

import pytest

from guarantees.importer import FIELDS, WorkbookError, detect, read_workbook
from guarantees.importer.headers import score_header

HEADER = ["S/N", "BANK GUARANTEE NUMBER", "CONTRACTOR NAME", "BANK NAME", "AMOUNT", "VALIDITY DATE"]
ROW = [1, "LG1", "ACME", "SNB", 100, "01/06/2025"]


def detected(xlsx_bytes, rows=None, **kwargs):
    return detect(read_workbook(xlsx_bytes(rows) if rows is not None else xlsx_bytes(**kwargs.pop("build"))), **kwargs)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("BANK GUARANTEE NUMBER", "guarantee_number"),
        ("BANK GURANTEE NUMBER", "guarantee_number"),
        ("Bank Garantee No.", "guarantee_number"),
        ("BG NO", "guarantee_number"),
        ("BG #", "guarantee_number"),
        ("L/G No", "guarantee_number"),
        ("LG NO", "guarantee_number"),
        ("Guarantee Ref", "guarantee_number"),
        ("رقم الضمان", "guarantee_number"),
        ("رقم خطاب الضمان", "guarantee_number"),
        ("رقم الضمان البنكى", "guarantee_number"),
        ("SUPPLIER", "supplier"),
        ("Suplier Name", "supplier"),
        ("CONTRACTOR NAME", "supplier"),
        ("VENDOR", "supplier"),
        ("اسم المورد", "supplier"),
        ("المورد", "supplier"),
        ("المقاول", "supplier"),
        ("BANK NAME", "bank"),
        ("Bank Name", "bank"),
        ("Issuing Bank", "bank"),
        ("البنك", "bank"),
        ("اسم البنك", "bank"),
        ("AMOUNT", "amount"),
        ("BG AMOUNT", "amount"),
        ("Amount (SAR)", "amount"),
        ("المبلغ", "amount"),
        ("قيمة الضمان", "amount"),
        ("Currency", "currency"),
        ("العملة", "currency"),
        ("ISSUE DATE", "issue_date"),
        ("Date of Issue", "issue_date"),
        ("تاريخ الإصدار", "issue_date"),
        ("VALIDITY DATE", "expiry_date"),
        ("BG EXPIRY DATE", "expiry_date"),
        ("EXPIRY", "expiry_date"),
        ("Expiration Date", "expiry_date"),
        ("Valid Until", "expiry_date"),
        ("تاريخ الانتهاء", "expiry_date"),
        ("تاريخ انتهاء الضمان", "expiry_date"),
        ("CONTRACT NO.", "contract_number"),
        ("Contract Number", "contract_number"),
        ("رقم العقد", "contract_number"),
        ("PO NO.", "po_number"),
        ("P.O", "po_number"),
        ("P.O. No.", "po_number"),
        ("Purchase Order No", "po_number"),
        ("أمر الشراء", "po_number"),
        ("رقم أمر الشراء", "po_number"),
        ("Type", "type"),
        ("BG Type", "type"),
        ("النوع", "type"),
        ("Comment", "comment"),
        ("Remarks", "comment"),
        ("ملاحظات", "comment"),
    ],
)
def test_header_keywords(header, field):
    scores = score_header(header)
    assert max(scores, key=scores.get) == field, scores
    assert score_header(f"  {header}\xa0 ") == scores  # NBSP and trailing spaces


@pytest.mark.parametrize(
    "header",
    [
        "DATE",
        "Today",
        "DAYS VALID",
        "RENEWAL DATE",
        "Owner ",
        "STATUS",
        "Bank Guarantee Status ",
        "Release",
        "Un-release",
        "S/N",
        "No.",
        "NAME",
        "V2",
        "الحالة",
        "Bank guarantees register for the finance department - June 2025",
    ],
)
def test_derived_and_unknown_headers_map_nothing(header):
    assert score_header(header) == {}


def test_plain_header(xlsx_bytes):
    detection = detected(xlsx_bytes, [HEADER, ROW])
    assert detection.sheet == "Sheet1"
    assert detection.header_row == 1
    assert {f: c.index for f, c in detection.columns.items()} == {
        "guarantee_number": 1,
        "supplier": 2,
        "bank": 3,
        "amount": 4,
        "expiry_date": 5,
    }
    assert detection.ignored == ["S/N"]
    assert detection.headers == HEADER
    assert list(detection.column_headers()) == [f for f in FIELDS if f in detection.columns]


def test_title_rows_above_the_header(xlsx_bytes):
    rows = [["Bank guarantees - June 2025"], [], ["Prepared by finance", None, "15/06/2025"], HEADER, ROW]
    detection = detected(xlsx_bytes, rows)
    assert detection.header_row == 4
    assert detection.columns["guarantee_number"].header == "BANK GUARANTEE NUMBER"


def test_header_text_is_kept_as_found(xlsx_bytes):
    rows = [["BANK GUARANTEE NUMBER\xa0", " Bank Name  ", "AMOUNT "], ["LG1", "SNB", 5]]
    detection = detected(xlsx_bytes, rows)
    assert detection.columns["guarantee_number"].header == "BANK GUARANTEE NUMBER\xa0"
    assert detection.columns["bank"].header == " Bank Name  "
    assert detection.headers == ["BANK GUARANTEE NUMBER", "Bank Name", "AMOUNT"]


def test_two_bank_columns_take_the_exact_then_leftmost(xlsx_bytes):
    rows = [["BANK GUARANTEE NUMBER", "BANK NAME", "اسم البنك"], ["LG1", "SNB", "البنك الأهلي"]]
    detection = detected(xlsx_bytes, rows)
    assert detection.columns["bank"].index == 1
    assert detection.ignored == ["اسم البنك"]
    rows = [["BANK GUARANTEE NUMBER", "Issuing bank of record", "اسم البنك"], ["LG1", "SNB", "البنك الأهلي"]]
    detection = detected(xlsx_bytes, rows)
    assert detection.columns["bank"].header == "اسم البنك"  # the exact keyword beats a looser match


def test_derived_columns_are_not_mapped(xlsx_bytes):
    rows = [
        ["BANK GUARANTEE NUMBER", "DATE", "Today", "DAYS VALID", "Owner", "STATUS", "VALIDITY DATE"],
        ["LG1", "01/01/2025", "26/06/2025", 4.5, "Sara", "Release", "01/07/2025"],
    ]
    detection = detected(xlsx_bytes, rows)
    assert detection.columns["expiry_date"].header == "VALIDITY DATE"
    assert set(detection.columns) == {"guarantee_number", "expiry_date"}
    assert detection.ignored == ["DATE", "Today", "DAYS VALID", "Owner", "STATUS"]


def test_date_or_today_alone_is_never_the_expiry(xlsx_bytes):
    detection = detected(xlsx_bytes, [["LG NO", "SUPPLIER", "DATE", "Today"], ["LG1", "ACME", 1, 2]])
    assert "expiry_date" not in detection.columns
    assert "issue_date" not in detection.columns


def test_header_on_the_second_sheet(xlsx_bytes):
    build = {"sheets": {"Cover": [["Guarantee list"], ["June 2025"]], "Data": [["x"], HEADER, ROW]}}
    detection = detected(xlsx_bytes, build=build)
    assert detection.sheet == "Data"
    assert detection.header_row == 2
    assert detection.other_sheets == []


def test_best_sheet_wins_and_the_others_are_listed(xlsx_bytes):
    small = [["BG NO", "SUPPLIER"], ["LG1", "A"]]
    build = {"sheets": {"Old": small, "Current": [HEADER, ROW], "Copy": small}}
    detection = detected(xlsx_bytes, build=build)
    assert detection.sheet == "Current"
    assert detection.other_sheets == ["Old", "Copy"]


def test_sheet_named(xlsx_bytes):
    data = xlsx_bytes(sheets={"A": [HEADER, ROW], "B": [["BG NO", "SUPPLIER"], ["LG1", "A"]]})
    detection = detect(read_workbook(data), sheet="B")
    assert detection.sheet == "B"
    assert set(detection.columns) == {"guarantee_number", "supplier"}
    with pytest.raises(WorkbookError, match="no sheet named 'C'"):
        detect(read_workbook(data), sheet="C")


def test_no_header_found(xlsx_bytes):
    with pytest.raises(WorkbookError, match="No header row found in the first 15 rows of any sheet"):
        detected(xlsx_bytes, [["Name", "Value"], ["a", 1]])
    # A guarantee number column alone is not enough.
    with pytest.raises(WorkbookError, match="needs a column for the guarantee number"):
        detected(xlsx_bytes, [["BG NO", "Whatever"], ["LG1", 1]])
    # Beyond the first 15 rows is not searched.
    with pytest.raises(WorkbookError):
        detected(xlsx_bytes, [["note"]] * 15 + [HEADER, ROW])


def test_overrides_win(xlsx_bytes):
    rows = [["Ref", "Who", "BANK NAME", "SUPPLIER"], ["LG1", "ACME", "SNB", "OTHER"]]
    detection = detected(
        xlsx_bytes, rows, overrides={"guarantee_number": "ref", "supplier": " WHO\xa0", "bank": "bank  name"}
    )
    assert {f: c.header for f, c in detection.columns.items()} == {
        "guarantee_number": "Ref",
        "supplier": "Who",
        "bank": "BANK NAME",
    }
    assert detection.ignored == ["SUPPLIER"]


def test_override_moves_a_field_and_unmaps_one(xlsx_bytes):
    rows = [["BANK GUARANTEE NUMBER", "BANK NAME", "اسم البنك", "AMOUNT"], ["LG1", "SNB", "الأهلي", 5]]
    detection = detected(xlsx_bytes, rows, overrides={"bank": "اسم البنك", "amount": ""})
    assert detection.columns["bank"].header == "اسم البنك"
    assert "amount" not in detection.columns
    assert detection.ignored == ["BANK NAME", "AMOUNT"]


def test_override_finds_the_header_row(xlsx_bytes):
    rows = [["Guarantee list"], ["Ref", "Company"], ["LG1", "ACME"]]
    detection = detected(xlsx_bytes, rows, overrides={"guarantee_number": "Ref", "supplier": "Company"})
    assert detection.header_row == 2


def test_override_with_an_unknown_header(xlsx_bytes):
    with pytest.raises(WorkbookError) as caught:
        detected(xlsx_bytes, [HEADER, ROW], overrides={"supplier": "Vendor Name"})
    message = str(caught.value)
    assert "There is no column 'Vendor Name' in the header row (row 1 of sheet 'Sheet1')" in message
    assert "'BANK GUARANTEE NUMBER', 'CONTRACTOR NAME'" in message


def test_override_with_an_unknown_field(xlsx_bytes):
    with pytest.raises(WorkbookError, match="Unknown field 'beneficiary'.*guarantee_number, supplier"):
        detected(xlsx_bytes, [HEADER, ROW], overrides={"beneficiary": "BANK NAME"})


def test_one_column_for_two_fields_is_refused(xlsx_bytes):
    with pytest.raises(WorkbookError, match="cannot be mapped to both supplier and bank"):
        detected(xlsx_bytes, [HEADER, ROW], overrides={"supplier": "BANK NAME", "bank": "bank name"})


def test_arabic_header(xlsx_bytes):
    rows = [
        ["م", "رقم الضمان", "اسم المورد", "البنك", "المبلغ", "تاريخ الانتهاء", "رقم العقد", "النوع", "ملاحظات"],
        [1, "LG1", "شركة", "الأهلي", 5, "01/06/2025", "C/1", "نهائي", "للتمديد"],
    ]
    detection = detected(xlsx_bytes, rows)
    assert set(detection.columns) == {
        "guarantee_number",
        "supplier",
        "bank",
        "amount",
        "expiry_date",
        "contract_number",
        "type",
        "comment",
    }
    assert detection.ignored == ["م"]


def test_duplicate_and_blank_headers_get_unique_names(xlsx_bytes):
    rows = [["BG NO", None, "Comment", "comment", "SUPPLIER"], ["LG1", "x", "a", "b", "ACME"]]
    detection = detected(xlsx_bytes, rows)
    assert detection.headers == ["BG NO", "Column B", "Comment", "comment (2)", "SUPPLIER"]
    assert detection.columns["comment"].index == 2
