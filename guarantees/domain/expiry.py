"""When a guarantee expires, and what that makes of it: the one definition every page, list, rule and alert uses.

A guarantee covers its holder through its expiry date, inclusive: it is *expired* from the next day on, in the
register's time zone (the caller passes `clock.today()`), until it is released. `expired` is not stored: it is
derived from the stored `status` and `expiry_date`, so it can never disagree with them. The SQL form of the same
rule is `repositories.expiry.expired()`, tested against `state()` on both databases.
"""

from datetime import date

ACTIVE, EXPIRED, RELEASED = "active", "expired", "released"
STATES = (ACTIVE, EXPIRED, RELEASED)
# Days before expiry at which staff are warned, most distant first (a setting may choose others).
DEFAULT_THRESHOLDS = (90, 60, 30, 7)
# The list's "expiring within" presets.
WITHIN_PRESETS = (7, 30, 60, 90)


def state(status: str | None, expiry_date: date | None, today: date) -> str:
    """active, expired or released."""
    if status == RELEASED:
        return RELEASED
    if expiry_date is not None and expiry_date < today:
        return EXPIRED
    return ACTIVE


def days_left(expiry_date: date | None, today: date) -> int | None:
    """Days until the expiry date (0 on the day itself, negative once expired); None without a date."""
    if expiry_date is None:
        return None
    return (expiry_date - today).days


def threshold(days: int | None, thresholds=DEFAULT_THRESHOLDS) -> int | None:
    """The smallest alert threshold `days` is within (7 for 5 days left), None when outside all or expired."""
    if days is None or days < 0:
        return None
    inside = [limit for limit in thresholds if days <= limit]
    return min(inside) if inside else None


def parse_thresholds(text: str) -> tuple[int, ...]:
    """'90, 60,30 7' → (90, 60, 30, 7): whole days from 1 to 3650, distinct, most distant first.

    Raises ValueError with the offending part when one is not such a number.
    """
    parts = [part for part in text.replace(",", " ").split() if part]
    values = set()
    for part in parts:
        if not part.isdigit() or not 1 <= int(part) <= 3650:
            raise ValueError(part)
        values.add(int(part))
    if not values:
        raise ValueError(text)
    return tuple(sorted(values, reverse=True))


def urgency(state_: str, days: int | None, thresholds=DEFAULT_THRESHOLDS) -> str:
    """How a page highlights a guarantee: 'expired', 'urgent' (within the nearest threshold), 'soon' (within the
    farthest) or '' (nothing to do yet, released, or no date)."""
    if state_ == EXPIRED:
        return EXPIRED
    if state_ != ACTIVE or days is None or days < 0 or not thresholds:
        return ""
    if days <= min(thresholds):
        return "urgent"
    if days <= max(thresholds):
        return "soon"
    return ""
