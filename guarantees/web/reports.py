"""Reports: how much the register holds from each bank and supplier, of each type, what expires when, and what
was done by whom; each as a table, a chart and an .xlsx, narrowed by the page's filters. Every role reads them."""

from datetime import date
from io import BytesIO

from flask import Blueprint, g, request, send_file
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from guarantees.clock import today
from guarantees.domain.guarantee_types import type_label
from guarantees.forms.reports import TABLES, report_filters
from guarantees.repositories import reports as repo
from guarantees.services import audit, reports_export
from guarantees.web import charts
from guarantees.web.formatting import money, number
from guarantees.web.rendering import render
from guarantees.web.security import username

bp = Blueprint("reports", __name__, url_prefix="/reports")

CHART_LINES = 15  # bars per chart of banks or suppliers (the table lists them all)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACTION_SERIES = {
    "extension": _l("Extensions"), "reduction": _l("Reductions"), "release": _l("Releases"), "void": _l("Voids"),
}  # fmt: skip


READERS = {
    "bank": repo.exposure_by_bank,
    "supplier": repo.exposure_by_supplier,
    "type": repo.exposure_by_type,
    "month": repo.exposure_by_month,
    "activity": repo.activity,
}  # one per table of the page (forms.reports.TABLES)


def _label(table: str, line: repo.Total) -> str:
    if table == "type":
        return type_label(line.key)
    if table == "month":
        return format_date(_month(line.key), "MMM yyyy")
    return line.label or "—"


def _month(key: str) -> date:
    return date.fromisoformat(f"{key}-01")


def _by_currency(lines: list[repo.Total]) -> dict[str, list[repo.Total]]:
    found: dict[str, list[repo.Total]] = {}
    for line in lines:
        found.setdefault(line.currency, []).append(line)
    return found


def _exposure_charts(table: str, lines: list[repo.Total], rtl: bool) -> list[dict]:
    """One chart per currency (amounts of two currencies are never drawn on one scale)."""
    drawn = []
    for currency, part in _by_currency(lines).items():
        if table == "month":
            months = [format_date(_month(line.key), "MMM yy") for line in part]
            chart = charts.columns(months, [(currency, [float(line.amount) for line in part])], rtl=rtl)
            for column, line in zip(chart["columns"], part, strict=True):
                column["title"] = f"{_label(table, line)}: {number(line.count)} · {money(line.amount, currency)}"
        else:
            shown = part if table == "type" else part[:CHART_LINES]
            items = [(_label(table, line), float(line.amount), money(line.amount, currency)) for line in shown]
            chart = charts.horizontal(items, rtl=rtl)
            chart["cut"] = len(part) - len(shown)
        drawn.append({"currency": currency, **chart})
    return drawn


def _activity_charts(lines: list[repo.Activity], rtl: bool) -> dict:
    months = repo.activity_by_month(lines)
    labels = [format_date(item.month, "MMM yy") for item in months]
    series = [(str(name), [item.actions[kind] for item in months]) for kind, name in ACTION_SERIES.items()]
    actions = charts.columns(labels, series, rtl=rtl)
    rows = charts.columns(labels, [(str(_l("Rows")), [item.rows for item in months])], rtl=rtl)
    for chart in (actions, rows):
        for column, label in zip(chart["columns"], labels, strict=True):
            column["title"] = f"{label}: {number(column['total'])}"
    return {"actions": actions, "rows": rows}


@bp.get("")
def index():
    """Every report on one page, narrowed by ?from=&to=&bank=&supplier=."""
    filters, problems = report_filters(request.args)
    tables = {table: READERS[table](filters) for table in TABLES}
    rtl = g.get("dir") == "rtl"
    chart_sets = {table: _exposure_charts(table, tables[table], rtl) for table in ("bank", "supplier", "type", "month")}
    return render(
        "reports/index.html",
        filters=filters,
        problems=problems,
        tables=tables,
        charts=chart_sets,
        activity_charts=_activity_charts(tables["activity"], rtl),
        row_label=_label,
        day=today(),
        window=repo.WINDOW_MONTHS,
    )


@bp.get(f"/<any({', '.join(TABLES)}):table>.xlsx")
def export(table: str):
    """One table of the page as an .xlsx, with the same filters."""
    filters, _problems = report_filters(request.args)
    rows = READERS[table](filters)
    data = reports_export.workbook(table, rows)
    asked = {"table": table, **{name: value for name, value in request.args.items() if name != "csrf_token"}}
    audit.export(user=username(), rows=len(rows), filters=asked, source="report")
    return send_file(
        BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=f"report-{table}-{today().isoformat()}.xlsx"
    )
