"""A guarantee's expiry as the pages show it: its state, its days left and how urgent it is, on the register's day,
highlighted at the alert thresholds an admin set (the rule itself is domain.expiry)."""

from dataclasses import dataclass

from flask import g

from guarantees.clock import today
from guarantees.domain import expiry
from guarantees.services import settings


@dataclass(frozen=True)
class ExpiryView:
    state: str
    days: int | None
    urgency: str


def thresholds() -> tuple[int, ...]:
    """The alert thresholds, read once per request."""
    if "alert_thresholds" not in g:
        g.alert_thresholds = settings.alert_settings().thresholds
    return g.alert_thresholds


def expiry_of(guarantee) -> ExpiryView:
    """Anything with `status` and `expiry_date`: a guarantee, a list row, or an import row's columns (a dict, in
    which a new guarantee has no status yet: active)."""
    if isinstance(guarantee, dict):
        status, expiry_date = guarantee.get("status") or expiry.ACTIVE, guarantee.get("expiry_date")
    else:
        status, expiry_date = guarantee.status, guarantee.expiry_date
    day = today()
    state = expiry.state(status, expiry_date, day)
    days = expiry.days_left(expiry_date, day)
    return ExpiryView(state, days, expiry.urgency(state, days, thresholds()))


def init_app(app) -> None:
    app.jinja_env.globals.update(expiry_of=expiry_of, expiry_states=expiry.STATES, within_presets=expiry.WITHIN_PRESETS)


def first_threshold() -> int | None:
    """The first threshold a guarantee reaches on its way to expiry (the farthest: 90 of 90/60/30/7)."""
    return max(thresholds(), default=None)


def preview_counts(weighted_rows) -> dict[str, int]:
    """An import preview's rows that would be written already expired, or inside the first threshold, from
    (row, how many rows it stands for) pairs (the preview's distinct outcomes, statuses and expiry dates)."""
    counts = {"expired": 0, "soon": 0}
    first = first_threshold()
    for row, weight in weighted_rows:
        if row.outcome == "error" or row.after is None:
            continue
        found = expiry_of(row.after)
        if found.state == expiry.EXPIRED:
            counts["expired"] += weight
        elif found.state == expiry.ACTIVE and found.days is not None and first is not None and 0 <= found.days <= first:
            counts["soon"] += weight
    return counts
