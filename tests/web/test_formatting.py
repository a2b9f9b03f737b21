"""Dates in one place: the Hijri (Umm al-Qura) date beside the Gregorian one."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from flask import Flask

from guarantees.web.formatting import hijri, money, number, when


@pytest.mark.parametrize(
    ("day", "arabic", "english"),
    [
        (date(2025, 3, 1), "1 رمضان 1446هـ", "1 Ramadan 1446 AH"),  # the first day of Ramadan 1446 in Saudi Arabia
        (date(2024, 6, 16), "10 ذو الحجة 1445هـ", "10 Dhu al-Hijjah 1445 AH"),  # Eid al-Adha 1445, checked by hand
        (date(2026, 1, 10), "21 رجب 1447هـ", "21 Rajab 1447 AH"),
        (datetime(2025, 3, 30, 23, 59), "1 شوال 1446هـ", "1 Shawwal 1446 AH"),  # Eid al-Fitr 1446
    ],
)
def test_known_hijri_dates(day, arabic, english):
    assert hijri(day, "ar") == arabic
    assert hijri(day, "en") == english


def test_outside_the_tables_or_missing_is_empty():
    assert hijri(None, "ar") == ""
    assert hijri(date(1900, 1, 1), "en") == ""


# Amounts and counts: Babel's separators for the language, Latin digits in both, two decimals, ISO code after.
@pytest.mark.parametrize(
    ("lang", "value", "currency", "shown"),
    [
        ("en", "1234567.5", "SAR", "1,234,567.50 SAR"),
        ("ar", "1234567.5", "SAR", "1,234,567.50 SAR"),
        ("en", "0", None, "0.00"),
        ("ar", "25200", "USD", "25,200.00 USD"),
    ],
)
def test_money(lang, value, currency, shown):
    assert money(Decimal(value), currency, lang=lang) == shown


def test_money_and_number_of_nothing_are_empty():
    assert money(None) == ""
    assert number(None) == ""


def test_number_groups_thousands_with_latin_digits():
    assert number(1234567, "ar") == "1,234,567"
    assert number(328, "en") == "328"


def test_moments_are_shown_in_the_registers_time_zone():
    app = Flask(__name__)
    app.config["APP_TIMEZONE"] = "Asia/Riyadh"
    with app.app_context():
        assert when(datetime(2026, 12, 31, 22, 30)) == "2027-01-01 01:30"
    assert when(None) == ""
