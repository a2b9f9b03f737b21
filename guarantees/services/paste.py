"""Rows pasted on today's page: read like a workbook, previewed and confirmed like an import, into the day's
``text_paste`` batch.

The text is cut into cells by importer/paste.py; from there on it is an import's upload (import_uploads):
the same column detection, mapping correction, row rules, preview pages and confirmation, whose commit
(imports.commit with batch_type text_paste) adds the valid rows to the day's pasted-rows batch.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from guarantees.clock import today
from guarantees.extensions import db
from guarantees.importer.paste import MAX_TEXT_BYTES, read_paste, too_big
from guarantees.importer.reader import MAX_COLUMNS, WorkbookError
from guarantees.models import ImportBatch, Job
from guarantees.services import import_uploads
from guarantees.services.import_uploads import Upload
from guarantees.services.imports import BadWorkbook

__all__ = ["BATCH_TYPE", "MAX_TEXT_BYTES", "receive", "todays_batch", "too_big"]

BATCH_TYPE = "text_paste"
FILENAME = "pasted-rows"  # the upload's name: the stem of its rejected rows' workbook


def receive(text: str, *, user: str, locale: str | None = None) -> tuple[Upload, Job | None]:
    """Keep pasted rows for their preview (BadWorkbook with the reason when they cannot be read, nothing kept)."""
    try:
        pasted = read_paste(text, max_rows=int(current_app.config["MAX_IMPORT_ROWS"]), max_columns=MAX_COLUMNS)
    except WorkbookError as error:
        raise BadWorkbook(error.message) from error
    extra = {"has_header": pasted.has_header, "separator": pasted.separator}
    return import_uploads.receive_grid(
        pasted.workbook,
        FILENAME,
        user=user,
        batch_type=BATCH_TYPE,
        overrides=pasted.overrides,
        extra=extra,
        locale=locale,
    )


def todays_batch() -> ImportBatch | None:
    """Today's pasted-rows batch, if rows were pasted today."""
    return db.session.scalar(
        sa.select(ImportBatch).where(ImportBatch.batch_type == BATCH_TYPE, ImportBatch.batch_date == today())
    )
