"""Aggregates for the dashboard: a handful of grouped queries, whatever the size of the register."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from guarantees.clock import today
from guarantees.extensions import db
from guarantees.models import Guarantee, GuaranteeAction, ImportBatch

EXPIRY_WINDOWS = (30, 60, 90)
CHART_MONTHS = 12


@dataclass
class StatusTotal:
    status: str
    count: int
    amounts: dict[str, Decimal]


def status_totals() -> list[StatusTotal]:
    """Number of guarantees and amounts per currency, by status (one grouped query)."""
    rows = db.session.execute(
        # count(*), not count(id): the (status, currency, amount) index then answers alone (index-only scan)
        sa.select(Guarantee.status, Guarantee.currency, sa.func.count(), sa.func.sum(Guarantee.amount))
        .group_by(Guarantee.status, Guarantee.currency)
        .order_by(Guarantee.status, Guarantee.currency)
    ).all()
    totals: dict[str, StatusTotal] = {}
    for status, currency, count, amount in rows:
        total = totals.setdefault(status, StatusTotal(status, 0, {}))
        total.count += count
        if amount is not None:
            total.amounts[currency or ""] = Decimal(str(amount)).quantize(Decimal("0.01"))
    return [totals[status] for status in sorted(totals, key=lambda s: (s != "active", s))]


def attention_counts() -> dict:
    """Active guarantees expiring within 30/60/90 days, already expired, and rows needing review (one query).

    Each figure is its own count subquery, so each is a range of an index ((status, expiry_date, id) or
    match_status) instead of one pass over the whole table.
    """
    start = today()
    active = Guarantee.status == "active"

    def count(*where):
        return sa.select(sa.func.count()).select_from(Guarantee).where(*where).scalar_subquery()

    row = db.session.execute(
        sa.select(
            *(count(active, Guarantee.expiry_date.between(start, start + timedelta(days=d))) for d in EXPIRY_WINDOWS),
            count(active, Guarantee.expiry_date < start),
            count(Guarantee.match_status == "needs_review"),
        )
    ).one()
    counts = [int(value or 0) for value in row]
    return {
        "expiring": dict(zip(EXPIRY_WINDOWS, counts[: len(EXPIRY_WINDOWS)], strict=True)),
        "expired": counts[len(EXPIRY_WINDOWS)],
        "needs_review": counts[len(EXPIRY_WINDOWS) + 1],
    }


def todays_batch() -> ImportBatch | None:
    """Today's manual batch, if any entry was made today."""
    return db.session.scalar(
        sa.select(ImportBatch).where(ImportBatch.batch_type == "manual_batch", ImportBatch.batch_date == today())
    )


def recent_actions(limit: int = 10) -> list[GuaranteeAction]:
    """The latest actions, newest first (one query; the guarantee comes joined)."""
    return list(
        db.session.scalars(
            sa.select(GuaranteeAction)
            .order_by(GuaranteeAction.created_at.desc(), GuaranteeAction.id.desc())
            .limit(limit)
        ).unique()
    )


def _month_start(day: date, months_ahead: int = 0) -> date:
    month = day.month - 1 + months_ahead
    return date(day.year + month // 12, month % 12 + 1, 1)


def expiry_by_month(months: int = CHART_MONTHS) -> list[dict]:
    """Active guarantees expiring in each of the next `months` calendar months, this one first (one query)."""
    first = _month_start(today())
    end = _month_start(first, months)
    year = sa.extract("year", Guarantee.expiry_date)
    month = sa.extract("month", Guarantee.expiry_date)
    rows = db.session.execute(
        sa.select(year, month, sa.func.count(Guarantee.id))
        .where(Guarantee.status == "active", Guarantee.expiry_date >= first, Guarantee.expiry_date < end)
        .group_by(year, month)
    ).all()
    found = {(int(y), int(m)): count for y, m, count in rows}
    result = []
    for offset in range(months):
        start = _month_start(first, offset)
        result.append(
            {
                "start": start,
                "end": _month_start(first, offset + 1) - timedelta(days=1),
                "count": found.get((start.year, start.month), 0),
            }
        )
    return result
