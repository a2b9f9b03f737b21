"""Guarantees: the searchable list, export, bulk actions, one guarantee with inline edits, actions and timeline."""

from io import BytesIO

from flask import Blueprint, abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError

from guarantees.clock import today
from guarantees.domain import expiry, labels
from guarantees.domain.fields import EDITABLE_FIELDS
from guarantees.extensions import db
from guarantees.forms.actions import IssueForm
from guarantees.forms.guarantees import (
    ACTION_FORMS,
    BulkActionForm,
    FieldEditForm,
    GuaranteeListForm,
    GuaranteeViewForm,
)
from guarantees.repositories import actions as action_repo
from guarantees.repositories import confirmation, history, search
from guarantees.repositories import guarantees as repo
from guarantees.services import actions, audit
from guarantees.services import guarantees as service
from guarantees.services.errors import Conflict, DomainError, NotFound, ValidationFailed
from guarantees.web.rendering import is_htmx, render, render_blocks, toast
from guarantees.web.security import editor_required, username

bp = Blueprint("guarantees", __name__, url_prefix="/guarantees")

ACTIONS = {"extension": actions.extend, "release": actions.release, "reduction": actions.reduce}


@bp.app_template_global()
def url_if(endpoint: str, **values) -> str | None:
    """The URL of `endpoint`, or None when that page is not built (another area's blueprint may be missing)."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _guarantee_or_404(guarantee_id: int):
    guarantee = repo.get(guarantee_id)
    if guarantee is None:
        abort(404)
    return guarantee


def _see_other(target: str):
    return redirect(target, 303)


# -- the list ------------------------------------------------------------------------------------------------------


@bp.get("")
def index():
    """The register: active search, filters, sorting and paging; htmx gets only the results block."""
    form = GuaranteeListForm(request.args)
    params, problems = form.params(), form.problems()
    page = search.search(params)
    banks = [] if is_htmx() else repo.bank_choices()
    return render("guarantees/index.html", "results", params=params, page=page, problems=problems, banks=banks)


@bp.route("/export", methods=["GET", "POST"])
def export():
    """The current filter (or the selected rows) as an .xlsx workbook; formula-looking text stays text."""
    form = GuaranteeListForm(request.form if request.method == "POST" else request.args)
    rows = search.for_export(form.params())
    audit.export(user=username(), rows=len(rows), filters=form.data)
    return send_file(
        BytesIO(service.export_workbook(rows)),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"guarantees-{today().isoformat()}.xlsx",
    )


@bp.post("/bulk")
@editor_required
def bulk():
    """Extend or release the selected guarantees: a draft action session, opened on its page."""
    form = BulkActionForm(request.form)
    ids = list(form.ids.data or ())
    try:
        form.check()
        session = actions.start_session(ids, form.action.data, user=username())
    except DomainError as error:
        flash(error.message, "error")
        return _see_other(form.back_url())
    skipped = actions.skipped_message(session.skipped)
    if skipped:
        flash(skipped, "warning")
    target = url_if("actions.show", session_id=session.id)
    if target:
        return _see_other(target)
    flash(_("Action session %(id)s prepared with %(count)s drafts.", id=session.id, count=len(ids)), "success")
    return _see_other(form.back_url())


# -- one guarantee -------------------------------------------------------------------------------------------------


TIMELINE_SHOWN = 50


class _Labels(dict):
    """A label function remembered for one page: a timeline says the same few fields and statuses many times,
    and each translation looks up the locale and its catalogue."""

    def __init__(self, label) -> None:
        super().__init__()
        self.label = label

    def __missing__(self, key):
        self[key] = value = self.label(key)
        return value


def _detail(guarantee, **extra) -> dict:
    """Everything the guarantee page shows (a constant number of queries)."""
    asked = GuaranteeViewForm(request.args)
    view = asked.view.data
    entries, earlier, archive = [], 0, None
    if view == "legacy":  # the raw rows, all of them; the timeline is not shown
        legacy = history.legacy_rows(guarantee)
        legacy_count = len(legacy)
        archive = history.legacy_archive()  # once archived, the page says where the legacy tables went
    elif asked.history.data == "all":  # the whole timeline (the "earlier entries" link)
        legacy_count, legacy = history.legacy_summary(guarantee)
        entries = history.timeline(guarantee, legacy)
    else:  # a long history opens on its newest entries, read and built alone; the earlier ones are one click away
        newest = history.newest(guarantee, TIMELINE_SHOWN)
        entries, earlier, legacy_count, legacy = newest.entries, newest.earlier, newest.legacy_count, []
    return {
        "guarantee": guarantee,
        "protected": service.protected_fields(guarantee),
        "editable": EDITABLE_FIELDS,
        "entries": entries,
        "earlier_entries": earlier,
        "legacy": legacy,
        "legacy_count": legacy_count,
        "legacy_archive": archive,
        "raw_columns": history.RAW_COLUMNS,
        "view": view,
        "field_labels": _Labels(labels.field_label),
        "status_labels": _Labels(labels.state_label),
        "default_extension": actions.default_extension(guarantee),
        "can_edit": current_user.can("editor"),
        "lock_reason": _lock_reason(guarantee),
        "editing": None,
        "field_error": None,
        "field_value": None,
        "action_errors": {},
        "action_values": {},
        **_drafts_context(guarantee),
        "confirming": None,
        **extra,
    }


def _drafts_context(guarantee) -> dict:
    """The guarantee's drafts waiting to be issued, whether the user may issue each (four-eyes), and the rule."""
    drafts = action_repo.guarantee_drafts(guarantee.id)
    who = username()
    return {
        "drafts": drafts,
        "may_issue": {
            draft.id: actions.four_eyes_allows([draft.created_by, draft.session.created_by], who) for draft in drafts
        },
        "four_eyes": actions.four_eyes_on(),
        "is_admin": current_user.can("admin"),
        "is_expired": expiry.state(guarantee.status, guarantee.expiry_date, today()) == expiry.EXPIRED,
    }


@bp.get("/<id:guarantee_id>")
def show(guarantee_id: int):
    """A guarantee: its fields (click to edit), actions and timeline; ?view=legacy shows the raw legacy rows."""
    guarantee = _guarantee_or_404(guarantee_id)
    block = "history" if GuaranteeViewForm(request.args).history_only else "guarantee"
    return render("guarantees/show.html", block, **_detail(guarantee))


def _lock_reason(guarantee) -> str:
    if guarantee.status == "released":
        return _("released")
    return labels.lock_reason_label(guarantee.lock_reason) or _("locked")


def _field_context(guarantee, field: str, **extra) -> dict:
    return {
        "guarantee": guarantee,
        "name": field,
        "protected": service.protected_fields(guarantee),
        "lock_reason": _lock_reason(guarantee),
        "can_edit": current_user.can("editor"),
        "mode": "view",
        "error": None,
        "value": None,
        **extra,
    }


def _editable_field(field: str) -> str:
    if not FieldEditForm.editable(field):
        abort(404)
    return field


@bp.get("/<id:guarantee_id>/fields/<field>")
def field(guarantee_id: int, field: str):
    """One field, read-only (what Cancel goes back to)."""
    guarantee = _guarantee_or_404(guarantee_id)
    _editable_field(field)
    if not is_htmx():
        return _see_other(url_for("guarantees.show", guarantee_id=guarantee_id))
    return render("guarantees/_field.html", **_field_context(guarantee, field))


@bp.get("/<id:guarantee_id>/fields/<field>/edit")
@editor_required
def edit_field(guarantee_id: int, field: str):
    """The small form that edits one field in place (the full page with that form, without htmx)."""
    guarantee = _guarantee_or_404(guarantee_id)
    _editable_field(field)
    if field in service.protected_fields(guarantee):
        message = _("This field cannot change: %(reason)s.", reason=_lock_reason(guarantee))
        if not is_htmx():
            flash(message, "error")
            return _see_other(url_for("guarantees.show", guarantee_id=guarantee_id))
        response = render("guarantees/_field.html", status=409, **_field_context(guarantee, field))
        return toast(response, message, "error")
    if not is_htmx():
        return render("guarantees/show.html", **_detail(guarantee, editing=field))
    return render("guarantees/_field.html", **_field_context(guarantee, field, mode="edit"))


def _field_failed(guarantee_id: int, field: str, error: DomainError, raw: str | None):
    """The edit form again, with the reason inline (and, after a conflict, the current value and version)."""
    db.session.expire_all()
    guarantee = _guarantee_or_404(guarantee_id)
    status = 409 if isinstance(error, Conflict) else 422
    message = error.message
    if isinstance(error, Conflict):
        current = error.current.get(field) if error.current else getattr(guarantee, field)
        shown = "—" if current in (None, "") else current
        message = _("%(message)s Current value: %(value)s.", message=error.message, value=shown)
    context = _field_context(guarantee, field, mode="edit", error=message, value=raw, conflict=status == 409)
    if not is_htmx():
        page = _detail(guarantee, editing=field, field_error=message, field_value=raw)
        return render("guarantees/show.html", status=status, **page)
    return toast(render("guarantees/_field.html", status=status, **context), message, "error")


@bp.route("/<id:guarantee_id>/fields/<field>", methods=["PUT", "POST"])
@editor_required
def update_field(guarantee_id: int, field: str):
    """Save one field (optimistic concurrency): the read-only field, the new version everywhere, and the timeline."""
    _editable_field(field)
    form = FieldEditForm(request.form, field=field)
    raw = form.value.data
    try:
        form.check()
        version = form.version.data
        guarantee = service.update(guarantee_id, {field: form.value.parsed}, expected_version=version, user=username())
    except NotFound:
        abort(404)
    except DomainError as error:
        return _field_failed(guarantee_id, field, error, raw)
    changed = guarantee.version != version
    message = _("%(field)s saved.", field=labels.field_label(field)) if changed else _("Nothing changed.")
    if not is_htmx():
        flash(message, "success")
        return _see_other(url_for("guarantees.show", guarantee_id=guarantee_id))
    body = render("guarantees/_field.html", **_field_context(guarantee, field)).get_data(as_text=True)
    body += render_blocks(
        "guarantees/show.html", ["header", "version_inputs", "history"], oob=True, **_detail(guarantee)
    )
    response = current_app.make_response(body)
    return toast(response, message, "success")


# -- actions on one guarantee --------------------------------------------------------------------------------------


def _issued_message(action_type: str) -> str:
    return {
        "extension": _("Extension issued."),
        "release": _("Release issued."),
        "reduction": _("Reduction issued."),
    }[action_type]


ENDPOINTS = {"extension": "guarantees.extend", "release": "guarantees.release", "reduction": "guarantees.reduce"}


def _confirm_titles(action_type: str) -> str:
    return {
        "extension": _("Issue this extension letter?"),
        "release": _("Issue this release letter? A release is final."),
        "reduction": _("Issue this reduction letter?"),
    }[action_type]


def _confirm_page(guarantee, key: str, confirm: dict, status: int):
    """The confirmation: htmx gets the fragment, swapped into its slot under the form; a plain request the whole
    guarantee page with the fragment in that slot."""
    if is_htmx():
        response = render("actions/_confirm.html", status=status, confirm=confirm)
        response.headers["HX-Retarget"] = f"#confirm-{key}"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return render("guarantees/show.html", status=status, **_detail(guarantee, confirming=confirm))


def _planned_values(action_type: str, planned, form) -> dict:
    """The form's fields as the confirmation re-posts them: exactly what it showed (the default date filled in)."""
    values = {"version": form.version.data, "notes": planned.notes or ""}
    if action_type == "extension":
        values["new_expiry"] = planned.new_expiry_date.isoformat()
        values["override_reason"] = planned.override_reason or ""
    elif action_type == "reduction":
        values["new_amount"] = str(planned.new_amount)
    return values


def _act(guarantee_id: int, action_type: str):
    """Issue one action: first the confirmation of what will be sent, then, confirmed, the issue; with four-eyes
    on, a draft that another person issues. The guarantee again (timeline included) with a toast, or the form with
    the reason."""
    guarantee = _guarantee_or_404(guarantee_id)
    form = ACTION_FORMS[action_type](request.form)
    try:
        form.check()
        arguments = form.arguments()
        if not actions.four_eyes_on():
            planned = actions.plan(guarantee_id, action_type, user=username(), **arguments)
            shown = confirmation.build([(planned, guarantee)], today())
            if form.confirm.data != shown.fingerprint:
                stale = _("What you confirmed has changed: check it again.") if form.confirm.data else None
                confirm = {
                    "key": action_type,
                    "title": _confirm_titles(action_type),
                    "confirmation": shown,
                    "url": url_for(ENDPOINTS[action_type], guarantee_id=guarantee_id),
                    "cancel_url": url_for("guarantees.show", guarantee_id=guarantee_id),
                    "hidden": _planned_values(action_type, planned, form),
                    "hx_target": "#guarantee",
                    "return_focus": f"issue-{action_type}",
                    "stale": stale,
                }
                return _confirm_page(guarantee, action_type, confirm, 409 if stale else 200)
        action = ACTIONS[action_type](guarantee_id, user=username(), **arguments)
    except NotFound:
        abort(404)
    except DomainError as error:
        db.session.expire_all()
        guarantee = _guarantee_or_404(guarantee_id)
        status = 422 if isinstance(error, ValidationFailed) else 409
        context = _detail(
            guarantee, action_errors={action_type: error.message}, action_values={action_type: form.typed()}
        )
        response = render("guarantees/show.html", "guarantee", status=status, **context)
        return toast(response, error.message, "error") if is_htmx() else response
    if action.action_status == "draft":
        message = _(
            "%(kind)s prepared as a draft: another editor or administrator must issue it (four-eyes rule).",
            kind=labels.label("action_type", action_type),
        )
    else:
        message = _issued_message(action_type)
    if not is_htmx():
        flash(message, "success")
        return _see_other(url_for("guarantees.show", guarantee_id=guarantee_id))
    db.session.expire_all()
    guarantee = _guarantee_or_404(guarantee_id)
    return toast(render("guarantees/show.html", "guarantee", **_detail(guarantee)), message)


@bp.post("/<id:guarantee_id>/extend")
@editor_required
def extend(guarantee_id: int):
    """Issue an extension (default: current expiry + 1 year)."""
    return _act(guarantee_id, "extension")


@bp.post("/<id:guarantee_id>/release")
@editor_required
def release(guarantee_id: int):
    """Issue the release (once; nothing after it)."""
    return _act(guarantee_id, "release")


@bp.post("/<id:guarantee_id>/reduce")
@editor_required
def reduce(guarantee_id: int):
    """Issue a reduction to a lower, positive amount."""
    return _act(guarantee_id, "reduction")


@bp.post("/<id:guarantee_id>/drafts/<id:action_id>/issue")
@editor_required
def issue_draft(guarantee_id: int, action_id: int):
    """Issue one draft of this guarantee (four-eyes: by someone other than who prepared it): first the confirmation
    of what will be sent, then, confirmed, the issue."""
    guarantee = _guarantee_or_404(guarantee_id)
    draft = action_repo.get_action(action_id)
    if draft is None or draft.guarantee_id != guarantee_id:
        abort(404)
    form = IssueForm(request.form)
    try:
        form.check()
        shown = confirmation.for_draft(action_id, today())
        if shown is None or form.confirm.data != shown.fingerprint:
            actions.check_draft(action_id, user=username())
            stale = _("What you confirmed has changed: check it again.") if form.confirm.data else None
            confirm = {
                "key": f"draft-{action_id}",
                "title": _confirm_titles(draft.action_type),
                "confirmation": confirmation.for_draft(action_id, today()),
                "url": url_for("guarantees.issue_draft", guarantee_id=guarantee_id, action_id=action_id),
                "cancel_url": url_for("guarantees.show", guarantee_id=guarantee_id),
                "hidden": {},
                "hx_target": "#guarantee",
                "return_focus": f"issue-draft-{action_id}",
                "stale": stale,
            }
            return _confirm_page(guarantee, f"draft-{action_id}", confirm, 409 if stale else 200)
        issued = actions.issue_draft(action_id, user=username(), expected=form.confirm.data)
    except NotFound:
        abort(404)
    except DomainError as error:
        db.session.expire_all()
        guarantee = _guarantee_or_404(guarantee_id)
        context = _detail(guarantee, action_errors={f"draft-{action_id}": error.message})
        response = render("guarantees/show.html", "guarantee", status=409, **context)
        return toast(response, error.message, "error") if is_htmx() else response
    message = _issued_message(issued.action_type)
    if not is_htmx():
        flash(message, "success")
        return _see_other(url_for("guarantees.show", guarantee_id=guarantee_id))
    db.session.expire_all()
    guarantee = _guarantee_or_404(guarantee_id)
    return toast(render("guarantees/show.html", "guarantee", **_detail(guarantee)), message)
