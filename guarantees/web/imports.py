"""Excel import pages: upload, check the column mapping and the row-by-row preview, then confirm into a batch.

Each route parses its request with a form of forms/imports.py and calls the import services
(services/imports.py, services/import_uploads.py): nothing is written before the confirmation. The preview's
pages read the preview kept with the upload. A large file's reading, new mapping and confirmation run as
background jobs (services/jobs.py) when a worker is configured: those routes send the browser to the job's
page, whose progress bar asks for itself every second and, once the job is done, moves on to the preview or
the batch.
"""

from io import BytesIO

from flask import Blueprint, abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from guarantees.forms.imports import (
    ConfirmForm,
    DiscardForm,
    MappingForm,
    PreviewQueryForm,
    UploadForm,
    first_error,
)
from guarantees.services import import_uploads, imports, jobs
from guarantees.services.errors import DomainError
from guarantees.services.import_uploads import Upload
from guarantees.web import expiry
from guarantees.web.batches import see_other
from guarantees.web.rendering import is_htmx, render
from guarantees.web.security import editor_required, username

bp = Blueprint("imports", __name__, url_prefix="/imports")
ROWS_PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n / 1024:g} KB"


def _limits() -> dict:
    config = current_app.config
    return {"max_size": _size(int(config["MAX_UPLOAD_BYTES"])), "max_rows": int(config["MAX_IMPORT_ROWS"])}


def _upload_page(error: str | None = None, status: int = 200):
    return render("imports/upload.html", "form", status=status, error=error, **_limits())


def _upload(token: str) -> Upload:
    """The user's own pending upload of this token, or 404."""
    found = import_uploads.find(token, user=username())
    if found is None:
        abort(404)
    return found


def _locale() -> str | None:
    found = get_locale()
    return str(found) if found else None


def _to_job(job):
    return see_other(url_for("imports.job", job_id=job.id))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """Flask refused the body as too large: the upload page again, with the limit."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"), 303)
    message = _("This file is larger than %(size)s, the limit for an import.", size=_limits()["max_size"])
    return _upload_page(message, 422)


@bp.get("/new")
def upload():
    """The upload form, with the limits and the blank template."""
    return _upload_page()


@bp.get("/template.xlsx")
def template():
    """The blank workbook to fill in: one bilingual header row the importer maps exactly."""
    stream = BytesIO()
    imports.write_template(stream)
    stream.seek(0)
    return send_file(stream, mimetype=XLSX, as_attachment=True, download_name="guarantees-import-template.xlsx")


@bp.post("")
@editor_required
def create():
    """Receive a workbook, check that it can be read and mapped, and keep it for the preview."""
    form = UploadForm()
    if not form.validate_on_submit():
        return _upload_page(first_error(form), 422)
    try:
        kept, job = import_uploads.receive(
            form.content, form.filename, user=username(), sheet=form.sheet.data or None, locale=_locale()
        )
    except DomainError as error:
        return _upload_page(error.message, 422)
    if job is not None:
        return redirect(url_for("imports.job", job_id=job.id), 303)
    return redirect(url_for("imports.show", token=kept.token), 303)


def _preview_page(pending: Upload, result, *, error: str | None = None, status: int = 200, block="rows"):
    query = PreviewQueryForm(request.args, meta={"csrf": False})
    notice = None if query.validate() else first_error(query)
    outcome = query.chosen_outcome
    return render(
        "imports/preview.html",
        block,
        status=422 if notice and status == 200 else status,
        pending=pending,
        result=result,
        page=result.page(outcome, query.chosen_page, ROWS_PER_PAGE),
        outcome=outcome,
        fields=imports.FIELDS,
        selected=result.selected(),
        writable=result.writable,
        # Over every row the file would write; the table's htmx pages do not show it.
        expiring=expiry.preview_counts(result.written()) if not (block == "rows" and is_htmx()) else {},
        first_threshold=expiry.first_threshold(),
        error=error,
        notice=notice,
    )


def _preview_or_upload_page(pending: Upload, **kwargs):
    """The preview; while a job works on the upload, its page; when the preview's job failed, the upload page."""
    running = pending.job()
    if running is not None:
        return _to_job(running)
    result = pending.preview()
    if result is None:
        abort(404)  # a large upload whose reading was interrupted; its job's page says so
    return _preview_page(pending, result, **kwargs)


@bp.get("/<token>")
def show(token: str):
    """The detected mapping and the paged, filterable row-by-row preview (htmx: the table only)."""
    return _preview_or_upload_page(_upload(token))


@bp.post("/<token>/mapping")
@editor_required
def mapping(token: str):
    """Re-run the preview with another sheet or the columns mapped by hand."""
    pending = _upload(token)
    form = MappingForm()
    if not form.validate_on_submit():
        return _preview_or_upload_page(pending, error=first_error(form), status=422, block="mapping")
    running = pending.job()
    if running is not None:
        return _to_job(running)
    try:
        job = pending.remap(*form.choice(pending.sheet, pending.overrides), user=username(), locale=_locale())
    except DomainError as error:
        return _preview_or_upload_page(pending, error=error.message, status=422, block="mapping")
    if job is not None:
        return _to_job(job)
    return see_other(url_for("imports.show", token=token))


@bp.get("/<token>/errors.xlsx")
def errors(token: str):
    """The rejected rows as a workbook: the file's own columns and a reason column."""
    pending = _upload(token)
    result = pending.preview()
    if result is None:
        abort(404)
    stem = pending.filename.rsplit(".", 1)[0] or "import"
    try:  # made with the preview, however many rows it lists
        stream = BytesIO(pending.errors_path.read_bytes() if result.counts["error"] else b"")
    except OSError:
        stream = BytesIO()
    if not stream.getbuffer().nbytes:
        imports.write_errors(result, stream)
        stream.seek(0)
    return send_file(stream, mimetype=XLSX, as_attachment=True, download_name=f"{stem}-errors.xlsx")


@bp.post("/<token>/confirm")
@editor_required
def confirm(token: str):
    """Import the valid rows as one batch; a file imported before needs the explicit confirmation."""
    pending = _upload(token)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _preview_or_upload_page(pending, error=first_error(form), status=422, block="confirm")
    running = pending.job()
    if running is not None:
        return _to_job(running)
    try:
        result = pending.commit(user=username(), confirm_duplicate=form.confirm_duplicate.data, locale=_locale())
    except DomainError as error:
        return _preview_or_upload_page(pending, error=error.message, status=422, block="confirm")
    if not isinstance(result, imports.ImportResult):  # a large upload: the job that imports it
        return _to_job(result)
    if pending.pasted:
        _pasted(result.preview.counts)
        return see_other(url_for("entry.today"))
    _imported(pending.filename, result.preview.counts)
    return see_other(url_for("batches.show", batch_id=result.batch_id))


def _pasted(counts: dict) -> None:
    flash(
        _(
            "Pasted rows added to today's batch: %(new)d new, %(update)d updated, %(unchanged)d unchanged, "
            "%(error)d rejected.",
            new=counts["new"],
            update=counts["update"],
            unchanged=counts["unchanged"],
            error=counts["error"],
        ),
        "success",
    )


def _imported(filename: str, counts: dict) -> None:
    flash(
        _(
            "Imported %(file)s: %(new)d new, %(update)d updated, %(unchanged)d unchanged, %(error)d rejected.",
            file=filename,
            new=counts["new"],
            update=counts["update"],
            unchanged=counts["unchanged"],
            error=counts["error"],
        ),
        "success",
    )


@bp.get("/jobs/<int:job_id>")
def job(job_id: int):
    """A background job's progress (htmx: the bar alone, asked for every second); once done, the preview or the
    batch it made; once failed or interrupted, why, and the way back."""
    found = jobs.find(job_id, user=username())
    if found is None:
        abort(404)
    found = jobs.check_stale(found)
    if found.status == "done":
        if found.kind == "import_commit" and found.result.get("batch_type") == "text_paste":
            _pasted(found.result["counts"])
            return see_other(url_for("entry.today"))
        if found.kind == "import_commit":
            _imported(found.result["filename"], found.result["counts"])
            return see_other(url_for("batches.show", batch_id=found.result["batch_id"]))
        return see_other(url_for("imports.show", token=found.upload_token))
    pending = import_uploads.find(found.upload_token or "", user=username())
    if pending is not None and pending.pasted:
        filename = _("the pasted rows")  # a paste has no file name: its stored one is a placeholder
    else:
        filename = pending.filename if pending is not None else (found.result or {}).get("filename", "")
    return render(
        "imports/job.html",
        "progress",
        job=found,
        progress=jobs.progress_of(found),
        pending=pending if pending is not None and pending.preview() is not None else None,
        filename=filename,
        waiting_long=jobs.waiting_long(found),
    )


@bp.post("/<token>/discard")
@editor_required
def discard(token: str):
    """Drop a pending upload without importing it."""
    pending = _upload(token)
    form = DiscardForm()
    if not form.validate_on_submit():
        return _preview_or_upload_page(pending, error=first_error(form), status=422, block="confirm")
    running = pending.job()
    if running is not None:  # its job may be importing it: let it end first
        return _to_job(running)
    pending.discard()
    if pending.pasted:
        flash(_("The pasted rows were discarded; nothing was imported."), "success")
        return see_other(url_for("entry.today"))
    flash(_("The upload was discarded; nothing was imported."), "success")
    return see_other(url_for("imports.upload"))
