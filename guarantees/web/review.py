"""The review queue: raw supplier and bank names the matcher could not settle, matched by a person, one name at a
time or many at once after a preview; an entry added to a dictionary from here when nothing fits."""

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from guarantees.forms.review import (
    AddEntryForm,
    ApplyForm,
    BulkApplyForm,
    ReviewQueryForm,
    SearchForm,
    SelectionForm,
    ThresholdForm,
)
from guarantees.forms.settings import DictionaryAddsForm
from guarantees.repositories import matching as repo
from guarantees.repositories import review_groups as groups
from guarantees.services import review as service
from guarantees.services import settings as settings_service
from guarantees.services.errors import Conflict, DomainError, ValidationFailed
from guarantees.web.rendering import is_htmx, render, render_blocks, toast
from guarantees.web.security import admin_required, editor_required, username

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.app_template_global()
def may_add_entries() -> bool:
    """Whether the signed-in user may add a dictionary entry from the review page (the link and form are shown)."""
    return current_user.is_authenticated and settings_service.may_add_entries(current_user)


@bp.app_template_global()
def dictionary_adds_form() -> DictionaryAddsForm:
    """The settings page's form for who adds dictionary entries, filled with the setting as it is."""
    return DictionaryAddsForm(formdata=None, admins_only=settings_service.dictionary_adds_admins_only())


def _filters(source=None) -> dict:
    """The page's filters (kind, band, page) from the query string or a posted form; bad values dropped."""
    query = ReviewQueryForm(source if source is not None else request.args)
    return {"kind": query.value("kind"), "band": query.value("band"), "page": query.value("page", 1)}


def _page(filters: dict, *, status: int = 200, block: str | None = "queue", **context):
    queue = groups.group_page(filters["kind"], filters["band"], filters["page"])
    return render(
        "review/index.html",
        block,
        status=status,
        queue=queue,
        filters={name: value for name, value in filters.items() if value and name != "page"},
        threshold_form=context.pop("threshold_form", None) or ThresholdForm(formdata=None, kind=filters["kind"]),
        may_add=may_add_entries(),
        oob=False,
        **context,
    )


@bp.get("")
def index():
    """The names waiting, grouped, largest first, 25 to a page, filtered by kind and by the proposal's score."""
    return _page(_filters())


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


def _group_left(message: str, level: str = "success"):
    """The group leaves the page (htmx swaps it for nothing); the counts at the top follow out of band."""
    body = render_blocks("review/index.html", ["summary"], queue=groups.summary(), oob=True)
    return toast(make_response(body), message, level)


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
    return _group_left(message, "success" if count else "info")


def _failed(form, error: DomainError, *, adding: bool = False):
    """The group again with the reason inline (htmx), or the queue with a flash."""
    if not is_htmx():
        flash(error.message, "error")
        return redirect(url_for("review.index"), 303)
    group = None
    if not form.entity.errors and not form.raw_name.errors:
        group = groups.find_group(form.entity.data, form.raw_name.data)
    if group is None:
        response = make_response("")  # nothing left under this name: the group leaves the page
    else:
        context = {"group": group, "index": form.index.data, "error": error.message, "may_add": may_add_entries()}
        if adding:
            context["add_form"] = form
        response = make_response(render_template("review/_group.html", **context), 422)
    return toast(response, error.message, "error")


@bp.post("/add-entry")
@editor_required
def add_entry():
    """Add a dictionary entry for a name nothing fits and match the name's guarantees to it (editors, unless an
    admin restricted adding entries to admins)."""
    if not settings_service.may_add_entries(current_user):
        abort(403)
    form = AddEntryForm(request.form)
    try:
        if not form.validate():
            raise ValidationFailed(form.first_error())
        entry, count = service.add_entry_and_apply(
            form.entity.data, form.raw_name.data, form.entry_data(), user=username()
        )
    except DomainError as error:
        return _failed(form, error, adding=True)
    message = ngettext(
        "%(name)s added to the dictionary; %(num)d guarantee matched to it.",
        "%(name)s added to the dictionary; %(num)d guarantees matched to it.",
        count,
        name=entry.label,
    )
    if not is_htmx():
        flash(message, "success")
        return redirect(url_for("review.index"), 303)
    return _group_left(message)


def _preview(plan: groups.Plan, filters: dict, *, stale: str | None = None, error: str | None = None):
    """The preview of a bulk decision, in its slot (htmx) or on the page."""
    status = 409 if stale else 422 if error else 200
    context = {"plan": plan, "stale": stale, "preview_error": error}
    if is_htmx():
        response = render("review/_preview.html", status=status, filters=filters, **context)
        response.headers["HX-Retarget"] = "#review-preview"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return _page(filters, status=status, block=None, **context)


@bp.post("/preview/selected")
@editor_required
def preview_selected():
    """What accepting the proposals of the ticked names would change (nothing is written yet)."""
    filters = _filters(request.form)
    form = SelectionForm(request.form)
    if not form.validate():
        return _preview(None, filters, error=form.first_error())
    found = groups.selected_groups(form.selection)
    choices, left_out = groups.proposals(found)
    return _preview(groups.plan(choices, left_out), filters)


@bp.post("/preview/threshold")
@editor_required
def preview_threshold():
    """What accepting every proposal scoring at least N % would change (nothing is written yet)."""
    filters = _filters(request.form)
    form = ThresholdForm(request.form)
    if not form.validate():
        return _preview(None, filters, error=form.first_error())
    choices, _left_out = groups.proposals(groups.all_groups(form.kind.data or None), form.threshold.data)
    return _preview(groups.plan(choices), filters)


@bp.post("/bulk")
@editor_required
def bulk():
    """Apply a previewed bulk decision in one transaction; a preview that no longer matches is shown again."""
    filters = _filters(request.form)
    form = BulkApplyForm(request.form)
    if not form.validate():
        return _preview(None, filters, error=form.first_error())
    try:
        done = service.apply_plan(form.choices, user=username(), expected=form.confirm.data)
    except Conflict as error:
        return _preview(groups.plan(form.choices), filters, stale=error.message)
    except DomainError as error:
        return _preview(None, filters, error=error.message)
    message = ngettext(
        "%(names)d names matched: %(num)d guarantee changed.",
        "%(names)d names matched: %(num)d guarantees changed.",
        done.count,
        names=len(done.decisions),
    )
    if not is_htmx():
        flash(message, "success")
        return redirect(url_for("review.index", **{k: v for k, v in filters.items() if v and k != "page"}), 303)
    response = _page(filters)
    response.headers["HX-Retarget"] = "#review-queue"
    response.headers["HX-Reswap"] = "outerHTML"
    return toast(response, message)


@bp.post("/settings")
@admin_required
def settings():
    """Store who adds dictionary entries from the review page (the settings page's form)."""
    form = DictionaryAddsForm(request.form)
    if form.validate():
        settings_service.save_dictionary_adds(bool(form.admins_only.data), user=username())
        flash(_("Saved: who adds dictionary entries from the review page."), "success")
    else:
        flash(_("The setting was not saved: reload the page and try again."), "error")
    return redirect(url_for("settings.index"), 303)
