"""The Excel import: evaluate a workbook against the register, then commit its valid rows as one batch.

    preview = evaluate(path_or_bytes, "July.xlsx")               # reads only
    result = commit(path_or_bytes, "July.xlsx", user="clerk")    # one transaction, one batch

The source may also be a Workbook already read (read()): an upload is parsed once and kept
(services/import_uploads.py). inspect() makes the reader's checks without the parse: cheap enough for the
upload request, and it says how many rows the file holds. Both steps take a `progress(stage, fraction, ...)`
callable (a background job's bar); commit also a `before_commit(session, batch_id, plan)` called inside its
transaction once everything is written (a job marks itself done there, so the two commit together).

Reading, mapping and value checking are the pure importer's (guarantees.importer); the row rules
are import_rows'; the writes are import_writes'. Commit writes, in one transaction through the
dual-write adapter: one ``excel_import`` batch (total_records = rows written, ready_records =
those whose guarantee is matched to both dictionaries), its guarantees, legacy rows and items. Rows pasted on
today's page (services/paste.py) take the same road into the day's ``text_paste`` batch instead.
Bad files raise BadWorkbook (a ValidationFailed carrying the reader's message); a file already
imported (same SHA-256) raises DuplicateFile unless confirmed; a file without one valid row
raises NothingToImport. Nothing is written in any of these cases.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from guarantees.clock import today
from guarantees.config import INSTANCE
from guarantees.domain.descriptions import describe
from guarantees.extensions import db
from guarantees.importer.error_workbook import write_error_workbook
from guarantees.importer.mapping import FIELDS, detect
from guarantees.importer.reader import Inspection, Workbook, WorkbookError, inspect_workbook, read_workbook
from guarantees.importer.rows import SkippedRow, parse_rows
from guarantees.importer.template import write_template
from guarantees.models import ImportBatch, ImportBatchItem
from guarantees.models.batch import DAILY_BATCH_TYPES
from guarantees.services import import_writes
from guarantees.services.batches import count_rows, todays_batch
from guarantees.services.dualwrite import DualWriteAdapter
from guarantees.services.errors import DomainError, ValidationFailed
from guarantees.services.import_rows import OUTCOMES, ImportPreview, RowOutcome, build_preview
from guarantees.services.transaction import unit_of_work

__all__ = [
    "FIELDS",
    "OUTCOMES",
    "BadWorkbook",
    "DuplicateFile",
    "ImportPreview",
    "ImportResult",
    "NothingToImport",
    "RowOutcome",
    "commit",
    "describe_batch",
    "evaluate",
    "inspect",
    "read",
    "write_errors",
    "write_template",
]

Source = bytes | str | os.PathLike | BinaryIO | Workbook
Progress = Callable[..., None]


class DuplicateFile(DomainError):
    """This very file (same SHA-256) was imported before; commit again only with confirmation."""

    def __init__(self, message: str, *, batches: list[dict]) -> None:
        super().__init__(message)
        self.batches = batches


class BadWorkbook(ValidationFailed):
    """The file cannot be imported (not a workbook, encrypted, empty, too big, no header ...)."""


class NothingToImport(ValidationFailed):
    """No row of the file can be written."""


@dataclass
class ImportResult:
    """A committed import: its preview, its batch, and the rejected rows' workbook if any."""

    preview: ImportPreview
    batch_id: int
    error_workbook: str | None  # path of the rejected rows' workbook, when rows were rejected

    def as_json(self, *, rows: bool = False) -> dict:
        data = self.preview.as_json(rows=rows)
        data["batch_id"] = self.batch_id
        if self.error_workbook:
            data["error_workbook"] = self.error_workbook
        return data


def describe_batch(batch: dict) -> str:
    """'batch 3 of 2025-06-01 09:30 UTC by clerk', for an entry of ImportPreview.duplicate_of."""
    when = batch["created_at"].strftime("%Y-%m-%d %H:%M UTC") if batch["created_at"] else _("an unknown date")
    if batch["created_by"]:
        return _("batch %(id)s of %(when)s by %(user)s", id=batch["id"], when=when, user=batch["created_by"])
    return _("batch %(id)s of %(when)s", id=batch["id"], when=when)


def limits() -> dict:
    """The largest file (bytes) and the most rows per sheet an import takes."""
    config = current_app.config
    return {"max_bytes": int(config["MAX_UPLOAD_BYTES"]), "max_rows": int(config["MAX_IMPORT_ROWS"])}


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file's rows are read, evaluated and written.

    Those steps allocate millions of small objects that stay alive until the end; each full
    collection would walk all of them again (reading and parsing 50,000 rows takes 2.5 times
    longer with it). Reference counting still frees everything else at once.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def inspect(source: bytes | str | os.PathLike | BinaryIO) -> Inspection:
    """The reader's checks without the parse (BadWorkbook when refused): kind, size, and rows when known."""
    try:
        return inspect_workbook(source, **limits())
    except WorkbookError as error:
        raise BadWorkbook(error.message) from error


def read(source: bytes | str | os.PathLike | BinaryIO) -> Workbook:
    """The workbook's sheets, read once (BadWorkbook when refused)."""
    try:
        return read_workbook(source, **limits())
    except WorkbookError as error:
        raise BadWorkbook(error.message) from error


def _read(source: Source, sheet: str | None, overrides: Mapping | None):
    workbook = source if isinstance(source, Workbook) else read(source)
    try:
        detection = detect(workbook, sheet=sheet, overrides=overrides)
    except WorkbookError as error:
        raise BadWorkbook(error.message) from error
    skipped: list[SkippedRow] = []
    rows = list(parse_rows(workbook, detection, skipped=skipped))
    return workbook, detection, rows, skipped


def evaluate(
    source: Source,
    filename: str,
    *,
    sheet: str | None = None,
    overrides: Mapping[str, str | None] | None = None,
    progress: Progress | None = None,
) -> ImportPreview:
    """What committing this file would do, row by row; reads the register, writes nothing."""
    with _gc_paused():
        workbook, detection, rows, skipped = _read(source, sheet, overrides)
        if progress:
            progress("checking", 0.1)
        return build_preview(db.session, workbook, detection, rows, skipped, filename)[0]


def _error_path(batch_id: int) -> Path:
    folder = Path(current_app.config.get("UPLOAD_FOLDER") or INSTANCE / "uploads") / "errors"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"batch-{batch_id}-errors.xlsx"


def _serialise_lock(session: Session, sha256: str) -> None:
    """PostgreSQL: one commit of a given file at a time, so that the duplicate check holds under races."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(sha256, 0))))


def commit(
    source: Source,
    filename: str,
    *,
    sheet: str | None = None,
    overrides: Mapping[str, str | None] | None = None,
    user: str | None,
    confirm_duplicate: bool = False,
    progress: Progress | None = None,
    before_commit: Callable[[Session, int, ImportPreview], None] | None = None,
    batch_type: str = "excel_import",
) -> ImportResult:
    """Import the file's valid rows as one batch in one transaction; the rejected rows go to an error workbook.
    With a daily batch_type (pasted rows: text_paste) the rows join that day's batch instead, found or created
    race-safely, numbered after its earlier rows; their rejected rows stay in the preview's workbook."""
    progress = progress or _quiet
    with _gc_paused():
        workbook, detection, rows, skipped = _read(source, sheet, overrides)
        progress("checking", 0.1)
        error_file: Path | None = None
        try:
            with unit_of_work() as session:
                _serialise_lock(session, workbook.sha256)
                plan, stored = build_preview(session, workbook, detection, rows, skipped, filename)
                _check(plan, confirm_duplicate)
                progress("writing", 0.0, done=0, total=plan.writable)
                if batch_type in DAILY_BATCH_TYPES:
                    batch, number_from = _daily_batch(session, plan, batch_type, user)
                    ids = import_writes.insert_new(session, plan, batch, user)
                    import_writes.update_existing(session, plan, stored)
                    import_writes.write_items(
                        session, plan, batch, ids, user, progress=progress, number_from=number_from
                    )
                else:
                    batch = ImportBatch(
                        batch_type="excel_import",
                        description=describe("excel_import", file=filename),
                        filename=filename,
                        file_sha256=workbook.sha256,
                        batch_date=today(),
                        total_records=plan.writable,
                        ready_records=0,
                        origin="app",
                        created_by=user,
                    )
                    session.add(batch)
                    session.flush()
                    DualWriteAdapter(session).open_batch(batch)
                    ids = import_writes.insert_new(session, plan, batch, user)
                    import_writes.update_existing(session, plan, stored)
                    batch.ready_records = import_writes.write_items(session, plan, batch, ids, user, progress=progress)
                if plan.counts["error"] and batch_type not in DAILY_BATCH_TYPES:
                    error_file = _error_path(batch.id)
                    write_errors(plan, error_file)
                session.flush()
                batch_id = batch.id
                if before_commit:
                    before_commit(session, batch_id, plan)
        except BaseException:
            if error_file is not None:
                error_file.unlink(missing_ok=True)
            raise
    return ImportResult(plan, batch_id, str(error_file) if error_file else None)


def _daily_batch(session: Session, plan: ImportPreview, batch_type: str, user: str | None) -> tuple[ImportBatch, int]:
    """Today's batch of this type (created on first use) with the plan's rows counted in, and the row number its
    first new item takes. The counters are added first: that update locks the batch's row, so a concurrent paste
    into it waits, then counts the items this one wrote."""
    batch = todays_batch(session, user=user, batch_type=batch_type)
    written = [row for row in plan.rows if row.outcome != "error"]
    ready = sum(1 for row in written if row.after["match_status"] == "ready")
    count_rows(session, batch, total=len(written), ready=ready)
    earlier = session.scalar(
        sa.select(sa.func.count()).select_from(ImportBatchItem).where(ImportBatchItem.batch_id == batch.id)
    )
    return batch, earlier + 1


def _quiet(*_args, **_kwargs) -> None:
    """No progress to report (an import in the request)."""


def _check(plan: ImportPreview, confirm_duplicate: bool) -> None:
    """Refuse a file imported before (unless confirmed) and a file without one row to write."""
    if plan.duplicate_of and not confirm_duplicate:
        raise DuplicateFile(
            _(
                "This file was already imported (%(batch)s); importing it again needs a confirmation.",
                batch=describe_batch(plan.duplicate_of[-1]),
            ),
            batches=plan.duplicate_of,
        )
    if not plan.writable:
        errors = plan.counts["error"]
        if errors:
            raise NothingToImport(
                _("Nothing to import: the file has no valid guarantee row (%(count)d rows with errors).", count=errors)
            )
        raise NothingToImport(_("Nothing to import: the file has no valid guarantee row."))


def write_errors(preview: ImportPreview, stream_or_path: str | os.PathLike | BinaryIO) -> None:
    """The rejected rows as an .xlsx: the file's own columns and a reason column."""
    write_error_workbook(((row.raw, row.reason or "") for row in preview.errors), preview.headers, stream_or_path)
