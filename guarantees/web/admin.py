"""Admin pages: the supplier and bank dictionaries (add, edit, merge, aliases); staff accounts are `users`."""

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from guarantees.forms.admin import ENTRY_FORMS, DictionaryQueryForm, MergeForm, MergeQueryForm
from guarantees.forms.dictionary_import import DictionaryConfirmForm, DictionaryUploadForm, ExportForm, StarterBanksForm
from guarantees.repositories import matching as repo
from guarantees.services import audit, dictionary_import
from guarantees.services import review as service
from guarantees.services.errors import DomainError
from guarantees.web.rendering import is_htmx, render, toast
from guarantees.web.security import username

bp = Blueprint("admin", __name__, url_prefix="/admin")
KINDS = {"suppliers": "supplier", "banks": "bank"}
SAVE = {"supplier": service.save_supplier, "bank": service.save_bank}


@bp.before_request
def _admins_only():
    """Every admin page is for admins (sign-in itself is checked before this, app-wide)."""
    if not current_user.is_authenticated or not current_user.can("admin"):
        abort(403)


@bp.get("")
def users():
    """The admin area's front door (the main navigation's link): the staff accounts."""
    return redirect(url_for("users.index"), 303)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        abort(404)
    return KINDS[kind]


def _kind_of(entity: str) -> str:
    return "suppliers" if entity == "supplier" else "banks"


def _fail(form: FlaskForm, error: DomainError) -> None:
    """A service refusal shown on its field (or on the form)."""
    target = getattr(form, error.field, None) if error.field else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, error.message]
    else:
        form.form_errors.append(error.message)


def _entry_data(form: FlaskForm) -> dict:
    return {name: value for name, value in form.data.items() if name != "csrf_token"}


def _dictionary_page(entity: str, form: FlaskForm | None = None, status: int = 200, upload: FlaskForm | None = None):
    query = DictionaryQueryForm(request.args)
    problems = query.problems()
    q = (query.value("q", "") or "").strip()
    show_merged = bool(query.value("merged", False))
    page = repo.dictionary_page(entity, q=q, page=query.value("page", 1), show_merged=show_merged)
    if form is None:
        form = ENTRY_FORMS[entity](formdata=None, official_name=query.value("name", ""))
    return render(
        "admin/dictionary.html",
        "table",
        status=status,
        entity=entity,
        kind=_kind_of(entity),
        page=page,
        q=q,
        show_merged=show_merged,
        problems=problems,
        form=form,
        upload=upload or DictionaryUploadForm(formdata=None),
        starter=StarterBanksForm(formdata=None) if entity == "bank" and dictionary_import.is_empty("bank") else None,
    )


@bp.get("/suppliers")
def suppliers():
    """The supplier dictionary: search, add, edit, merge duplicates, aliases."""
    return _dictionary_page("supplier")


@bp.get("/banks")
def banks():
    """The bank dictionary: names, short code and the address block of letters; merge duplicates, aliases."""
    return _dictionary_page("bank")


@bp.post("/<any(suppliers, banks):kind>")
def add_entry(kind: str):
    """Add a supplier or bank."""
    entity = _kind(kind)
    form = ENTRY_FORMS[entity](request.form)
    if not form.validate():
        return _dictionary_page(entity, form, 422)
    try:
        entry = SAVE[entity](None, _entry_data(form), user=username())
    except DomainError as error:
        _fail(form, error)
        return _dictionary_page(entity, form, 422)
    flash(_("%(name)s added.", name=entry.label), "success")
    return redirect(url_for(f"admin.{kind}", q=entry.label), 303)


def _row_or_404(entity: str, entry_id: int) -> repo.DictionaryRow:
    row = repo.dictionary_row(entity, entry_id)
    if row is None:
        abort(404)
    return row


def _entry_row(entity: str, row, *, status: int = 200, message: str | None = None):
    body = render_template("admin/_entry_row.html", entity=entity, kind=_kind_of(entity), row=row)
    response = make_response(body, status)
    return toast(response, message) if message else response


@bp.get("/<any(suppliers, banks):kind>/<int:entry_id>")
def entry(kind: str, entry_id: int):
    """One entry's row (what Cancel goes back to)."""
    entity = _kind(kind)
    row = _row_or_404(entity, entry_id)
    if not is_htmx():
        return redirect(url_for(f"admin.{kind}", q=row.entry.label), 303)
    return _entry_row(entity, row)


def _edit_form(entity: str, row, form: FlaskForm, status: int = 200):
    context = {"entity": entity, "kind": _kind_of(entity), "row": row, "form": form}
    if is_htmx():
        return make_response(render_template("admin/_entry_form.html", **context), status)
    return render("admin/edit.html", status=status, **context)


@bp.get("/<any(suppliers, banks):kind>/<int:entry_id>/edit")
def edit_entry(kind: str, entry_id: int):
    """The entry's form: in place of its row (htmx) or as a page."""
    entity = _kind(kind)
    row = _row_or_404(entity, entry_id)
    if row.merged_into:
        abort(404)
    return _edit_form(entity, row, ENTRY_FORMS[entity](formdata=None, obj=row.entry, swift_bic=row.swift_bic))


@bp.post("/<any(suppliers, banks):kind>/<int:entry_id>")
def save_entry(kind: str, entry_id: int):
    """Save an edited entry; its row again (htmx) or back to the list."""
    entity = _kind(kind)
    row = _row_or_404(entity, entry_id)
    form = ENTRY_FORMS[entity](request.form)
    if not form.validate():
        return _edit_form(entity, row, form, 422)
    try:
        saved = SAVE[entity](entry_id, _entry_data(form), user=username())
    except DomainError as error:
        _fail(form, error)
        return _edit_form(entity, row, form, 422)
    message = _("%(name)s saved.", name=saved.label)
    if not is_htmx():
        flash(message, "success")
        return redirect(url_for(f"admin.{kind}", q=saved.label), 303)
    return _entry_row(entity, _row_or_404(entity, entry_id), message=message)


@bp.post("/aliases/<int:alias_id>/delete")
def delete_alias(alias_id: int):
    """Forget a learned alias; the entry's row again (htmx) or back to its list."""
    try:
        entity, entry_id = service.delete_alias(alias_id, user=username())
    except DomainError as error:
        if is_htmx():
            return toast(make_response("", 404), error.message, "error")
        abort(404)
    message = _("Alias removed.")
    if not is_htmx():
        flash(message, "success")
        return redirect(url_for(f"admin.{_kind_of(entity)}"), 303)
    return _entry_row(entity, _row_or_404(entity, entry_id), message=message)


def _merge_page(entity: str, source, *, into=None, error: str | None = None, status: int = 200):
    query = MergeQueryForm(request.args)
    query.validate()
    q = (query.value("q", "") or "").strip()
    options = [choice for choice in repo.search(entity, q) if choice.id != source.entry.id] if q else []
    total, locked = repo.usage(entity, source.entry.id)
    return render(
        "admin/merge.html",
        status=status,
        entity=entity,
        kind=_kind_of(entity),
        source=source,
        into=into,
        usage=total,
        locked=locked,
        options=options,
        q=q,
        error=error,
    )


@bp.get("/<any(suppliers, banks):kind>/<int:entry_id>/merge")
def merge_entry(kind: str, entry_id: int):
    """Merge a duplicate: pick the entry to keep, then confirm what will happen."""
    entity = _kind(kind)
    source = _row_or_404(entity, entry_id)
    if source.merged_into:
        flash(_("This entry was already merged."), "error")
        return redirect(url_for(f"admin.{kind}"), 303)
    query = MergeQueryForm(request.args)
    query.validate()
    if query.into.errors:
        return _merge_page(entity, source, error=_("Choose another entry to keep."), status=422)
    into_id = query.value("into")
    into = None
    if into_id is not None:
        into = repo.dictionary_row(entity, into_id)
        if into is None or into.merged_into or into_id == entry_id:
            return _merge_page(entity, source, error=_("Choose another entry to keep."), status=422)
    return _merge_page(entity, source, into=into)


@bp.post("/<any(suppliers, banks):kind>/<int:entry_id>/merge")
def merge_confirmed(kind: str, entry_id: int):
    """Merge, after the confirmation: guarantees and aliases follow the kept entry."""
    entity = _kind(kind)
    source = _row_or_404(entity, entry_id)
    form = MergeForm(request.form)
    if not form.validate():
        message = next((str(field.errors[0]) for field in form if field.errors), _("Choose the entry to keep."))
        return _merge_page(entity, source, error=message, status=422)
    into_id = form.into_id.data
    try:
        moved = service.merge(entity, entry_id, into_id, user=username())
    except DomainError as error:
        return _merge_page(entity, source, into=repo.dictionary_row(entity, into_id), error=error.message, status=422)
    kept = repo.label(entity, into_id)
    flash(
        _("%(old)s merged into %(new)s; %(count)d guarantees follow.", old=source.entry.label, new=kept, count=moved),
        "success",
    )
    return redirect(url_for(f"admin.{kind}", q=kept), 303)


def _imported_message(result: dictionary_import.ImportResult) -> str:
    counts = result.preview.counts
    return _(
        "%(new)d added, %(update)d updated, %(unchanged)d unchanged, %(error)d rows with errors left out."
        " Guarantees waiting for review that are now ready: %(ready)d.",
        new=counts["new"],
        update=counts["update"],
        unchanged=counts["unchanged"],
        error=counts["error"],
        ready=result.became_ready,
    )


@bp.post("/<any(suppliers, banks):kind>/import")
def import_preview(kind: str):
    """Upload a dictionary file: what importing it would do, row by row, before anything is written."""
    entity = _kind(kind)
    upload = DictionaryUploadForm()
    if not upload.validate():
        return _dictionary_page(entity, status=422, upload=upload)
    try:
        preview = dictionary_import.evaluate(entity, upload.content, upload.filename)
    except DomainError as error:
        upload.file.errors = [*upload.file.errors, error.message]
        return _dictionary_page(entity, status=422, upload=upload)
    token = dictionary_import.keep_upload(entity, upload.content, upload.filename, user=username())
    return render(
        "admin/_dictionary_import_preview.html",
        entity=entity,
        kind=kind,
        preview=preview,
        confirm=DictionaryConfirmForm(formdata=None, token=token),
        active_section=f"admin.{kind}",
    )


@bp.post("/<any(suppliers, banks):kind>/import/confirm")
def import_confirm(kind: str):
    """Import the previewed file: its valid rows in one transaction, then the waiting guarantees matched again."""
    entity = _kind(kind)
    form = DictionaryConfirmForm()
    kept = dictionary_import.kept_upload(form.token.data, entity, user=username()) if form.validate() else None
    if kept is None:
        flash(_("This preview has expired: upload the file again."), "error")
        return redirect(url_for(f"admin.{kind}"), 303)
    data, filename = kept
    try:
        result = dictionary_import.apply(entity, data, filename, user=username())
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(f"admin.{kind}"), 303)
    dictionary_import.discard_upload(form.token.data)
    flash(_imported_message(result), "success")
    return redirect(url_for(f"admin.{kind}"), 303)


@bp.post("/banks/starter")
def load_starter():
    """Load the starter list of the banks operating in Saudi Arabia (one click on an empty install)."""
    if not StarterBanksForm().validate():
        abort(400)
    try:
        result = dictionary_import.apply(
            "bank", dictionary_import.starter_banks(), dictionary_import.STARTER_BANKS.name, user=username()
        )
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("admin.banks"), 303)
    flash(_imported_message(result), "success")
    return redirect(url_for("admin.banks"), 303)


@bp.get("/<any(suppliers, banks):kind>/export")
def export(kind: str):
    """The dictionary as a file in the layout its import reads (.xlsx, or .csv)."""
    entity = _kind(kind)
    form = ExportForm(request.args)
    fmt = (form.format.data or "xlsx") if form.validate() else "xlsx"
    data = dictionary_import.export(entity, fmt)
    audit.export(user=username(), rows=dictionary_import.entry_count(entity), filters={"format": fmt}, source=kind)
    response = make_response(data)
    response.mimetype = (
        "text/csv" if fmt == "csv" else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response.headers["Content-Disposition"] = f"attachment; filename={kind}.{fmt}"
    return response
