"""The review queue: raw supplier and bank names the matcher could not settle, matched by a person."""

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from guarantees.forms.review import ApplyForm, SearchForm
from guarantees.repositories import matching as repo
from guarantees.services import review as service
from guarantees.services.errors import DomainError, ValidationFailed
from guarantees.web.rendering import is_htmx, render, render_blocks, toast
from guarantees.web.security import editor_required, username

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.get("")
def index():
    """Unmatched supplier names and unmatched bank names, most guarantees first, with the matcher's candidates."""
    return render("review/index.html", "queue", queue=repo.review_queue(), oob=False)


@bp.get("/search")
def search():
    """Picker options for what was typed (an htmx fragment): live dictionary entries, best first."""
    form = SearchForm(request.args)
    form.validate()
    if form.entity.errors:
        abort(404)
    entity = form.entity.data
    options = [choice for choice in repo.search(entity, form.query) if choice.id != form.excluded]
    context = {"options": options, "query": form.query, "field": form.target, "entity": entity}
    return render_template("review/_options.html", **context)


@bp.post("/apply")
@editor_required
def apply():
    """Match every unmatched guarantee with this raw name to the chosen entry (and learn the name)."""
    form = ApplyForm(request.form)
    try:
        if not form.validate():
            raise ValidationFailed(form.first_error())
        count = service.apply_choice(form.entity.data, form.raw_name.data, form.chosen_id.data, user=username())
    except DomainError as error:
        return _failed(form, error)
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


def _failed(form: ApplyForm, error: DomainError):
    """The group again with the reason inline (htmx), or the queue with a flash."""
    if not is_htmx():
        flash(error.message, "error")
        return redirect(url_for("review.index"), 303)
    group = None
    if not form.entity.errors and not form.raw_name.errors:
        group = repo.review_group(form.entity.data, form.raw_name.data)
    if group is None:
        response = make_response("")  # nothing left under this name: the group leaves the page
    else:
        body = render_template("review/_group.html", group=group, index=form.index.data, error=error.message)
        response = make_response(body, 422)
    return toast(response, error.message, "error")
