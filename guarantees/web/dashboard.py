"""The dashboard."""

from flask import Blueprint

from guarantees.web.rendering import render

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def index():
    """Totals, expiries and today's work at a glance."""
    return render("dashboard/index.html")
