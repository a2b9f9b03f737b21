"""Numbers, amounts and dates formatted in one place, by Babel for the page's language, for pages and letters.

Digits are Latin (0-9) in both languages, as Saudi finance documents and bank references write them, so a page
never mixes two digit conventions; Babel gives each language its own separators and signs.
"""

from datetime import date, datetime
from decimal import Decimal

from babel.numbers import format_decimal
from flask_babel import get_locale
from hijridate import Gregorian

from guarantees import clock

MONEY_PATTERN = "#,##0.00"


def _locale(lang: str | None = None) -> str:
    if lang:
        return lang
    locale = get_locale()
    return str(locale) if locale else "en"


def number(value: int | Decimal | None, lang: str | None = None) -> str:
    """A count with the language's grouping: 12345 → '12,345'."""
    if value is None:
        return ""
    return format_decimal(value, format="#,##0", locale=_locale(lang), numbering_system="latn")


def money(value: Decimal | None, currency: str | None = None, lang: str | None = None) -> str:
    """1234.5 → '1,234.50', two decimals always, followed by the ISO currency code when given ('1,234.50 SAR')."""
    if value is None:
        return ""
    text = format_decimal(Decimal(value), format=MONEY_PATTERN, locale=_locale(lang), numbering_system="latn")
    return f"{text} {currency}" if currency else text


def day(value: date | datetime | None) -> str:
    """A calendar day as YYYY-MM-DD, unambiguous in Arabic and English."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat()


def when(value: datetime | None) -> str:
    """A moment to the minute, in the register's time zone (stored as naive UTC)."""
    if value is None:
        return ""
    return clock.local_time(value).strftime("%Y-%m-%d %H:%M")


def _language(lang: str | None) -> str:
    return _locale(lang).split("_")[0]


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
    app.jinja_env.filters.update(number=number, money=money, day=day, when=when, hijri=hijri)
