"""The security audit log (admins only): sign-ins, sessions, account changes and exports, newest first."""

from datetime import datetime, time, timedelta

from flask import Blueprint, abort, request
from flask_login import current_user

from guarantees import clock
from guarantees.domain.security import EVENT_KINDS, end_reason_label, event_label, export_source_label, failure_label
from guarantees.forms.audit import AuditQueryForm
from guarantees.repositories import audit as repo
from guarantees.web.rendering import render

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
PER_PAGE = 50


@bp.before_request
def _admins_only():
    """The log is for admins (sign-in itself is checked before this, app-wide)."""
    if not current_user.is_authenticated or not current_user.can("admin"):
        abort(403)


def _start_of(day) -> datetime:
    """The first instant of a calendar day in the register's time zone, as naive UTC (how `at` is stored)."""
    midnight = datetime.combine(day, time.min)
    offset = clock.local_time(midnight).utcoffset() or timedelta(0)
    return midnight - offset


@bp.get("")
def index():
    """One page of the log, filtered by kind, user (the account concerned or who acted) and days."""
    form = AuditQueryForm(request.args)
    since, until = form.day("since"), form.day("until")
    page = repo.events(
        kind=form.value("kind"),
        user=form.value("user"),
        since=_start_of(since) if since else None,
        before=_start_of(until + timedelta(days=1)) if until else None,
        page=form.value("page", 1),
        per_page=PER_PAGE,
    )
    return render(
        "audit/index.html",
        "table",
        page=page,
        form=form,
        problems=form.problems(),
        kinds=[(kind, event_label(kind)) for kind in EVENT_KINDS],
        event_label=event_label,
        end_reason_label=end_reason_label,
        failure_label=failure_label,
        export_source_label=export_source_label,
    )
