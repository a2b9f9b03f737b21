"""Manual entry: one guarantee at a time into today's batch, which fills up beside the form."""

from flask import Blueprint, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from guarantees.clock import today as register_today
from guarantees.forms.entry import BLANK, EntryForm
from guarantees.repositories import guarantees as repo
from guarantees.services import guarantees as service
from guarantees.services import paste
from guarantees.services.errors import DomainError, DuplicateNumber
from guarantees.web.rendering import is_htmx, render, render_blocks, toast
from guarantees.web.security import editor_required, username

bp = Blueprint("entry", __name__)

ENTRIES_SHOWN = 50


def _context(**extra) -> dict:
    batch = repo.todays_manual_batch()
    return {
        "day": register_today(),
        "batch": batch,
        # the newest entries only: a busy day's batch grows by hundreds, and the batch page lists them all
        "entries": repo.batch_entries(batch.id, limit=ENTRIES_SHOWN) if batch else [],
        "entries_shown": ENTRIES_SHOWN,
        "can_edit": current_user.can("editor"),
        "values": BLANK,
        "errors": {},
        "duplicate_id": None,
        "paste_batch": paste.todays_batch(),  # the paste box's (entry/_paste.html)
        "paste_text": "",
        "paste_error": None,
        **extra,
    }


@bp.get("/batches/today")
def today():
    """The entry form beside today's manual batch."""
    return render("entry/today.html", **_context())


@bp.post("/batches/today")
@editor_required
def create():
    """Enter one guarantee: htmx gets a fresh form, the batch out of band and a toast; a plain POST a 303."""
    form = EntryForm(request.form)
    data = form.entry()
    try:
        form.check()
        guarantee = service.create(data, user=username())
    except DomainError as error:
        duplicate = error.guarantee_id if isinstance(error, DuplicateNumber) else None
        errors = form.errors_by_field() or {error.field or "form": error.message}
        context = _context(values=data, errors=errors, duplicate_id=duplicate)
        response = render("entry/today.html", "entry_form", status=422, **context)
        return toast(response, error.message, "error") if is_htmx() else response
    message = _("Guarantee %(number)s added to today's batch.", number=guarantee.guarantee_number)
    if not is_htmx():
        flash(message, "success")
        return redirect(url_for("entry.today"), 303)
    body = render_blocks("entry/today.html", ["entry_form", "batch"], oob=True, saved=guarantee, **_context())
    return toast(make_response(body), message)
