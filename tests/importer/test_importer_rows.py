"""parse_rows: normalised values, per-cell errors, and which rows are skipped."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from guarantees.importer import SkippedRow, detect, parse_rows, read_workbook

HEADER = [
    "S/N",
    "BANK GUARANTEE NUMBER",
    "CONTRACTOR NAME",
    "BANK NAME",
    "AMOUNT",
    "VALIDITY DATE",
    "CONTRACT NO.",
    "PO NO.",
    "Type",
    "Comment",
]


def parse(xlsx_bytes, rows, **kwargs):
    workbook = read_workbook(xlsx_bytes(rows))
    detection = detect(workbook, **kwargs)
    skipped: list[SkippedRow] = []
    return list(parse_rows(workbook, detection, skipped=skipped)), skipped


def test_values_are_normalised(xlsx_bytes):
    rows, _ = parse(
        xlsx_bytes,
        [
            ["Guarantees June 2025"],
            HEADER,
            [1, " 23ogte 49100962 ", "AL-KAMAL  IMPORT\xa0OFFICE ", "Alrajhi Bank", 25200.0, date(2025, 6, 1),
             None, 421378.0, "Final", None],
            [2, "LG2123500014", "Integrated Gulf", "ALBILAD BANK", "1,893,167", "23/08/2025", "C/0016/40", None,
             "ADVANCED", "للتمديد"],
        ],
    )  # fmt: skip
    first, second = rows
    assert first.row_number == 3
    assert first.values == {
        "guarantee_number": "23OGTE49100962",
        "supplier": "AL-KAMAL IMPORT OFFICE",
        "bank": "Alrajhi Bank",
        "amount": Decimal("25200.00"),
        "expiry_date": date(2025, 6, 1),
        "contract_number": None,
        "po_number": "421378",
        "type": "Final",
        "comment": None,
    }
    assert first.errors == []
    assert first.related_to == "purchase_order"
    assert second.row_number == 4
    assert second.values["amount"] == Decimal("1893167.00")
    assert second.values["expiry_date"] == date(2025, 8, 23)
    assert second.values["contract_number"] == "C/0016/40"
    assert second.values["comment"] == "للتمديد"
    assert second.related_to == "contract"


def test_raw_keeps_every_column_as_text(xlsx_bytes):
    rows, _ = parse(
        xlsx_bytes,
        [HEADER + ["Today"], [7.0, "LG1", "ACME", "SNB", 718.75, date(2025, 6, 1), 436108.0, None, "FINAL", "x",
                              datetime(2025, 6, 26, 11, 22, 59)]],
    )  # fmt: skip
    assert rows[0].raw == {
        "S/N": "7",
        "BANK GUARANTEE NUMBER": "LG1",
        "CONTRACTOR NAME": "ACME",
        "BANK NAME": "SNB",
        "AMOUNT": "718.75",
        "VALIDITY DATE": "2025-06-01",
        "CONTRACT NO.": "436108",
        "PO NO.": "",
        "Type": "FINAL",
        "Comment": "x",
        "Today": "2025-06-26 11:22:59",
    }


def test_cell_errors(xlsx_bytes):
    rows, _ = parse(
        xlsx_bytes,
        [HEADER + ["Currency"], [1, "LG1", "ACME", "SNB", "abc", "31/02/2025", None, None, None, None, "Saudi"]],
    )
    [row] = rows
    assert row.errors == [
        "amount: 'abc' is not a number",
        "currency: 'Saudi' is not a currency code (3 letters, e.g. SAR)",
        "expiry date: '31/02/2025' is not a valid date",
    ]  # in FIELDS order
    assert row.values["amount"] is None and row.values["expiry_date"] is None and row.values["currency"] is None
    assert row.values["supplier"] == "ACME"


def test_excel_and_text_dates(xlsx_bytes):
    dates = [date(2025, 6, 1), datetime(2025, 6, 1, 0, 0), "01/06/2025", "2025-06-01", "1 Jun 2025", 45809]
    rows, _ = parse(xlsx_bytes, [["BG NO", "EXPIRY DATE"]] + [[f"LG{i}", d] for i, d in enumerate(dates)])
    assert [r.values["expiry_date"] for r in rows] == [date(2025, 6, 1)] * len(dates)
    assert all(not r.errors for r in rows)


def test_skipped_rows(xlsx_bytes):
    rows, skipped = parse(
        xlsx_bytes,
        [
            HEADER,
            [1, "LG1", "ACME", "SNB", 100, date(2025, 6, 1), None, None, None, None],
            [],  # blank
            [None, "  ", None, "\xa0"],  # blank cells only
            [17],  # a serial number only: no mapped data
            [None, None, None, None, 100],  # a lone amount under the list
            [None, None, "Prepared by the finance department"],  # a footnote
            [None, "TOTAL", None, None, 200],  # totals in the number column
            [None, None, "Total", "all banks", 200],  # totals without a number
            HEADER,  # the header repeated
            [2, "LG2", None, None, None, None, None, None, None, None],  # a number alone is a row (update)
            [None, None, "BETA", "ANB", 50, date(2025, 7, 1)],  # looks like a guarantee: error row
        ],
    )
    assert [r.row_number for r in rows] == [2, 11, 12]
    assert rows[1].values["guarantee_number"] == "LG2" and rows[1].errors == []
    assert rows[2].errors == ["guarantee number: missing"]
    assert rows[2].values["supplier"] == "BETA"
    assert [(s.row_number, s.reason) for s in skipped] == [
        (5, "no data in the mapped columns"),
        (6, "not a guarantee row (no number)"),
        (7, "not a guarantee row (no number)"),
        (8, "totals row"),
        (9, "totals row"),
        (10, "repeated header row"),
    ]


def test_rows_without_a_supplier_column_are_kept(xlsx_bytes):
    rows, _ = parse(
        xlsx_bytes, [["PO NO.", "Bank Name", "BANK GURANTEE NUMBER"]] + [[4.0, "ANB", f"OG/{i}"] for i in range(5)]
    )
    assert len(rows) == 5
    assert all("supplier" not in r.values for r in rows)
    assert rows[0].values == {"guarantee_number": "OG/0", "bank": "ANB", "po_number": "4"}


def test_numbers_are_normalised_like_the_register(xlsx_bytes):
    rows, _ = parse(
        xlsx_bytes,
        [
            ["BG NO", "SUPPLIER"],
            ["og / cc 053778", "A"],
            [12345.0, "B"],
            ["\u200fLG\u00a01\u202c", "C"],
            ["x" * 101, "D"],
        ],
    )
    assert [r.values["guarantee_number"] for r in rows] == ["OG/CC053778", "12345", "LG1", None]
    assert rows[3].errors[0].startswith("guarantee number: ") and "too long" in rows[3].errors[0]


def test_overrides_are_used(xlsx_bytes):
    rows, _ = parse(
        xlsx_bytes,
        [["Ref", "Who", "Money"], ["LG1", "ACME", "1,000"]],
        overrides={"guarantee_number": "Ref", "supplier": "Who", "amount": "Money"},
    )
    assert rows[0].values == {"guarantee_number": "LG1", "supplier": "ACME", "amount": Decimal("1000.00")}


def test_long_comment_and_long_name(xlsx_bytes):
    rows, _ = parse(xlsx_bytes, [["BG NO", "SUPPLIER", "Comment"], ["LG1", "n" * 600, "c" * 1500]])
    [row] = rows
    assert row.values["comment"] == "c" * 1500
    assert row.errors == ["supplier: '" + "n" * 37 + "...' is too long (600 characters, at most 500)"]
