"""Dates and amounts formatted in one place, for pages, letters and exports."""

from datetime import date, datetime
from decimal import Decimal

from flask_babel import get_locale
from hijridate import Gregorian


def money(value: Decimal | None, currency: str | None = None) -> str:
    """1234.5 → '1,234.50' (with the currency when given)."""
    if value is None:
        return ""
    text = f"{Decimal(value):,.2f}"
    return f"{text} {currency}" if currency else text


def day(value: date | datetime | None) -> str:
    """A calendar day as YYYY-MM-DD, unambiguous in Arabic and English."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat()


def when(value: datetime | None) -> str:
    """A moment to the minute (stored in UTC)."""
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M")


def _language(lang: str | None) -> str:
    if lang:
        return lang
    locale = get_locale()
    return locale.language if locale else "en"


def hijri(value: date | datetime | None, lang: str | None = None) -> str:
    """The Umm al-Qura (Hijri) date of a Gregorian day: '1 رمضان 1446هـ' or '1 Ramadan 1446 AH' (the page's
    language unless `lang` says); empty outside the calendar's tables (1924-2077)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    try:
        found = Gregorian(value.year, value.month, value.day).to_hijri()
    except (OverflowError, ValueError):
        return ""
    if _language(lang) == "ar":
        return f"{found.day} {found.month_name('ar')} {found.year}هـ"
    return f"{found.day} {found.month_name('en')} {found.year} AH"


def init_app(app) -> None:
    app.jinja_env.filters.update(money=money, day=day, when=when, hijri=hijri)
