"""Today and now in the register's time zone (APP_TIMEZONE, default the server's own)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context


def _zone() -> ZoneInfo | None:
    name = current_app.config.get("APP_TIMEZONE") if has_app_context() else None
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise RuntimeError(f"APP_TIMEZONE {name!r} is not a known time zone") from error


def today() -> date:
    """The register's calendar day: the day a manual batch belongs to, and the day expiry is judged on.

    TODAY (a date) fixes it for a test suite; config.py does not read it from the environment, so no deployment
    can set it."""
    fixed = current_app.config.get("TODAY") if has_app_context() else None
    if fixed is not None:
        return fixed
    zone = _zone()
    return datetime.now(zone).date() if zone else date.today()


def local_time(instant: datetime) -> datetime:
    """An instant stored as naive UTC (every `*_at` column) in the register's time zone."""
    return instant.replace(tzinfo=UTC).astimezone(_zone())


def local_day(instant: datetime) -> date:
    """The calendar day, in the register's time zone, of an instant stored as naive UTC."""
    return local_time(instant).date()


def add_years(day: date, years: int = 1) -> date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
