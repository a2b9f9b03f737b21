"""Notes on a guarantee, an import batch or an action session: the thread on each page, added inline (htmx)."""

from flask import Blueprint, abort, flash, redirect, request, url_for

from guarantees.domain.notes import NOTE_MAX
from guarantees.forms.notes import TARGETS, NoteForm
from guarantees.repositories import notes as repo
from guarantees.services import notes as service
from guarantees.services.errors import DomainError, NotFound
from guarantees.web.rendering import is_htmx, render
from guarantees.web.security import editor_required, username

bp = Blueprint("notes", __name__, url_prefix="/notes")
PAGES = {"guarantee": "guarantees.show", "batch": "batches.show", "session": "actions.show"}
PAGE_ARGUMENT = {"guarantee": "guarantee_id", "batch": "batch_id", "session": "session_id"}


@bp.app_template_global()
def notes_thread(target: str, target_id: int) -> list:
    """The notes of a guarantee, batch or action session, oldest first (the pages include notes/_section.html)."""
    return repo.thread(target, target_id)


@bp.app_context_processor
def _note_limit() -> dict:
    return {"note_max": NOTE_MAX}


def _page(target: str, target_id: int) -> str:
    return url_for(PAGES[target], **{PAGE_ARGUMENT[target]: target_id}) + "#notes"


@bp.post("/<any(guarantee, batch, session):target>/<id:target_id>")
@editor_required
def add(target: str, target_id: int):
    """Add a note; htmx gets the thread again (with the new note, or the form's error), a browser its page."""
    if target not in TARGETS:
        abort(404)
    form = NoteForm(request.form)
    error, status = None, 200
    try:
        form.check()
        service.add(body=form.body.data, user=username(), **{f"{target}_id": target_id})
    except NotFound:
        abort(404)
    except DomainError as refused:
        error, status = refused.message, 422
    if not is_htmx():
        if error:
            flash(error, "error")
        return redirect(_page(target, target_id), 303)
    return render(
        "notes/_section.html",
        status=status,
        note_target=target,
        note_target_id=target_id,
        note_error=error,
        note_value=form.body.data if error else "",
    )
