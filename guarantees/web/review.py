"""The review queue: raw supplier and bank names the matcher could not settle, matched by a person."""

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from guarantees.matching import normalise_name
from guarantees.repositories import matching as repo
from guarantees.services import review as service
from guarantees.services.errors import DomainError
from guarantees.services.matching import ENTITIES
from guarantees.web.rendering import is_htmx, render, render_blocks, toast
from guarantees.web.security import editor_required, username

bp = Blueprint("review", __name__, url_prefix="/review")
SEARCH_FIELDS = ("chosen_id", "into")


def _entity(value: str | None) -> str:
    if value not in ENTITIES:
        abort(404)
    return value


@bp.get("")
def index():
    """Unmatched supplier names and unmatched bank names, most guarantees first, with the matcher's candidates."""
    return render("review/index.html", "queue", queue=repo.review_queue(), oob=False)


@bp.get("/search")
def search():
    """Picker options for what was typed (an htmx fragment): live dictionary entries, best first."""
    entity = _entity(request.args.get("entity"))
    field = request.args.get("field") if request.args.get("field") in SEARCH_FIELDS else "chosen_id"
    exclude = request.args.get("exclude", type=int)
    query = request.args.get("q", "")
    options = [choice for choice in repo.search(entity, query) if choice.id != exclude]
    return render_template("review/_options.html", options=options, query=query, field=field, entity=entity)


def _chosen_id() -> int:
    try:
        return int(request.form.get("chosen_id", ""))
    except ValueError:
        raise DomainError(_("Choose an entry from the candidates or the search.")) from None


@bp.post("/apply")
@editor_required
def apply():
    """Match every unmatched guarantee with this raw name to the chosen entry (and learn the name)."""
    entity = _entity(request.form.get("entity"))
    raw_name = request.form.get("raw_name", "")
    try:
        count = service.apply_choice(entity, raw_name, _chosen_id(), user=username())
    except DomainError as error:
        return _failed(entity, raw_name, error)
    if count:
        message = ngettext(
            "%(num)d guarantee matched to the chosen entry.", "%(num)d guarantees matched to the chosen entry.", count
        )
    else:
        message = _("Nothing left to match under this name: someone else matched it first.")
    if not is_htmx():
        flash(message, "success" if count else "error")
        return redirect(url_for("review.index"), 303)
    # The group leaves the queue; the counts at the top follow out of band.
    body = render_blocks("review/index.html", ["summary"], queue=repo.review_queue(candidates=False), oob=True)
    return toast(make_response(body), message, "success" if count else "info")


def _failed(entity: str, raw_name: str, error: DomainError):
    """The group again with the reason inline (htmx), or the queue with a flash."""
    if not is_htmx():
        flash(error.message, "error")
        return redirect(url_for("review.index"), 303)
    group = repo.review_group(entity, normalise_name(raw_name))
    if group is None:
        response = make_response("")
    else:
        index = request.form.get("index", "0")
        body = render_template("review/_group.html", group=group, index=index, error=error.message)
        response = make_response(body, 422)
    return toast(response, error.message, "error")
