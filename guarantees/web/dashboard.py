"""The dashboard: totals, what expires soon, what needs review, today's work, recent actions."""

from dataclasses import dataclass

from flask import Blueprint
from flask_babel import format_date

from guarantees.repositories import alerts
from guarantees.repositories import dashboard as repo
from guarantees.web import expiry
from guarantees.web.rendering import render

bp = Blueprint("dashboard", __name__)

CHART = {"width": 720, "height": 240, "top": 24, "bottom": 40, "side": 12}


def chart(months: list[dict]) -> dict:
    """Bar geometry for the expiry-by-month chart, drawn as SVG by the template (no script, no library)."""
    plot_height = CHART["height"] - CHART["top"] - CHART["bottom"]
    slot = (CHART["width"] - 2 * CHART["side"]) / max(1, len(months))
    peak = max((month["count"] for month in months), default=0) or 1
    bars = []
    for index, month in enumerate(months):
        height = round(plot_height * month["count"] / peak, 1)
        bars.append(
            {
                **month,
                "label": format_date(month["start"], "MMM yy"),
                "x": round(CHART["side"] + index * slot + slot * 0.15, 1),
                "width": round(slot * 0.7, 1),
                "y": round(CHART["top"] + plot_height - height, 1),
                "height": height,
                "middle": round(CHART["side"] + index * slot + slot / 2, 1),
            }
        )
    return {**CHART, "bars": bars, "baseline": CHART["height"] - CHART["bottom"]}


@bp.get("/")
def index():
    """Totals, expiries, the worklists and today's work at a glance."""
    first = expiry.first_threshold()
    attention = repo.attention_counts(first)
    return render(
        "dashboard/index.html",
        totals=repo.status_totals(),
        attention=attention,
        batch=repo.todays_batch(),
        recent=repo.recent_actions(),
        chart=chart(repo.expiry_by_month()),
        last_digest=alerts.last_run(),
        first_threshold=first,
        to_extend=Worklist(attention["to_extend"], repo.to_extend(first)) if first is not None else None,
        expired=Worklist(attention["expired"], repo.expired_not_released()),
    )


@dataclass(frozen=True)
class Worklist:
    """What needs doing: how many in all, and the most urgent first few."""

    count: int
    items: list
