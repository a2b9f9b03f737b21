"""Aggregates for the dashboard: a handful of grouped queries, whatever the size of the register."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from guarantees.clock import today
from guarantees.domain.expiry import ACTIVE, EXPIRED, STATES
from guarantees.extensions import db
from guarantees.models import Guarantee, GuaranteeAction, ImportBatch
from guarantees.repositories import expiry

EXPIRY_WINDOWS = (30, 60, 90)
CHART_MONTHS = 12


@dataclass
class StatusTotal:
    status: str
    count: int
    amounts: dict[str, Decimal]


def status_totals() -> list[StatusTotal]:
    """Number of guarantees and amounts per currency, by state: active, expired, released (two grouped queries).

    The stored status splits active from released; the expired are the active ones past their expiry, counted
    over the (status, expiry_date) range and taken out of the active totals."""
    rows = db.session.execute(
        # count(*), not count(id): the (status, currency, amount) index then answers alone (index-only scan)
        sa.select(Guarantee.status, Guarantee.currency, sa.func.count(), sa.func.sum(Guarantee.amount))
        .group_by(Guarantee.status, Guarantee.currency)
        .order_by(Guarantee.status, Guarantee.currency)
    ).all()
    lapsed = db.session.execute(
        sa.select(sa.literal(EXPIRED), Guarantee.currency, sa.func.count(), sa.func.sum(Guarantee.amount))
        .where(expiry.expired(today()))
        .group_by(Guarantee.currency)
    ).all()
    totals: dict[str, StatusTotal] = {}
    for status, currency, count, amount in [*rows, *lapsed]:
        total = totals.setdefault(status, StatusTotal(status, 0, {}))
        total.count += count
        if amount is not None:
            total.amounts[currency or ""] = _cents(amount) + total.amounts.get(currency or "", Decimal(0))
    if EXPIRED in totals:  # every expired guarantee is among the stored 'active' ones
        active, lapsed_total = totals[ACTIVE], totals[EXPIRED]
        active.count -= lapsed_total.count
        for currency, amount in lapsed_total.amounts.items():
            active.amounts[currency] -= amount
    return [totals[state] for state in STATES if state in totals and totals[state].count]


def _cents(amount) -> Decimal:
    return Decimal(str(amount)).quantize(Decimal("0.01"))


def attention_counts(to_extend_days: int | None = None) -> dict:
    """Active guarantees expiring within 30/60/90 days, already expired, and rows needing review (one query).

    Each figure is its own count subquery, so each is a range of an index ((status, expiry_date, id) or
    match_status) instead of one pass over the whole table.
    """
    start = today()

    def count(*where):
        return sa.select(sa.func.count()).select_from(Guarantee).where(*where).scalar_subquery()

    row = db.session.execute(
        sa.select(
            *(count(expiry.expiring_within(days, start)) for days in EXPIRY_WINDOWS),
            count(expiry.expired(start)),
            count(expiry.expiring_within(to_extend_days or 0, start), expiry.no_extension_prepared()),
            count(Guarantee.match_status == "needs_review"),
        )
    ).one()
    counts = [int(value or 0) for value in row]
    return {
        "expiring": dict(zip(EXPIRY_WINDOWS, counts[: len(EXPIRY_WINDOWS)], strict=True)),
        "expired": counts[len(EXPIRY_WINDOWS)],
        "to_extend": counts[len(EXPIRY_WINDOWS) + 1] if to_extend_days is not None else None,
        "needs_review": counts[len(EXPIRY_WINDOWS) + 2],
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


def to_extend(days: int, limit: int = 10) -> list[Guarantee]:
    """The first `limit` guarantees expiring within `days` (the first alert threshold) with no extension prepared
    yet, soonest first (attention_counts counts them all)."""
    condition = sa.and_(expiry.expiring_within(days, today()), expiry.no_extension_prepared())
    return _first(condition, limit)


def expired_not_released(limit: int = 10) -> list[Guarantee]:
    """The first `limit` guarantees expired and not released, the longest expired first."""
    return _first(expiry.expired(today()), limit)


def _first(condition, limit: int) -> list[Guarantee]:
    query = sa.select(Guarantee).where(condition).order_by(Guarantee.expiry_date, Guarantee.id).limit(limit)
    return list(db.session.scalars(query).unique())
