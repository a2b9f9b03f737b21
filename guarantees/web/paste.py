"""Paste entry: rows copied from Excel or an e-mail, pasted on today's page, previewed and confirmed as an import.

The box posts here; the rows are kept like an upload and the browser goes to the import preview page
(web/imports.py), where the mapping is corrected, the rows checked and the import confirmed into the day's
text_paste batch. A paste that cannot be read shows its reason in the box, the text kept.
"""

from flask import Blueprint, redirect, url_for
from flask_babel import get_locale

from guarantees.forms.paste import PasteForm
from guarantees.services import paste as service
from guarantees.services.errors import DomainError
from guarantees.web import entry
from guarantees.web.batches import see_other
from guarantees.web.rendering import is_htmx, render
from guarantees.web.security import editor_required, username

bp = Blueprint("paste", __name__)


def _box(text: str, error: str):
    """The box again with the reason (htmx: the box alone), nothing kept."""
    context = entry._context(paste_text=text if len(text) <= service.MAX_TEXT_BYTES else "", paste_error=error)
    if is_htmx():
        return render("entry/_paste.html", "paste", status=422, **context)
    return render("entry/today.html", status=422, **context)


@bp.get("/batches/today/paste")
def show():
    """The box lives on today's page."""
    return redirect(url_for("entry.today"))


@bp.post("/batches/today/paste")
@editor_required
def preview():
    """Read the pasted rows and keep them for the import preview (its page next), or say why they cannot be read."""
    form = PasteForm()
    text = form.rows.data or ""
    if not form.validate_on_submit():
        return _box(text, form.first_error())
    locale = get_locale()
    try:
        kept, job = service.receive(text, user=username(), locale=str(locale) if locale else None)
    except DomainError as error:
        return _box(text, error.message)
    if job is not None:
        return see_other(url_for("imports.job", job_id=job.id))
    return see_other(url_for("imports.show", token=kept.token))
