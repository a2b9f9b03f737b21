"""Excel import: upload, check the column mapping and the row-by-row preview, then confirm into a batch.

An upload is kept under UPLOAD_FOLDER/pending/<token>.xlsx (the token is random hex; the user's file
name is display text only) beside a small JSON file with its name, uploader, sheet and mapping. The
preview is computed again on each page from the file and the register as they are now; nothing is
written before the confirmation. A pending upload belongs to its uploader and expires after a day.
"""

import json
import os
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from guarantees.importer import service as importer
from guarantees.importer.mapping import FIELDS, fold_header
from guarantees.importer.reader import WorkbookError
from guarantees.importer.template import write_template
from guarantees.repositories import pages
from guarantees.services.errors import DomainError
from guarantees.web.batches import see_other
from guarantees.web.rendering import render
from guarantees.web.security import editor_required, username

bp = Blueprint("imports", __name__, url_prefix="/imports")
TOKEN = re.compile(r"[0-9a-f]{32}\Z")
PENDING_SECONDS = 24 * 3600
ROWS_PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def display_filename(raw: str | None) -> str:
    """The uploaded file's name as display text: no folders, no control or bidi-override characters, 200 at most."""
    name = unicodedata.normalize("NFC", (raw or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = " ".join(_UNSAFE_NAME.sub("", name).split())[:200]
    return name or "upload.xlsx"


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n / 1024:g} KB"


@dataclass
class Pending:
    """An uploaded workbook waiting for its confirmation."""

    token: str
    folder: Path
    meta: dict

    @property
    def path(self) -> Path:
        return self.folder / f"{self.token}.xlsx"

    @property
    def meta_path(self) -> Path:
        return self.folder / f"{self.token}.json"

    @property
    def filename(self) -> str:
        return self.meta["filename"]

    @property
    def sheet(self) -> str | None:
        return self.meta.get("sheet")

    @property
    def overrides(self) -> dict | None:
        return self.meta.get("overrides") or None

    def save(self) -> None:
        partial = self.meta_path.with_suffix(".tmp")
        partial.write_text(json.dumps(self.meta, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, self.meta_path)

    def discard(self) -> None:
        for path in (self.path, self.meta_path):
            path.unlink(missing_ok=True)

    def preview(self, *, sheet=False, overrides=False) -> importer.ImportPreview:
        """The preview with the stored sheet and mapping (or the ones given)."""
        return importer.preview(
            self.path,
            self.filename,
            sheet=self.sheet if sheet is False else sheet,
            overrides=self.overrides if overrides is False else overrides,
        )


def _folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "pending"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sweep(folder: Path) -> None:
    """Forget uploads nobody confirmed within a day."""
    limit = time.time() - PENDING_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def _pending(token: str) -> Pending:
    """The pending upload of this token, if it is well formed, still there, young enough and the user's own."""
    if not TOKEN.match(token):
        abort(404)
    found = Pending(token, _folder(), {})
    try:
        if time.time() - found.path.stat().st_mtime > PENDING_SECONDS:
            found.discard()
            abort(404)
        found.meta = json.loads(found.meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        abort(404)
    if found.meta.get("user") != username():
        abort(404)
    return found


def _limits() -> dict:
    config = current_app.config
    return {"max_size": _size(int(config["MAX_UPLOAD_BYTES"])), "max_rows": int(config["MAX_IMPORT_ROWS"])}


def _upload_page(error: str | None = None, status: int = 200):
    return render("imports/upload.html", "form", status=status, error=error, **_limits())


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
    write_template(stream)
    stream.seek(0)
    return send_file(stream, mimetype=XLSX, as_attachment=True, download_name="guarantees-import-template.xlsx")


@bp.post("")
@editor_required
def create():
    """Receive a workbook, check that it can be read and mapped, and keep it for the preview."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _upload_page(_("Choose an .xlsx file to import."), 422)
    data = upload.stream.read(int(current_app.config["MAX_UPLOAD_BYTES"]) + 1)  # the reader refuses what is over
    if not data:
        return _upload_page(_("This file is empty."), 422)
    filename = display_filename(upload.filename)
    try:
        importer.preview(data, filename)
    except (DomainError, WorkbookError) as error:
        return _upload_page(error.message, 422)
    folder = _folder()
    _sweep(folder)
    pending = Pending(secrets.token_hex(16), folder, {"filename": filename, "user": username(), "sheet": None})
    pending.path.write_bytes(data)
    pending.save()
    return redirect(url_for("imports.show", token=pending.token), 303)


def _preview_page(pending: Pending, result, *, error: str | None = None, status: int = 200, block="rows"):
    outcome = request.args.get("outcome")
    outcome = outcome if outcome in importer.OUTCOMES else None
    rows = [row for row in result.rows if outcome is None or row.outcome == outcome]
    page = pages.of_list(rows, request.args.get("page", 1, type=int), ROWS_PER_PAGE)
    selected = {}
    for field, header in result.columns.items():
        selected[field] = next((h for h in result.headers if fold_header(h) == fold_header(header)), header)
    return render(
        "imports/preview.html",
        block,
        status=status,
        pending=pending,
        result=result,
        page=page,
        outcome=outcome,
        fields=FIELDS,
        selected=selected,
        writable=len(result.rows) - result.counts.get("error", 0),
        error=error,
    )


def _preview_or_upload_page(pending: Pending, **kwargs):
    try:
        result = pending.preview()
    except (DomainError, WorkbookError) as error:
        return _upload_page(error.message, 422)
    return _preview_page(pending, result, **kwargs)


@bp.get("/<token>")
def show(token: str):
    """The detected mapping and the paged, filterable row-by-row preview (htmx: the table only)."""
    return _preview_or_upload_page(_pending(token))


@bp.post("/<token>/mapping")
@editor_required
def mapping(token: str):
    """Re-run the preview with another sheet or the columns mapped by hand."""
    pending = _pending(token)
    chosen_sheet = request.form.get("sheet")
    if chosen_sheet and chosen_sheet != request.form.get("was-sheet"):
        sheet, overrides = chosen_sheet, {}
    else:
        sheet = pending.sheet
        overrides = dict(pending.overrides or {})
        for field in FIELDS:
            chosen = request.form.get(f"map-{field}")
            if chosen is not None and chosen != request.form.get(f"was-{field}", ""):
                overrides[field] = chosen or None
    try:
        pending.preview(sheet=sheet, overrides=overrides or None)
    except (DomainError, WorkbookError) as error:
        return _preview_or_upload_page(pending, error=error.message, status=422, block="mapping")
    pending.meta.update(sheet=sheet, overrides=overrides)
    pending.save()
    return see_other(url_for("imports.show", token=token))


@bp.get("/<token>/errors.xlsx")
def errors(token: str):
    """The rejected rows as a workbook: the file's own columns and a reason column."""
    pending = _pending(token)
    try:
        result = pending.preview()
    except (DomainError, WorkbookError):
        abort(404)
    stream = BytesIO()
    importer.write_errors(result, stream)
    stream.seek(0)
    stem = pending.filename.rsplit(".", 1)[0] or "import"
    return send_file(stream, mimetype=XLSX, as_attachment=True, download_name=f"{stem}-errors.xlsx")


@bp.post("/<token>/confirm")
@editor_required
def confirm(token: str):
    """Import the valid rows as one batch; a file imported before needs the explicit confirmation."""
    pending = _pending(token)
    try:
        result = importer.commit(
            pending.path,
            pending.filename,
            sheet=pending.sheet,
            overrides=pending.overrides,
            user=username(),
            confirm_duplicate=request.form.get("confirm_duplicate") in ("1", "on", "yes", "true"),
        )
    except (DomainError, WorkbookError) as error:
        return _preview_or_upload_page(pending, error=error.message, status=422, block="confirm")
    pending.discard()
    counts = result.preview.counts
    flash(
        _(
            "Imported %(file)s: %(new)d new, %(update)d updated, %(unchanged)d unchanged, %(error)d rejected.",
            file=pending.filename,
            new=counts.get("new", 0),
            update=counts.get("update", 0),
            unchanged=counts.get("unchanged", 0),
            error=counts.get("error", 0),
        ),
        "success",
    )
    return see_other(url_for("batches.show", batch_id=result.batch_id))


@bp.post("/<token>/discard")
@editor_required
def discard(token: str):
    """Drop a pending upload without importing it."""
    _pending(token).discard()
    flash(_("The upload was discarded; nothing was imported."), "success")
    return see_other(url_for("imports.upload"))
