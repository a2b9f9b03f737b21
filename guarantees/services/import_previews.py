"""An upload's preview, kept on disk once computed, so that its pages, filters and downloads read it back.

At 200,000 rows evaluating a workbook against the register takes seconds; a page of the preview must not. So
the evaluation (services.imports.evaluate) is made once per upload and mapping, in the request for a small
file or by a job for a large one, and kept in a small SQLite file beside the upload (whatever the register's
database is: it is a cache of the upload's, deleted with it):

* ``summary``: the preview without its rows (sheet, header, mapping, counts, earlier imports of the file,
  skipped rows), pickled;
* ``rows``: one row per evaluated row, its outcome indexed, holding what the preview page shows of it (and,
  for the rows in error, the raw cells the error workbook lists).

A page of rows is one indexed query. The file is written under another name and moved into place, so a
reader sees the old preview or the new one, never half of one. The preview is the register as it was when it
was made (its time is kept): the confirmation evaluates the file again, in its own transaction.
Only this code writes these files, under random names in the upload folder: unpickling them is safe.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from guarantees.models.base import utcnow
from guarantees.repositories.pages import Page, clamp
from guarantees.services.import_rows import ImportPreview, RowOutcome

# The parsed values a preview row shows; the guarantee columns its expiry badge needs.
SHOWN_VALUES = ("supplier", "bank", "amount", "currency", "expiry_date")
_WRITE_CHUNK = 5_000


@dataclass(slots=True)
class PreviewRow:
    """What the preview page shows of one evaluated row (a RowOutcome without the register's columns)."""

    row_number: int
    outcome: str
    guarantee_number: str | None
    guarantee_id: int | None
    values: dict
    changes: dict | None  # update rows: guarantee column -> (old, new) as text
    reason: str | None
    notes: list[str]
    after: dict | None  # {"status", "expiry_date"} after the row, for the expiry badge
    raw: dict | None = None  # error rows: header -> the cell as text, for the error workbook


@dataclass
class Summary:
    filename: str
    sha256: str
    sheet: str
    sheets: list[str]
    header_row: int
    columns: dict[str, str]
    headers: list[str]
    ignored: list[str]
    counts: dict[str, int]
    duplicate_of: list[dict]
    skipped: list
    chosen: dict[str, str]  # ImportPreview.selected()
    total: int
    # (outcome, status, expiry date) -> rows, over the rows a commit would write that have an expiry date
    expiries: dict[tuple, int] = field(default_factory=dict)
    made_at: datetime = field(default_factory=utcnow)


def _row(outcome: RowOutcome) -> PreviewRow:
    after = outcome.after
    return PreviewRow(
        row_number=outcome.row_number,
        outcome=outcome.outcome,
        guarantee_number=outcome.guarantee_number,
        guarantee_id=outcome.guarantee_id,
        values={name: outcome.values.get(name) for name in SHOWN_VALUES if outcome.values.get(name) is not None},
        changes=dict(outcome.changes) if outcome.outcome == "update" else None,
        reason=outcome.reason,
        notes=list(outcome.notes),
        after=None if after is None else {"status": after.get("status"), "expiry_date": after.get("expiry_date")},
        raw=dict(outcome.raw) if outcome.outcome == "error" else None,
    )


def _record(n: int, outcome: RowOutcome) -> tuple:
    return n, outcome.outcome, pickle.dumps(_row(outcome), pickle.HIGHEST_PROTOCOL)


def write(path: Path, preview: ImportPreview, progress: Callable | None = None) -> None:
    """Keep `preview` at `path` (replacing any earlier one at once)."""
    summary = Summary(
        filename=preview.filename,
        sha256=preview.sha256,
        sheet=preview.sheet,
        sheets=list(preview.sheets),
        header_row=preview.header_row,
        columns=dict(preview.columns),
        headers=list(preview.headers),
        ignored=list(preview.ignored),
        counts=dict(preview.counts),
        duplicate_of=list(preview.duplicate_of),
        skipped=list(preview.skipped),
        chosen=preview.selected(),
        total=len(preview.rows),
        expiries=dict(
            Counter(
                (row.outcome, row.after.get("status"), row.after.get("expiry_date"))
                for row in preview.rows
                if row.outcome != "error" and row.after is not None and row.after.get("expiry_date") is not None
            )
        ),
    )
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    connection = sqlite3.connect(partial)
    try:
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("CREATE TABLE summary (data BLOB NOT NULL)")
        connection.execute("CREATE TABLE rows (n INTEGER PRIMARY KEY, outcome TEXT NOT NULL, data BLOB NOT NULL)")
        connection.execute("INSERT INTO summary VALUES (?)", (pickle.dumps(summary, pickle.HIGHEST_PROTOCOL),))
        rows = preview.rows
        for start in range(0, len(rows), _WRITE_CHUNK):
            part = rows[start : start + _WRITE_CHUNK]
            connection.executemany(
                "INSERT INTO rows VALUES (?, ?, ?)", map(_record, range(start, start + len(part)), part)
            )
            if progress:
                progress("saving", (start + len(part)) / len(rows))
        connection.execute("CREATE INDEX rows_outcome ON rows (outcome, n)")
        connection.commit()
    finally:
        connection.close()
    os.replace(partial, path)


class Snapshot:
    """A kept preview, read back: the summary's fields as attributes, and its rows a page at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        ((data,),) = self._read("SELECT data FROM summary")
        self.summary: Summary = pickle.loads(data)  # noqa: S301 - written by write() above

    def _read(self, query: str, params: tuple = ()) -> list[tuple]:
        with contextlib.closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as connection:
            return connection.execute(query, params).fetchall()

    def __getattr__(self, name: str):
        if name in Summary.__dataclass_fields__:
            return getattr(self.summary, name)
        raise AttributeError(name)

    @property
    def writable(self) -> int:
        """How many rows a commit would write."""
        return self.summary.total - self.summary.counts["error"]

    def selected(self) -> dict[str, str]:
        return self.summary.chosen

    def page(self, outcome: str | None, page: int, per_page: int) -> Page:
        """One page of the rows (of one outcome, or all), out-of-range pages clamped."""
        total = self.summary.total if outcome is None else self.summary.counts.get(outcome, 0)
        page = clamp(page, total, per_page)
        query, params = "SELECT data FROM rows", ()
        if outcome is not None:
            query, params = query + " WHERE outcome = ?", (outcome,)
        found = self._read(query + " ORDER BY n LIMIT ? OFFSET ?", (*params, per_page, (page - 1) * per_page))
        return Page([pickle.loads(data) for (data,) in found], page, per_page, total)  # noqa: S301

    @property
    def errors(self) -> Iterator[PreviewRow]:
        """The rows in error, in order, with their raw cells."""
        with contextlib.closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as connection:
            for (data,) in connection.execute("SELECT data FROM rows WHERE outcome = 'error' ORDER BY n"):
                yield pickle.loads(data)  # noqa: S301

    def written(self) -> Iterator[tuple[PreviewRow, int]]:
        """The rows a commit would write, as far as their expiry goes: (a row, how many rows have its outcome,
        status and expiry date), for totals over the whole preview at the cost of its distinct dates."""
        for (outcome, status, expiry), count in self.summary.expiries.items():
            after = {"status": status, "expiry_date": expiry}
            yield PreviewRow(0, outcome, None, None, {}, None, None, [], after), count

    def with_duplicates(self, batches: list[dict]) -> None:
        """Record the earlier imports of this file found since the preview was made (the confirmation needs them)."""
        self.summary.duplicate_of = list(batches)
        with contextlib.closing(sqlite3.connect(self.path)) as connection:
            connection.execute("UPDATE summary SET data = ?", (pickle.dumps(self.summary, pickle.HIGHEST_PROTOCOL),))
            connection.commit()
