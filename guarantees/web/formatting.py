"""Dates and amounts formatted in one place, for pages, letters and exports."""

from datetime import date, datetime
from decimal import Decimal


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


def init_app(app) -> None:
    app.jinja_env.filters.update(money=money, day=day, when=when)
