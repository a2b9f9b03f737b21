"""Dates in one place: the Hijri (Umm al-Qura) date beside the Gregorian one."""

from datetime import date, datetime

import pytest

from guarantees.web.formatting import hijri


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
