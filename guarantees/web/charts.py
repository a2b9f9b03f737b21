"""Bar charts drawn on the server: geometry here, SVG in templates/reports/_charts.html (no script, no library).

Right-to-left pages mirror the charts: bars grow from the right, months run from right to left. The SVG's own
direction is fixed (left to right), so that each text's anchor means the same side on every page.
"""

from dataclasses import dataclass

WIDTH = 720
LABEL_CHARS = 30
COLOURS = ("#0b5d7a", "#c7802a", "#7a3b8f", "#3d8b4f")


@dataclass(frozen=True)
class Bar:
    """One bar: what it says and where it is drawn."""

    label: str  # as shown (cut short when long)
    title: str  # the whole label and value, for the tooltip and the description
    value_text: str
    x: float
    y: float
    width: float
    label_x: float
    value_x: float


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def horizontal(items: list[tuple[str, float, str]], *, rtl: bool, row: int = 24, label_width: int = 230) -> dict:
    """Horizontal bars, one per (label, value, value as text), longest for the largest value."""
    value_width = 130
    plot = WIDTH - label_width - value_width
    peak = max((value for _, value, _ in items), default=0) or 1
    bars = []
    for index, (label, value, text) in enumerate(items):
        length = round(plot * max(value, 0) / peak, 1)
        y = index * row + 4
        if rtl:
            start = WIDTH - label_width
            bar_x, label_x, value_x = start - length, start + 6, start - length - 6
        else:
            bar_x, label_x, value_x = label_width, label_width - 6, label_width + length + 6
        bars.append(Bar(_short(label), f"{label}: {text}", text, round(bar_x, 1), y, length, label_x, value_x))
    return {
        "width": WIDTH,
        "height": max(len(items), 1) * row + 8,
        "row": row,
        "bar_height": row - 8,
        "bars": bars,
        "label_anchor": "start" if rtl else "end",
        "value_anchor": "end" if rtl else "start",
        "rtl": rtl,
    }


def columns(months: list[str], series: list[tuple[str, list[float]]], *, rtl: bool, height: int = 240) -> dict:
    """Stacked columns, one per month (label), one segment per series (name, a value per month)."""
    top, bottom, side = 20, 40, 12
    plot = height - top - bottom
    slot = (WIDTH - 2 * side) / max(len(months), 1)
    totals = [sum(values[index] for _, values in series) for index in range(len(months))]
    peak = max(totals, default=0) or 1
    drawn = []
    for index, month in enumerate(months):
        place = len(months) - 1 - index if rtl else index
        x = side + place * slot
        base = top + plot
        segments = []
        for number, (name, values) in enumerate(series):
            size = plot * max(values[index], 0) / peak
            base -= size
            segments.append(
                {"name": name, "value": values[index], "y": round(base, 1), "height": round(size, 1),
                 "colour": COLOURS[number % len(COLOURS)]}
            )  # fmt: skip
        drawn.append(
            {"label": month, "x": round(x + slot * 0.15, 1), "width": round(slot * 0.7, 1),
             "middle": round(x + slot / 2, 1), "total": totals[index], "top": round(base, 1), "segments": segments}
        )  # fmt: skip
    legend = [{"name": name, "colour": COLOURS[number % len(COLOURS)]} for number, (name, _) in enumerate(series)]
    return {"width": WIDTH, "height": height, "baseline": top + plot, "side": side, "columns": drawn,
            "legend": legend, "rtl": rtl}  # fmt: skip
