"""Value parsers: examples, then properties (round trips; nothing but ValueError ever escapes)."""

from __future__ import annotations

import contextlib
import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guarantees.importer.values import (
    MAX_AMOUNT,
    cell_text,
    excel_serial,
    parse_amount,
    parse_code,
    parse_currency,
    parse_date,
    parse_text,
)

ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

# ----------------------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (25200.0, "25200.00"),
        (25200, "25200.00"),
        (Decimal("94729.34"), "94729.34"),
        ("1,234.50", "1234.50"),
        ("1,234,567", "1234567.00"),
        ("1\xa0234.5", "1234.50"),
        ("1 234 567,89", "1234567.89"),
        ("1.234.567,89", "1234567.89"),
        ("12,5", "12.50"),
        ("SAR 1,000", "1000.00"),
        ("1,000 SAR", "1000.00"),
        ("1000 ر.س", "1000.00"),
        ("١٢٣٤٫٥٠ ريال", "1234.50"),
        ("$ 99.999", "100.00"),
        ("0.005", "0.01"),
        ("+7", "7.00"),
        (0.1 + 0.2, "0.30"),
        ("0", "0.00"),
        (-0.0, "0.00"),
        ("9999999999999.99", "9999999999999.99"),
    ],
)
def test_amounts(value, expected):
    assert parse_amount(value) == Decimal(expected)
    assert str(parse_amount(value)) == expected


@pytest.mark.parametrize("value", [None, "", "   ", "\xa0", "-", "—"])
def test_blank_amounts(value):
    assert parse_amount(value) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "'abc' is not a number"),
        ("12abc", "'12abc' is not a number"),
        ("1e5", "'1e5' is not a number"),
        ("SAR", "'SAR' is not a number"),
        ("1,2,3", "'1,2,3' is not a number"),
        ("-5", "'-5' is negative"),
        ("(1,000)", "'(1,000)' is negative"),
        (-1, "'-1' is negative"),
        (-0.5, "'-0.5' is negative"),
        (1e13, "is too large"),
        ("10000000000000", "is too large"),
        (float("nan"), "is not a number"),
        (float("inf"), "is not a number"),
        (Decimal("NaN"), "is not a number"),
        (True, "'TRUE' is not a number"),
        (date(2025, 6, 1), "'2025-06-01' is not a number"),
    ],
)
def test_bad_amounts(value, message):
    with pytest.raises(ValueError) as caught:
        parse_amount(value)
    assert str(caught.value).startswith(message) if message.startswith("'") else message in str(caught.value)


cents = st.decimals(min_value=0, max_value=MAX_AMOUNT - Decimal("0.01"), places=2)


@given(cents)
def test_amount_round_trips(amount):
    assert parse_amount(str(amount)) == amount
    assert parse_amount(f"{amount:,}") == amount
    assert parse_amount(f"SAR {amount:,.2f}") == amount
    assert parse_amount(f"{amount:,.2f}".translate(ARABIC_DIGITS) + " ر.س") == amount
    assert parse_amount(amount) == amount


@given(st.floats(min_value=0, max_value=1e12, allow_nan=False))
def test_float_amounts_are_their_shortest_repr_rounded(number):
    assert parse_amount(number) == Decimal(repr(number)).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")


@given(st.one_of(st.text(), st.floats(), st.integers(), st.decimals(), st.dates(), st.booleans(), st.none()))
def test_amount_raises_only_value_error(value):
    try:
        result = parse_amount(value)
    except ValueError as exc:
        assert str(exc)
    else:
        assert result is None or (isinstance(result, Decimal) and 0 <= result < MAX_AMOUNT)
        assert result is None or result.as_tuple().exponent == -2


# ----------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "value",
    [
        "2025-06-01",
        "2025/06/01",
        "2025.6.1",
        "01/06/2025",
        "1/6/2025",
        "1-6-2025",
        "01.06.2025",
        "01/06/25",
        "1 Jun 2025",
        "1-Jun-2025",
        "01-JUN-25",
        "1 June 2025",
        "1st June 2025",
        "June 1, 2025",
        "Jun 1 2025",
        "2025-06-01 00:00:00",
        "2025-06-01T10:30",
        "01/06/2025 10:30:00",
        "20250601",
        "45809",
        " 01/06/2025\xa0",
        "\u200f01/06/2025",
        "٠١/٠٦/٢٠٢٥",
        "1 يونيو 2025",
        45809,
        45809.0,
        45809.75,
        date(2025, 6, 1),
        datetime(2025, 6, 1, 23, 59),
    ],
)
def test_dates(value):
    assert parse_date(value) == date(2025, 6, 1)


@pytest.mark.parametrize("value", [None, "", "  ", "\xa0"])
def test_blank_dates(value):
    assert parse_date(value) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("garbage", "is not a date"),
        ("31/02/2025", "is not a valid date"),
        ("06/13/2025", r"day/month/year expected"),
        ("1446/12/05", "Hijri"),
        ("05/12/1446", "Hijri"),
        ("2025", "outside the years"),
        (2025.0, "outside the years"),
        (0, "is not a date"),
        (-3.0, "is not a date"),
        (float("nan"), "is not a date"),
        (1e300, "is not a date"),
        (True, "is not a date"),
        (time(10, 0), "is not a date"),
        (timedelta(days=3), "is not a date"),
        (date(1900, 1, 1), "outside the years"),
        ("32 Jun 2025", "is not a valid date"),
        ("1 Foo 2025", "is not a date"),
    ],
)
def test_bad_dates(value, message):
    with pytest.raises(ValueError, match=message):
        parse_date(value)


days = st.dates(min_value=date(1950, 1, 1), max_value=date(2150, 12, 31))


@given(days)
def test_date_round_trips(day):
    assert parse_date(day) == day
    assert parse_date(datetime.combine(day, time(13, 5))) == day
    assert parse_date(float(excel_serial(day))) == day
    assert parse_date(day.isoformat()) == day
    assert parse_date(day.strftime("%d/%m/%Y")) == day
    assert parse_date(f"{day.day}-{day.month}-{day.year}") == day
    assert parse_date(day.strftime("%d.%m.%Y")) == day
    assert parse_date(day.strftime("%Y/%m/%d")) == day
    assert parse_date(day.strftime("%d %b %Y")) == day
    assert parse_date(day.strftime("%B %d, %Y")) == day
    assert parse_date(day.strftime("%Y-%m-%d 00:00:00")) == day
    assert parse_date(day.strftime("%d/%m/%Y").translate(ARABIC_DIGITS)) == day


def test_excel_serials_match_excel():
    assert excel_serial(date(2025, 6, 1)) == 45809
    assert excel_serial(date(1950, 1, 1)) == 18264


@given(st.one_of(st.text(), st.floats(), st.integers(), st.dates(), st.datetimes(), st.none()))
def test_date_raises_only_value_error(value):
    try:
        result = parse_date(value)
    except ValueError as exc:
        assert str(exc)
    else:
        assert result is None or (type(result) is date and 1950 <= result.year <= 2150)


# ----------------------------------------------------------------------------- codes, text, currency


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (421378.0, "421378"),
        ("421378.0", "421378"),
        ("421378.00", "421378"),
        (421378, "421378"),
        (Decimal("421378.0"), "421378"),
        ("C/0016/40", "C/0016/40"),
        (" 431046 - 431047 ", "431046 - 431047"),
        ("417248-417388", "417248-417388"),
        ("PO-26", "PO-26"),
        (12.5, "12.5"),
        ("\u202bC/0037/40\u202c", "C/0037/40"),
        ("", None),
        ("  ", None),
        (None, None),
    ],
)
def test_codes(value, expected):
    assert parse_code(value) == expected


@pytest.mark.parametrize("value", [date(2025, 6, 1), True, float("inf"), "x" * 101])
def test_bad_codes(value):
    with pytest.raises(ValueError):
        parse_code(value)


@given(st.integers(min_value=0, max_value=10**15))
def test_integral_codes_round_trip(number):
    assert parse_code(float(number)) == str(number) or number > 2**53
    assert parse_code(str(number)) == str(number)
    assert parse_code(f"{number}.0") == str(number)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  AL-KAMAL   IMPORT\xa0OFFICE  ", "AL-KAMAL IMPORT OFFICE"),
        ("\u202bشركة الجيل\u202c", "شركة الجيل"),
        ("\u2067ABC\u2069", "ABC"),
        ("line\nbreak\ttab", "line break tab"),
        ("bell\x07char", "bellchar"),
        ("ﻻ", "لا"),  # NFKC folds presentation forms
        (148.0, "148"),
        (date(2025, 6, 1), "2025-06-01"),
        ("", None),
        ("\u200f\u200e", None),
        (None, None),
    ],
)
def test_text(value, expected):
    assert parse_text(value) == expected


def test_text_length_limit():
    assert parse_text("x" * 500) == "x" * 500
    with pytest.raises(ValueError, match=r"too long \(501 characters, at most 500\)"):
        parse_text("x" * 501)
    assert parse_text("y" * 1500, max_length=2000) == "y" * 1500


@given(st.text())
def test_text_is_clean_and_idempotent(value):
    try:
        text = parse_text(value)
    except ValueError as exc:
        assert "too long" in str(exc)
        return
    if text is not None:
        assert text == text.strip() and "  " not in text
        assert not any(ch in text for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\x00\x07")
        assert parse_text(text) == text


@pytest.mark.parametrize(
    ("value", "expected"),
    [("SAR", "SAR"), ("sar", "SAR"), (" usd ", "USD"), ("ر.س", "SAR"), ("ريال", "SAR"), ("$", "USD"), ("", None)],
)
def test_currency(value, expected):
    assert parse_currency(value) == expected


@pytest.mark.parametrize("value", ["Saudi Arabia", "12", "S A R"])
def test_bad_currency(value):
    with pytest.raises(ValueError, match="is not a currency code"):
        parse_currency(value)


@given(st.one_of(st.text(), st.floats(), st.integers(), st.dates(), st.booleans()))
def test_code_text_and_currency_raise_only_value_error(value):
    for parse in (parse_code, parse_text, parse_currency):
        with contextlib.suppress(ValueError):
            result = parse(value)
            assert result is None or isinstance(result, str)


def test_cell_text():
    assert cell_text(421378.0) == "421378"
    assert cell_text(718.75) == "718.75"
    assert cell_text(datetime(2025, 6, 26, 11, 22, 59)) == "2025-06-26 11:22:59"
    assert cell_text(datetime(2025, 6, 26)) == "2025-06-26"
    assert cell_text(None) == ""
    assert cell_text(math.pi).startswith("3.14159")


def test_messages_are_translated_when_shown_and_read_as_english_without_a_request():
    from flask_babel.speaklater import LazyString

    from guarantees.importer.reader import WorkbookError, read_workbook

    with pytest.raises(ValueError) as caught:
        parse_date("soon")
    assert isinstance(caught.value.args[0], LazyString)
    assert str(caught.value) == "'soon' is not a date (expected e.g. 01/06/2025 or 2025-06-01)"
    with pytest.raises(WorkbookError) as refused:
        read_workbook(b"not a workbook")
    assert refused.value.message == str(refused.value)
    assert refused.value.message.startswith("This file is not an Excel workbook")
