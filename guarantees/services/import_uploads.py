"""Uploaded workbooks waiting for their confirmation, kept on disk between the preview and the commit.

An upload is kept under UPLOAD_FOLDER/pending/ as <token>.xlsx (the token is random hex; the user's file
name is display text only), beside:

* <token>.json: its name, uploader, sheet and mapping, and how many rows it holds;
* <token>.book: the workbook as the reader parsed it, once per upload (pickled): a new mapping and the
  confirmation start from it, never from the file again;
* <token>.preview: the preview of the current sheet and mapping (services/import_previews.py), which the
  preview's pages and filters read back, and <token>.errors.xlsx, its rejected rows' workbook, made with it.

A small file is read and evaluated in the request. A large one (more than JOBS_INLINE_ROWS rows; for a format
whose rows the reader's checks cannot count, more than UNKNOWN_ROWS_BYTES) is left, when a job worker runs
(JOBS=worker), to background jobs (services/jobs.py): its preview, each new mapping, its confirmation; the
pages show the job's progress until it is done. Nothing is written to the register before the confirmation,
and the confirmation is one transaction. A pending upload belongs to its uploader and expires after a day.
Rows pasted on today's page (services/paste.py) are kept the same way (receive_grid): their grid is the
<token>.book, with no file beside it, and their confirmation writes into the day's text_paste batch.
Only this code writes the .book files, under random names: unpickling them is safe.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from guarantees.importer.reader import Workbook
from guarantees.models import Job
from guarantees.services import import_previews, imports, jobs
from guarantees.services.errors import DomainError, NotFound
from guarantees.services.import_previews import Snapshot
from guarantees.services.imports import ImportResult
from guarantees.services.transaction import unit_of_work

TOKEN = re.compile(r"[0-9a-f]{32}\Z")
PENDING_SECONDS = 24 * 3600
UNKNOWN_ROWS_BYTES = 512 * 1024
_SUFFIXES = (".xlsx", ".json", ".book", ".preview", ".errors.xlsx", ".preview.partial", ".book.partial",
             ".errors.xlsx.partial", ".tmp")  # fmt: skip


@dataclass
class Upload:
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
    def book_path(self) -> Path:
        return self.folder / f"{self.token}.book"

    @property
    def preview_path(self) -> Path:
        return self.folder / f"{self.token}.preview"

    @property
    def errors_path(self) -> Path:
        """The rejected rows' workbook of the current preview, made with it (absent when no row is rejected)."""
        return self.folder / f"{self.token}.errors.xlsx"

    @property
    def filename(self) -> str:
        return self.meta["filename"]

    @property
    def sheet(self) -> str | None:
        return self.meta.get("sheet")

    @property
    def overrides(self) -> dict | None:
        return self.meta.get("overrides") or None

    @property
    def batch_type(self) -> str:
        """The batch its rows go to: a workbook's own (excel_import), or the day's text_paste for pasted rows."""
        return self.meta.get("batch_type") or "excel_import"

    @property
    def pasted(self) -> bool:
        return self.batch_type == "text_paste"

    @property
    def large(self) -> bool:
        """Whether its reading, mapping and confirmation are left to a background job (a worker runs, and the file
        holds more rows than JOBS_INLINE_ROWS)."""
        if jobs.inline():
            return False
        rows = self.meta.get("rows")
        if rows is None:
            return self.meta.get("size", 0) > UNKNOWN_ROWS_BYTES
        return rows > int(current_app.config["JOBS_INLINE_ROWS"])

    def save(self) -> None:
        partial = self.meta_path.with_suffix(".tmp")
        partial.write_text(json.dumps(self.meta, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, self.meta_path)

    def discard(self) -> None:
        """Forget the upload: nothing of it is imported."""
        for suffix in _SUFFIXES:
            (self.folder / f"{self.token}{suffix}").unlink(missing_ok=True)

    def workbook(self, progress: Callable | None = None) -> Workbook:
        """The workbook as read: parsed on the first call, kept, and read back from then on."""
        try:
            with self.book_path.open("rb") as kept:
                return pickle.load(kept)  # noqa: S301 - written below, under a random name
        except (OSError, EOFError, pickle.UnpicklingError):
            pass
        if progress:
            progress("reading", 0.0)
        book = imports.read(self.path)
        partial = self.book_path.with_name(self.book_path.name + ".partial")
        with partial.open("wb") as out:
            pickle.dump(book, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, self.book_path)
        return book

    def prepare(self, sheet: str | None, overrides: dict | None, progress: Callable | None = None) -> None:
        """Evaluate the kept workbook with this sheet and mapping, keep the preview, then the choice (BadWorkbook
        when it does not read or map: the earlier preview and choice stay)."""
        book = self.workbook(progress)
        if progress:
            progress("checking", 0.0)
        preview = imports.evaluate(book, self.filename, sheet=sheet, overrides=overrides or None, progress=progress)
        if preview.counts["error"]:
            partial = self.errors_path.with_name(self.errors_path.name + ".partial")
            imports.write_errors(preview, partial)
            os.replace(partial, self.errors_path)
        else:
            self.errors_path.unlink(missing_ok=True)
        import_previews.write(self.preview_path, preview, progress)
        self.meta.update(sheet=sheet, overrides=overrides)
        self.save()

    def preview(self) -> Snapshot | None:
        """The kept preview (None while a job still makes it)."""
        try:
            return Snapshot(self.preview_path)
        except (OSError, sqlite3.Error, EOFError, pickle.UnpicklingError, TypeError):
            return None

    def job(self) -> Job | None:
        """The queued or running job working on this upload, if any."""
        return jobs.active_for(self.token)

    def remap(
        self, sheet: str | None, overrides: dict[str, str | None], *, user: str, locale: str | None
    ) -> Job | None:
        """Keep another sheet or mapping once the file reads with it (BadWorkbook otherwise, nothing changed); for
        a large upload, the job that will (None when done here)."""
        if self.large:
            payload = {"sheet": sheet, "overrides": overrides, "locale": locale}
            return jobs.enqueue("import_preview", token=self.token, payload=payload, user=user)
        self.prepare(sheet, overrides)
        return None

    def commit(self, *, user: str, confirm_duplicate: bool, locale: str | None = None) -> ImportResult | Job:
        """Import the upload as one batch (imports.commit), then forget it; for a large upload, the job that will."""
        if self.large:
            payload = {"confirm_duplicate": confirm_duplicate, "locale": locale}
            return jobs.enqueue("import_commit", token=self.token, payload=payload, user=user)
        return self.commit_now(user=user, confirm_duplicate=confirm_duplicate)

    def commit_now(
        self,
        *,
        user: str | None,
        confirm_duplicate: bool,
        progress: Callable | None = None,
        before_commit: Callable[[Session, int, imports.ImportPreview], None] | None = None,
    ) -> ImportResult:
        book = self.workbook(progress)
        try:
            result = imports.commit(
                book,
                self.filename,
                sheet=self.sheet,
                overrides=self.overrides,
                user=user,
                confirm_duplicate=confirm_duplicate,
                progress=progress,
                before_commit=before_commit,
                batch_type=self.batch_type,
            )
        except imports.DuplicateFile as error:
            # Imported since the preview was made: the preview now says so, and asks for the confirmation.
            kept = self.preview()
            if kept is not None:
                kept.with_duplicates(error.batches)
            raise
        self.discard()
        return result


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


def receive(
    data: bytes, filename: str, *, user: str, sheet: str | None = None, locale: str | None = None
) -> tuple[Upload, Job | None]:
    """Keep an uploaded workbook for its preview once it passes the reader's checks (BadWorkbook otherwise, nothing
    kept): read and evaluated here (the job None), or, when large, by the job returned."""
    inspection = imports.inspect(data)
    folder = _folder()
    _sweep(folder)
    meta = {"filename": filename, "user": user, "sheet": sheet, "rows": inspection.rows, "size": inspection.size}
    upload = Upload(secrets.token_hex(16), folder, meta)
    upload.path.write_bytes(data)
    upload.save()
    if upload.large:
        payload = {"sheet": sheet, "overrides": None, "locale": locale, "first": True}
        return upload, jobs.enqueue("import_preview", token=upload.token, payload=payload, user=user)
    try:
        upload.prepare(sheet, None)
    except BaseException:
        upload.discard()
        raise
    return upload, None


def receive_grid(
    book: Workbook,
    filename: str,
    *,
    user: str,
    batch_type: str,
    overrides: dict | None = None,
    extra: dict | None = None,
    locale: str | None = None,
) -> tuple[Upload, Job | None]:
    """Keep rows read from elsewhere than a file (pasted text) as an upload, for the same preview and
    confirmation: the grid is kept as the upload's workbook (no file beside it), its rows go to `batch_type`."""
    folder = _folder()
    _sweep(folder)
    rows = max((len(sheet.rows) for sheet in book.sheets), default=0)
    meta = {"filename": filename, "user": user, "sheet": None, "rows": rows, "size": book.size,
            "batch_type": batch_type, "overrides": overrides, **(extra or {})}  # fmt: skip
    upload = Upload(secrets.token_hex(16), folder, meta)
    partial = upload.book_path.with_name(upload.book_path.name + ".partial")
    with partial.open("wb") as out:
        pickle.dump(book, out, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, upload.book_path)
    upload.save()
    if upload.large:
        payload = {"sheet": None, "overrides": overrides, "locale": locale, "first": True}
        return upload, jobs.enqueue("import_preview", token=upload.token, payload=payload, user=user)
    try:
        upload.prepare(None, overrides)
    except BaseException:
        upload.discard()
        raise
    return upload, None


def _open(token: str) -> Upload | None:
    """The pending upload of this token, if it is well formed, still there and young enough."""
    if not TOKEN.match(token or ""):
        return None
    found = Upload(token, _folder(), {})
    try:
        # a file's upload is dated by its file; pasted rows, by their workbook (written once)
        kept = found.path if found.path.exists() else found.book_path
        if time.time() - kept.stat().st_mtime > PENDING_SECONDS:
            found.discard()
            return None
        found.meta = json.loads(found.meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found


def find(token: str, *, user: str) -> Upload | None:
    """The pending upload of this token, if it is well formed, still there, young enough and the user's own."""
    found = _open(token)
    return found if found is not None and found.meta.get("user") == user else None


# ----------------------------------------------------------------------------- the jobs (services/jobs.py)


def _job_upload(job: Job) -> Upload:
    found = _open(job.upload_token)
    if found is None:
        raise NotFound(
            _(
                "This upload is no longer there: it was imported or discarded, or waited more than a day. "
                "Upload the file again."
            )
        )
    return found


def run_preview_job(job: Job, progress: Callable, finish: Callable[[Session, dict], None]) -> None:
    """Read (once) and evaluate a large upload with the job's sheet and mapping, and keep its preview."""
    upload = _job_upload(job)
    payload = job.payload or {}
    try:
        upload.prepare(payload.get("sheet"), payload.get("overrides"), progress=progress)
    except DomainError:
        if payload.get("first"):  # a file that does not read or map is not kept, as when refused in the request
            upload.discard()
        raise
    with unit_of_work() as session:
        finish(session, {"token": upload.token})


def run_commit_job(job: Job, progress: Callable, finish: Callable[[Session, dict], None]) -> None:
    """Import a large upload as one batch; the job is done in the batch's own transaction."""
    upload = _job_upload(job)

    def done(session: Session, batch_id: int, plan: imports.ImportPreview) -> None:
        result = {"batch_id": batch_id, "counts": dict(plan.counts), "filename": upload.filename}
        finish(session, {**result, "batch_type": upload.batch_type})

    upload.commit_now(
        user=job.created_by,
        confirm_duplicate=bool((job.payload or {}).get("confirm_duplicate")),
        progress=progress,
        before_commit=done,
    )
