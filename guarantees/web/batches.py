"""Import batches: the list, one batch's rows, and actions started from a batch."""

from flask import Blueprint, abort, current_app, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.routing import BuildError

from guarantees.forms.batches import BatchActionsForm, BatchListForm, BatchRowsForm
from guarantees.repositories import batches as repo
from guarantees.repositories.batches import BATCH_TYPES
from guarantees.services import actions
from guarantees.services.errors import DomainError
from guarantees.web.rendering import is_htmx, render
from guarantees.web.security import editor_required, username

bp = Blueprint("batches", __name__, url_prefix="/batches")
ROWS_PER_PAGE = 100


@bp.app_template_global()
def guarantee_url(guarantee_id: int) -> str:
    """Link to a guarantee's page (its blueprint belongs to another area and may not be registered)."""
    if "guarantees.show" in current_app.view_functions:
        try:
            return url_for("guarantees.show", guarantee_id=guarantee_id)
        except BuildError:
            pass
    return f"/guarantees/{guarantee_id}"


@bp.app_template_global()
def url_with(**changes) -> str:
    """The current page's address with some query arguments changed (None drops one); pagers and filters use it."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **(request.view_args or {}), **args)


@bp.get("")
def index():
    """Every batch, newest first, filtered by type."""
    form = BatchListForm(request.args)
    batch_type, problems = form.value("type"), form.problems()
    page = repo.list_batches(batch_type=batch_type, page=form.value("page", 1))
    return render(
        "batches/index.html", "table", page=page, batch_type=batch_type, batch_types=BATCH_TYPES, problems=problems
    )


def _show(batch_id: int, *, error: str | None = None, selected: list[int] | None = None, status: int = 200):
    batch = repo.get_batch(batch_id)
    if batch is None:
        abort(404)
    form = BatchRowsForm(request.args)
    rows = repo.batch_rows(batch_id, page=form.value("page", 1), per_page=ROWS_PER_PAGE)
    return render(
        "batches/show.html",
        "rows",
        status=status,
        batch=batch,
        rows=rows,
        error=error,
        problems=form.problems(),
        selected=set(selected or []),
    )


@bp.get("/<id:batch_id>")
def show(batch_id: int):
    """One batch: its rows with the guarantees they touched and the changes they brought."""
    return _show(batch_id)


@bp.post("/<id:batch_id>/actions")
@editor_required
def start_actions(batch_id: int):
    """Prepare a session of drafts: extend all the batch's active guarantees, or extend/release the selected ones."""
    if repo.get_batch(batch_id) is None:
        abort(404)
    form = BatchActionsForm(request.form)
    selected, choice, action_type = form.selected, form.do.data, form.action_type
    if not form.validate():
        return _show(batch_id, error=form.first_error(), selected=selected, status=422)
    if choice == "extend_all":
        ids, left_out = repo.extendable_guarantee_ids(batch_id)
    else:
        ids, left_out = repo.guarantee_ids_in_batch(batch_id, selected), 0
    if not ids:
        message = _("No guarantee of this batch can be extended.") if choice == "extend_all" else None
        return _show(batch_id, error=message or _("Select at least one guarantee."), selected=selected, status=422)
    try:
        session = actions.start_session(ids, action_type, user=username())
    except DomainError as error:
        return _show(batch_id, error=error.message, selected=selected, status=422)
    prepared = len(ids) - len(session.skipped)
    message = ngettext(
        "%(num)d draft action prepared. Check it, then issue it.",
        "%(num)d draft actions prepared. Check them, then issue them.",
        prepared,
    )
    skipped = actions.skipped_message(session.skipped)
    if skipped:
        message += " " + skipped
    if left_out:
        message += " " + ngettext(
            "%(num)d guarantee was left out: released or without an expiry date.",
            "%(num)d guarantees were left out: released or without an expiry date.",
            left_out,
        )
    flash(message, "success")
    return see_other(url_for("actions.show", session_id=session.id))


def see_other(target: str):
    """After a successful write: 303 to `target`; an htmx request is told to load it as a whole page."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)
