"""Legacy timestamps: one reading of the several ways the legacy system wrote `created_at`.

Every instant the register stores or compares is a naive datetime in UTC (`models.base.utcnow`). A legacy
time with an offset (PHP's `date('c')`: `2025-12-19T10:05:00+03:00`) is turned into UTC; one without an
offset is taken as written, as the legacy system stored it. The migration and the history both read
legacy times here, so a row sorts where it was migrated to.
"""

import re
from datetime import UTC, date, datetime

# Day-first and slash forms PHP pages wrote by hand: 19/12/2025, 19-12-2025, 2025/12/19 (time optional).
_DAY_FIRST = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_YEAR_SLASH = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
# What SQLite's date() reads: an ISO day, an optional time with fractions, an optional Z or offset.
_SQLITE_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:[zZ]|[+-]\d{2}:\d{2})?")


def parse_legacy_time(text: object) -> datetime | None:
    """A legacy timestamp (naive, `T`-separated, with offset, with fractions, date-only) as naive UTC; None
    when it is not a time."""
    if not isinstance(text, str) or not text.strip():
        return None
    text = text.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = _from_pattern(text)
        if value is None:
            return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def legacy_day(text: object) -> date | None:
    """The UTC calendar day of a legacy timestamp, as SQLite's date() reads it (None where date() gives NULL
    or the day does not exist): the day a manual or pasted session's batch belongs to."""
    if not isinstance(text, str) or not _SQLITE_ISO.fullmatch(text.strip()):
        return None
    value = parse_legacy_time(text)
    return value.date() if value else None


def _from_pattern(text: str) -> datetime | None:
    if m := _DAY_FIRST.fullmatch(text):
        year, month, day = int(m[3]), int(m[2]), int(m[1])
    elif m := _YEAR_SLASH.fullmatch(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    else:
        return None
    try:
        return datetime(year, month, day, int(m[4] or 0), int(m[5] or 0), int(m[6] or 0))
    except ValueError:
        return None
