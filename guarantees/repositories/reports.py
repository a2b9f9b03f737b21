"""The reports (phase 5), read from the views of migration 0019: what the register holds, by bank, supplier, type
and expiry month, and what was done, by month and user. Amounts are per currency: never summed across currencies.

The views keep the grain the filters need (bank, supplier, day); the queries here apply the filters and the
register's day (a guarantee past its expiry is not active: repositories.expiry), and add up.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from guarantees.clock import today
from guarantees.domain import expiry as states
from guarantees.domain.guarantee_types import TYPE_CODES
from guarantees.extensions import db
from guarantees.models.base import Money
from guarantees.repositories import expiry

WINDOW_MONTHS = 24
# What the activity counts: issued extensions, reductions and releases not voided, and the issued voids (a voided
# action is no extension, reduction or release done; its void is counted on its own day, by who prepared it).
ACTION_KINDS = ("extension", "reduction", "release", "void")
_views = sa.MetaData()  # the views are no models: apart from the tables' metadata (and the schema comparison)


def _view(name: str, *columns: sa.Column) -> sa.Table:
    return sa.Table(name, _views, *columns)


def _sum_columns() -> tuple[sa.Column, sa.Column]:
    return sa.Column("guarantee_count", sa.Integer), sa.Column("total_amount", Money)


def _names() -> tuple[sa.Column, ...]:
    return (
        sa.Column("bank_id", sa.Integer),
        sa.Column("bank_name", sa.Text),
        sa.Column("supplier_id", sa.Integer),
        sa.Column("supplier_name", sa.Text),
    )


EXPOSURE = _view(
    "report_exposure",
    *_names(),
    sa.Column("type_code", sa.String(20)),
    sa.Column("currency", sa.String(3)),
    sa.Column("status", sa.String(10)),
    sa.Column("expiry_date", sa.Date),
    *_sum_columns(),
)
EXPOSURE_MONTHS = _view(
    "report_exposure_months",
    sa.Column("expiry_month", sa.String(7)),
    *_names(),
    sa.Column("currency", sa.String(3)),
    sa.Column("status", sa.String(10)),
    sa.Column("expiry_date", sa.Date),
    *_sum_columns(),
)
ACTION_ACTIVITY = _view(
    "report_action_activity",
    sa.Column("activity_date", sa.Date),
    sa.Column("activity_month", sa.String(7)),
    sa.Column("user_name", sa.String(80)),
    sa.Column("action_type", sa.String(20)),
    *_names(),
    sa.Column("action_count", sa.Integer),
)
IMPORT_ACTIVITY = _view(
    "report_import_activity",
    sa.Column("batch_id", sa.Integer),
    sa.Column("batch_type", sa.String(20)),
    sa.Column("activity_date", sa.Date),
    sa.Column("activity_month", sa.String(7)),
    sa.Column("user_name", sa.String(80)),
    sa.Column("row_count", sa.Integer),
)


@dataclass(frozen=True)
class ReportFilters:
    """What the reports are narrowed to (built from the page's URL by forms.reports.ReportFilterForm).

    The date range is of expiry dates for the exposure, of action and batch days for the activity; bank and
    supplier are parts of the name shown (any case)."""

    date_from: date | None = None
    date_to: date | None = None
    bank: str = ""
    supplier: str = ""

    def query(self) -> dict:
        """The URL parameters of these filters (blank ones left out)."""
        values = {
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "bank": self.bank,
            "supplier": self.supplier,
        }
        return {key: value for key, value in values.items() if value}


@dataclass
class Total:
    """One line of an exposure report: a key (bank, supplier, type or month), a currency, a count and a sum."""

    key: str
    label: str
    currency: str
    count: int
    amount: Decimal


@dataclass
class Activity:
    """One month and user: issued actions by kind (voided ones left out, voids counted), batches and rows."""

    month: date
    user: str
    actions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTION_KINDS, 0))
    batches: int = 0
    rows: int = 0


def _contains(column, text: str):
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def _names_match(view: sa.Table, filters: ReportFilters) -> list:
    conditions = []
    if filters.bank:
        conditions.append(_contains(view.c.bank_name, filters.bank))
    if filters.supplier:
        conditions.append(_contains(view.c.supplier_name, filters.supplier))
    return conditions


def _active(view: sa.Table, filters: ReportFilters, day: date) -> list:
    """Active on the register's day (not released, not past expiry), in the range of expiry dates and names."""
    conditions = [expiry.in_state(states.ACTIVE, day, view.c), *_names_match(view, filters)]
    if filters.date_from:
        conditions.append(view.c.expiry_date >= filters.date_from)
    if filters.date_to:
        conditions.append(view.c.expiry_date <= filters.date_to)
    return conditions


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _totals(key_columns: tuple, label_column, filters: ReportFilters) -> list[Total]:
    view = EXPOSURE
    total = sa.func.sum(view.c.total_amount).label("amount")
    rows = db.session.execute(
        sa.select(*key_columns, label_column, view.c.currency, sa.func.sum(view.c.guarantee_count), total)
        .where(*_active(view, filters, today()))
        .group_by(*key_columns, label_column, view.c.currency)
    ).all()
    found = [
        Total(key="|".join("" if part is None else str(part) for part in row[: len(key_columns)]), label=row[-4] or "",
              currency=row[-3] or "", count=int(row[-2] or 0), amount=_money(row[-1]))
        for row in rows
    ]  # fmt: skip
    return sorted(found, key=lambda line: (line.currency, -line.amount, line.label, line.key))


def exposure_by_bank(filters: ReportFilters) -> list[Total]:
    """Active guarantees by bank (dictionary entry, or name as written when unmatched) and currency, largest first."""
    return _totals((EXPOSURE.c.bank_id,), EXPOSURE.c.bank_name, filters)


def exposure_by_supplier(filters: ReportFilters) -> list[Total]:
    """Active guarantees by supplier and currency, largest first."""
    return _totals((EXPOSURE.c.supplier_id,), EXPOSURE.c.supplier_name, filters)


def exposure_by_type(filters: ReportFilters) -> list[Total]:
    """Active guarantees by standard type and currency, in the list's order of types."""
    found = _totals((), EXPOSURE.c.type_code, filters)
    for line in found:
        line.key = line.label
    return sorted(found, key=lambda line: (line.currency, TYPE_CODES.index(line.key), line.key))


def month_start(day: date, months_ahead: int = 0) -> date:
    """The first day of the month `months_ahead` months after `day`'s."""
    month = day.month - 1 + months_ahead
    return date(day.year + month // 12, month % 12 + 1, 1)


def expiry_months(filters: ReportFilters) -> list[date]:
    """The months the expiry report covers: from this month for WINDOW_MONTHS months, within the date range."""
    first = month_start(today())
    months = [month_start(first, offset) for offset in range(WINDOW_MONTHS)]
    return [
        month
        for month in months
        if (filters.date_from is None or month_start(month, 1) > filters.date_from)
        and (filters.date_to is None or month <= filters.date_to)
    ]


def exposure_by_month(filters: ReportFilters) -> list[Total]:
    """Active guarantees by expiry month and currency over the next WINDOW_MONTHS months (this one first); each
    month of the window is listed, with zero where nothing expires."""
    view = EXPOSURE_MONTHS
    day = today()
    end = month_start(day, WINDOW_MONTHS)
    rows = db.session.execute(
        sa.select(view.c.expiry_month, view.c.currency, sa.func.sum(view.c.guarantee_count),
                  sa.func.sum(view.c.total_amount))
        .where(*_active(view, filters, day), view.c.expiry_date < end)
        .group_by(view.c.expiry_month, view.c.currency)
    ).all()  # fmt: skip
    found = {(month, currency or ""): (int(count or 0), _money(amount)) for month, currency, count, amount in rows}
    currencies = sorted({currency for _, currency in found}) or ["SAR"]
    lines = []
    for currency in currencies:
        for month in expiry_months(filters):
            key = month.strftime("%Y-%m")
            count, amount = found.get((key, currency), (0, Decimal("0.00")))
            lines.append(Total(key=key, label=key, currency=currency, count=count, amount=amount))
    return lines


def _dated(view: sa.Table, filters: ReportFilters) -> list:
    conditions = []
    if filters.date_from:
        conditions.append(view.c.activity_date >= filters.date_from)
    if filters.date_to:
        conditions.append(view.c.activity_date <= filters.date_to)
    return conditions


def activity(filters: ReportFilters) -> list[Activity]:
    """Issued extensions, reductions and releases not voided, and issued voids (the user who prepared them; bank
    and supplier as the letter named them) and the rows each user wrote into batches (not narrowed by bank or
    supplier: a batch holds many), by month and user, newest month first."""
    actions = ACTION_ACTIVITY
    imports = IMPORT_ACTIVITY
    lines: dict[tuple[str, str], Activity] = {}

    def line(month: str, user: str) -> Activity:
        key = (month, user or "")
        if key not in lines:
            lines[key] = Activity(month=date.fromisoformat(f"{month}-01"), user=user or "")
        return lines[key]

    for month, user, kind, count in db.session.execute(
        sa.select(actions.c.activity_month, actions.c.user_name, actions.c.action_type,
                  sa.func.sum(actions.c.action_count))
        .where(*_dated(actions, filters), *_names_match(actions, filters))
        .group_by(actions.c.activity_month, actions.c.user_name, actions.c.action_type)
    ):  # fmt: skip
        if month:
            line(month, user).actions[kind] += int(count or 0)
    for month, user, batches, rows in db.session.execute(
        sa.select(imports.c.activity_month, imports.c.user_name, sa.func.count(), sa.func.sum(imports.c.row_count))
        .where(*_dated(imports, filters))
        .group_by(imports.c.activity_month, imports.c.user_name)
    ):
        if month:
            found = line(month, user)
            found.batches, found.rows = int(batches or 0), int(rows or 0)
    return sorted(lines.values(), key=lambda item: (-item.month.toordinal(), item.user))


def activity_by_month(lines: list[Activity]) -> list[Activity]:
    """The activity lines added up per month (every user), oldest month first: what the chart draws."""
    months: dict[date, Activity] = defaultdict(lambda: Activity(month=date.min, user=""))
    for item in lines:
        total = months[item.month]
        total.month = item.month
        for kind, count in item.actions.items():
            total.actions[kind] += count
        total.batches += item.batches
        total.rows += item.rows
    return [months[month] for month in sorted(months)]
