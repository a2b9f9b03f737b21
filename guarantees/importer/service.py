"""The Excel import: preview a workbook against the register, then commit its valid rows as one batch.

    result = preview(path_or_bytes, "July.xlsx")                 # reads only
    result = commit(path_or_bytes, "July.xlsx", user="clerk")    # one transaction, one batch

Rules, per data row (rows are read top to bottom, each against the register *as the rows
above left it*):

* ``error``: a cell did not parse, a value is too long for its column, or a number the
  register does not know yet lacks a supplier or a bank. Error rows are never written; they
  go to the error workbook with their reason.
* ``new``: a number the register does not know, with supplier and bank.
* ``update``: a known number whose non-blank cells differ from the stored values. A blank
  cell never erases a stored value. Supplier and bank are re-matched to the dictionaries
  when one of them changes.
* ``unchanged``: a known number whose non-blank cells all equal the stored values.
* The same number twice in one file: the later row wins. Each row is evaluated after the
  rows above it, so the second row is an ``update`` (its diffs against the first) or
  ``unchanged``, and both are items of the batch; the second row carries a note.
* A locked guarantee keeps its protected fields (identifying fields, currency and
  related_to, and expiry/amount/status which change only through actions; every field once
  released). A row that differs there is not an error: the allowed changes (the comment)
  are applied and the row is ``update``, or ``unchanged`` when nothing else differs, and
  in both cases a note lists the values left as they are. The import never fails for it.

Commit writes, in one transaction through the dual-write adapter: one ``excel_import``
batch (total_records = rows written, ready_records = those whose guarantee is matched to
both dictionaries), the new guarantees (one bulk insert), the changed ones (bulk updates
that check and increment ``version``: a concurrent change raises Conflict), one legacy
row per written row, and one append-only item per written row linked to its legacy row.
Bad files raise BadWorkbook (a ValidationFailed wrapping the reader's WorkbookError); a file
already imported raises DuplicateFile unless confirmed; a file without one valid row
raises NothingToImport. Nothing is written in any of these cases.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from guarantees.clock import today
from guarantees.config import INSTANCE
from guarantees.domain import fields as rules
from guarantees.extensions import db
from guarantees.importer.error_workbook import write_error_workbook
from guarantees.importer.mapping import FIELDS, Detection, detect
from guarantees.importer.reader import Workbook, WorkbookError, read_workbook
from guarantees.importer.rows import ParsedRow, SkippedRow, parse_rows
from guarantees.legacy.sql import insert_all
from guarantees.models import Guarantee, ImportBatch, ImportBatchItem
from guarantees.models.base import utcnow
from guarantees.services.dualwrite import DualWriteAdapter
from guarantees.services.errors import Conflict, DomainError, ValidationFailed
from guarantees.services.fields import display
from guarantees.services.matching import matcher_for
from guarantees.services.transaction import unit_of_work

__all__ = [
    "BadWorkbook",
    "DuplicateFile",
    "ImportPreview",
    "ImportResult",
    "NothingToImport",
    "RowOutcome",
    "commit",
    "describe_batch",
    "parse_overrides",
    "preview",
    "write_errors",
]

OUTCOMES = ("new", "update", "unchanged", "error")
ITEM_OUTCOMES = {"new": "created", "update": "updated", "unchanged": "unchanged"}

# Import field -> Guarantee column.
COLUMN_OF = {
    "guarantee_number": "guarantee_number",
    "supplier": "raw_supplier_name",
    "bank": "raw_bank_name",
    "amount": "amount",
    "currency": "currency",
    "issue_date": "issue_date",
    "expiry_date": "expiry_date",
    "contract_number": "contract_number",
    "po_number": "po_number",
    "type": "type",
    "comment": "comment",
}
MATCH_COLUMNS = ("supplier_id", "bank_id", "supplier_display_name", "bank_display", "match_status")
# The columns an import may set, and so compares and records.
STATE_COLUMNS = (*COLUMN_OF.values(), "related_to", *MATCH_COLUMNS)
_LOADED = ("id", "version", "is_locked", "status", "lock_reason", *STATE_COLUMNS)
# Column widths the database holds that the cell parsers do not already enforce.
MAX_LENGTH = {"type": 50}
_CHUNK = 5000  # numbers per IN list (SQLite allows 32,766 variables, PostgreSQL 65,535)
# Rows written per bulk statement (and per record_items call): bounds the parameters held at once
# (about 10 KB a row across guarantees, legacy rows and items) without costing round trips.
WRITE_CHUNK = 10_000


class DuplicateFile(DomainError):
    """This very file (same SHA-256) was imported before; commit again only with confirmation."""

    def __init__(self, message: str, *, batches: list[dict]) -> None:
        super().__init__(message)
        self.batches = batches


class BadWorkbook(ValidationFailed):
    """The file cannot be imported (not a workbook, encrypted, empty, too big, no header ...)."""


class NothingToImport(ValidationFailed):
    """No row of the file can be written."""


@dataclass(slots=True)
class RowOutcome:
    row_number: int  # 1-based spreadsheet row
    outcome: str  # 'new' | 'update' | 'unchanged' | 'error'
    guarantee_number: str | None
    guarantee_id: int | None  # known guarantees; new ones get theirs on commit
    diffs: dict[str, tuple[str | None, str | None]] | None  # see changes; None: worked out from `after`
    reason: str | None  # why the row is an error
    notes: list[str]  # what the user should know about a written row (locked fields, repeated number)
    values: dict  # import field -> parsed value (None for a blank cell)
    after: dict | None = field(default=None, repr=False, compare=False)  # the guarantee's columns after this row
    source: ParsedRow | None = field(default=None, repr=False, compare=False)
    _raw: dict | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def changes(self) -> dict[str, tuple[str | None, str | None]]:
        """Guarantee column -> (old, new) as display text; a new guarantee's every value (worked out when asked)."""
        if self.diffs is None:
            self.diffs = _all_values(self.after)
        return self.diffs

    @property
    def raw(self) -> dict[str, str]:
        """header -> the cell as text, for every column of the header row (worked out when first asked)."""
        if self._raw is None:
            self._raw = self.source.raw if self.source is not None else {}
        return self._raw

    def as_json(self) -> dict:
        return {
            "row": self.row_number,
            "outcome": self.outcome,
            "guarantee_number": self.guarantee_number,
            "guarantee_id": self.guarantee_id,
            "changes": {name: list(pair) for name, pair in self.changes.items()},
            "reason": self.reason,
            "notes": self.notes,
            "values": {name: display(value) for name, value in self.values.items()},
        }


@dataclass
class ImportPreview:
    filename: str
    sha256: str
    sheet: str
    sheets: list[str]  # every worksheet, for a sheet chooser
    header_row: int  # 1-based
    columns: dict[str, str]  # import field -> header text as found
    headers: list[str]  # every header of the header row, for the mapping editor
    ignored: list[str]  # header cells mapped to no field
    rows: list[RowOutcome]
    counts: dict[str, int]  # new, update, unchanged, error
    duplicate_of: list[dict]  # earlier batches of the same file: {id, created_at, created_by, filename}
    skipped: list[SkippedRow] = field(default_factory=list)  # non-blank rows that are no guarantee rows

    @property
    def errors(self) -> list[RowOutcome]:
        return [row for row in self.rows if row.outcome == "error"]

    def as_json(self, *, rows: bool = False) -> dict:
        """The summary as JSON-ready data (every row too with rows=True)."""
        data = {
            "filename": self.filename,
            "sha256": self.sha256,
            "sheet": self.sheet,
            "sheets": self.sheets,
            "header_row": self.header_row,
            "columns": self.columns,
            "headers": self.headers,
            "ignored": self.ignored,
            "counts": self.counts,
            "errors": [{"row": row.row_number, "reason": row.reason} for row in self.errors],
            "skipped": [{"row": row.row_number, "reason": row.reason} for row in self.skipped],
            "duplicate_of": [{**batch, "created_at": display(batch["created_at"])} for batch in self.duplicate_of],
        }
        if rows:
            data["rows"] = [row.as_json() for row in self.rows]
        return data


@dataclass
class ImportResult:
    preview: ImportPreview
    batch_id: int
    error_workbook: str | None  # path of the rejected rows' workbook, when rows were rejected

    def as_json(self, *, rows: bool = False) -> dict:
        data = self.preview.as_json(rows=rows)
        data["batch_id"] = self.batch_id
        if self.error_workbook:
            data["error_workbook"] = self.error_workbook
        return data


# ----------------------------------------------------------------------------- arguments


def parse_overrides(items: Iterable[str]) -> dict[str, str | None]:
    """["supplier=CONTRACTOR NAME", "comment="] -> {"supplier": "CONTRACTOR NAME", "comment": None}."""
    overrides: dict[str, str | None] = {}
    for item in items:
        name, sep, header = item.partition("=")
        name = name.strip().lower().replace("-", "_")
        if not sep or not name:
            raise ValidationFailed(
                f"Write a column mapping as FIELD=HEADER (e.g. supplier=CONTRACTOR NAME), not {item!r}."
            )
        if name not in FIELDS:
            raise ValidationFailed(f"Unknown field {name!r} in {item!r}. Fields: {', '.join(FIELDS)}.")
        if name in overrides:
            raise ValidationFailed(f"The field {name!r} is mapped twice.")
        overrides[name] = header.strip() or None
    return overrides


def _limits() -> dict:
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


def _read(source: bytes | str | os.PathLike | BinaryIO, sheet: str | None, overrides: Mapping | None):
    try:
        workbook = read_workbook(source, **_limits())
        detection = detect(workbook, sheet=sheet, overrides=overrides)
    except WorkbookError as error:
        raise BadWorkbook(error.message) from error
    skipped: list[SkippedRow] = []
    rows = list(parse_rows(workbook, detection, skipped=skipped))
    return workbook, detection, rows, skipped


# ----------------------------------------------------------------------------- evaluation


def _load(session: Session, numbers: Iterable[str]) -> dict[str, dict]:
    """The stored columns of the guarantees with these numbers, by number (IN lists of _CHUNK)."""
    table = Guarantee.__table__
    columns = [table.c[name] for name in _LOADED]
    numbers = list(numbers)
    found: dict[str, dict] = {}
    for start in range(0, len(numbers), _CHUNK):
        chunk = numbers[start : start + _CHUNK]
        for row in session.execute(sa.select(*columns).where(table.c.guarantee_number.in_(chunk))).tuples():
            stored = dict(zip(_LOADED, row, strict=True))
            found[stored["guarantee_number"]] = stored
    return found


def describe_batch(batch: dict) -> str:
    """'batch 3 of 2025-06-01 09:30 UTC by clerk', for an entry of ImportPreview.duplicate_of."""
    when = batch["created_at"].strftime("%Y-%m-%d %H:%M UTC") if batch["created_at"] else "an unknown date"
    return f"batch {batch['id']} of {when}" + (f" by {batch['created_by']}" if batch["created_by"] else "")


def _duplicates(session: Session, sha256: str) -> list[dict]:
    query = (
        sa.select(ImportBatch.id, ImportBatch.created_at, ImportBatch.created_by, ImportBatch.filename)
        .where(ImportBatch.file_sha256 == sha256, ImportBatch.batch_type == "excel_import")
        .order_by(ImportBatch.id)
    )
    return [dict(row) for row in session.execute(query).mappings()]


# The columns of a guarantee the file creates, before its cells are applied.
_BLANK = {**dict.fromkeys(STATE_COLUMNS), "id": None, "version": None, "is_locked": False, "status": "active",
          "lock_reason": None}  # fmt: skip


def _show(value: object) -> str | None:
    """display(), faster for the common kinds (it runs for every cell of a preview)."""
    kind = type(value)
    if kind is str or value is None:
        return value
    if kind is date or kind is Decimal or kind is int:
        return value.isoformat() if kind is date else str(value)
    return display(value)


def _all_values(after: dict) -> dict[str, tuple[None, str]]:
    """The changes of a new guarantee: every value it gets."""
    return {name: (None, _show(after[name])) for name in STATE_COLUMNS if after[name] is not None}


def _diffs_of(row: RowOutcome) -> dict:
    """row.changes without keeping them on the row."""
    return row.diffs if row.diffs is not None else _all_values(row.after)


def _too_long(values: dict) -> bool:
    for name, limit in MAX_LENGTH.items():
        value = values.get(name)
        if value is not None and len(value) > limit:
            return True
    return False


class _Evaluator:
    """Turns parsed rows into outcomes against the register, row after row (the later row wins)."""

    def __init__(self, session: Session, rows: list[ParsedRow]) -> None:
        self.stored = _load(session, {row.guarantee_number for row in rows if row.guarantee_number})
        self.current: dict[str, dict] = dict(self.stored)  # number -> columns after the rows so far
        self.first_row: dict[str, int] = {}
        self.matcher = matcher_for(session)
        self.matches: dict[tuple, dict] = {}

    def match(self, supplier: str | None, bank: str | None) -> dict:
        key = (supplier, bank)
        found = self.matches.get(key)
        if found is None:
            found = self.matches[key] = self.matcher.match(supplier, bank).as_fields()
        return found

    def problems(self, row: ParsedRow, current: dict | None) -> list[str]:
        """Why a row cannot be written (empty when it can)."""
        values = row.values
        problems = list(row.errors)
        for name, limit in MAX_LENGTH.items():
            value = values.get(name)
            if value is not None and len(value) > limit:
                problems.append(f"{name}: {value[:37]!r} is too long ({len(value)} characters, at most {limit})")
        if current is None and not problems:
            missing = [name for name in ("supplier", "bank") if not values.get(name)]
            if missing:
                problems.append(f"{' and '.join(missing)}: required for a new guarantee")
        return problems

    def evaluate(self, row: ParsedRow) -> RowOutcome:
        values = row.values
        number = row.guarantee_number
        current = self.current.get(number) if number else None
        # The common row (it parsed, fits, and is known or names supplier and bank) skips the checks.
        if row.errors or _too_long(values) or (current is None and not (values.get("supplier") and values.get("bank"))):
            existing = self.stored.get(number) if number else None
            guarantee_id = existing["id"] if existing else None
            reason = "; ".join(self.problems(row, current))
            return RowOutcome(row.row_number, "error", number, guarantee_id, {}, reason, [], values, source=row)
        notes: list[str] = []
        first = self.first_row.setdefault(number, row.row_number)
        if first != row.row_number:
            notes.append(f"{number} is also on row {first}: the later row wins")
        if current is None:
            after = self._new(row)
            changes, outcome, guarantee_id = None, "new", None
        else:
            after, changes = self._update(row, current, notes)
            outcome, guarantee_id = ("update" if changes else "unchanged"), current["id"]
        self.current[number] = after
        return RowOutcome(row.row_number, outcome, number, guarantee_id, changes, None, notes, values, after, row)

    def _new(self, row: ParsedRow) -> dict:
        after = _BLANK.copy()
        for name, value in row.values.items():
            after[COLUMN_OF[name]] = value
        after["currency"] = after["currency"] or "SAR"
        after["related_to"] = row.related_to
        after.update(self.match(after["raw_supplier_name"], after["raw_bank_name"]))
        return after

    def _update(self, row: ParsedRow, current: dict, notes: list[str]) -> tuple[dict, dict]:
        wanted = {}
        for name, value in row.values.items():
            if value is not None:
                column = COLUMN_OF[name]
                if value != current[column]:
                    wanted[column] = value
        if row.related_to is not None and row.related_to != current["related_to"]:
            wanted["related_to"] = row.related_to
        if not wanted:
            return current, {}
        # What a locked guarantee keeps whatever a file says (inline editing protects the same set).
        protected = rules.protected_fields(
            status=current["status"], is_locked=current["is_locked"], fields=STATE_COLUMNS
        )
        why = rules.lock_reason_text(status=current["status"], lock_reason=current["lock_reason"])
        kept = [column for column in wanted if column in protected]
        if kept:
            shown = ", ".join(f"{column} {display(wanted.pop(column))!r}" for column in kept)
            notes.append(f"Locked because {why}: kept the stored value instead of {shown}")
            if not wanted:
                return current, {}
        after = {**current, **wanted}
        if "raw_supplier_name" in wanted or "raw_bank_name" in wanted:
            for column, value in self.match(after["raw_supplier_name"], after["raw_bank_name"]).items():
                if value != current[column]:
                    after[column] = wanted[column] = value
        changes = {column: (_show(current[column]), _show(value)) for column, value in wanted.items()}
        return after, changes


def _build_preview(session, workbook: Workbook, detection: Detection, rows, skipped, filename):
    """The preview, and the stored columns of the known guarantees it was evaluated against."""
    evaluator = _Evaluator(session, rows)
    outcomes = [evaluator.evaluate(row) for row in rows]
    counts = dict.fromkeys(OUTCOMES, 0)
    for outcome in outcomes:
        counts[outcome.outcome] += 1
    built = ImportPreview(
        filename=filename,
        sha256=workbook.sha256,
        sheet=detection.sheet,
        sheets=[sheet.name for sheet in workbook.sheets],
        header_row=detection.header_row,
        columns=detection.column_headers(),
        headers=list(detection.headers),
        ignored=list(detection.ignored),
        rows=outcomes,
        counts=counts,
        duplicate_of=_duplicates(session, workbook.sha256),
        skipped=skipped,
    )
    return built, evaluator.stored


def preview(
    source: bytes | str | os.PathLike | BinaryIO,
    filename: str,
    *,
    sheet: str | None = None,
    overrides: Mapping[str, str | None] | None = None,
) -> ImportPreview:
    """What committing this file would do, row by row; reads the register, writes nothing."""
    with _gc_paused():
        workbook, detection, rows, skipped = _read(source, sheet, overrides)
        return _build_preview(db.session, workbook, detection, rows, skipped, filename)[0]


# ----------------------------------------------------------------------------- commit


def _error_path(batch_id: int) -> Path:
    folder = Path(current_app.config.get("UPLOAD_FOLDER") or INSTANCE / "uploads") / "errors"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"batch-{batch_id}-errors.xlsx"


def _serialise_lock(session: Session, sha256: str) -> None:
    """PostgreSQL: one commit of a given file at a time, so that the duplicate check holds under races."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(sha256, 0))))


def _chunks(rows: list) -> Iterator[list]:
    """Slices of WRITE_CHUNK rows: each write builds its parameters for one slice at a time."""
    for start in range(0, len(rows), WRITE_CHUNK):
        yield rows[start : start + WRITE_CHUNK]


def _bulk_insert(session: Session, table: sa.Table, rows: list[dict]) -> None:
    """Insert many rows (all with the same keys) in the session's transaction: COPY on PostgreSQL, many
    rows per INSERT on SQLite (through a staging table where the search index's trigger would flush per row).
    Not the ORM's bulk insert, which starts a new statement whenever the NULL columns change from one row
    to the next, nor RETURNING, which costs a statement per row on SQLite when the order must be kept."""
    insert_all(session.connection(), table, rows)


def _insert_new(session: Session, plan: ImportPreview, batch: ImportBatch, user: str | None) -> dict[str, int]:
    """Insert the guarantees the file creates, in their final state; their ids by number."""
    finals: dict[str, dict] = {}
    for row in plan.rows:
        if row.after is not None and row.after["id"] is None:
            finals[row.guarantee_number] = row.after
    if not finals:
        return {}
    now, day = utcnow(), today()
    fixed = {
        "status": "active",
        "is_locked": False,
        "import_batch_id": batch.id,
        "import_type": "excel",
        "import_date": day,
        "version": 1,
        "created_by": user,
        "created_at": now,
        "updated_at": now,
    }
    table = Guarantee.__table__
    try:
        for part in _chunks(list(finals.values())):
            _bulk_insert(session, table, [{**{c: after[c] for c in STATE_COLUMNS}, **fixed} for after in part])
    except sa.exc.IntegrityError as error:  # (bulk_insert raises the driver's errors as SQLAlchemy's)
        raise Conflict(
            "Another change added some of these guarantee numbers while the file was being imported. "
            "Nothing was imported; preview the file again."
        ) from error
    # Every guarantee this batch created, and only those, carries its id.
    query = sa.select(table.c.guarantee_number, table.c.id).where(table.c.import_batch_id == batch.id)
    ids = dict(session.execute(query).tuples().all())
    if len(ids) != len(finals):
        raise Conflict("The register changed while the file was being imported. Nothing was imported; try again.")
    return ids


def _update_existing(session: Session, plan: ImportPreview, stored: dict[str, dict]) -> None:
    """Write the final state of every known guarantee the file changes: one executemany per set of columns."""
    finals: dict[str, dict] = {}
    for row in plan.rows:
        if row.outcome == "update" and row.after["id"] is not None:
            finals[row.guarantee_number] = row.after
    groups: dict[tuple[str, ...], list[dict]] = {}
    for number, after in finals.items():
        before = stored[number]
        changed = tuple(column for column in STATE_COLUMNS if after[column] != before[column])
        if changed:
            params = {f"v_{column}": after[column] for column in changed}
            params.update(b_id=before["id"], b_version=before["version"], b_next=before["version"] + 1)
            groups.setdefault(changed, []).append(params)
    table = Guarantee.__table__
    now = utcnow()
    for changed, params in groups.items():
        statement = (
            sa.update(table)
            .where(table.c.id == sa.bindparam("b_id"), table.c.version == sa.bindparam("b_version"))
            .values(
                {
                    **{column: sa.bindparam(f"v_{column}", type_=table.c[column].type) for column in changed},
                    "version": sa.bindparam("b_next"),
                    "updated_at": now,
                }
            )
        )
        result = session.execute(statement, params)
        if result.rowcount != len(params):
            raise Conflict(
                "Somebody changed some of these guarantees while the file was being imported. "
                "Nothing was imported; preview the file again."
            )


# The columns legacy_values() reads: the ORM bulk insert of record_items starts a new INSERT (and splices the
# RETURNING rows, in quadratic time) whenever the set of NULL values changes from one row to the next.
_LEGACY_READS = ("raw_supplier_name", "raw_bank_name", "amount", "issue_date", "expiry_date", "supplier_id", "bank_id",
                 "type", "comment", "bank_display", "supplier_display_name", "related_to", "match_status")  # fmt: skip


def _null_pattern(after: dict) -> tuple:
    return (
        *(after[column] is None for column in _LEGACY_READS),
        after["contract_number"] is None and after["po_number"] is None,
    )


def _record_legacy(session: Session, batch: ImportBatch, written: list[RowOutcome]) -> list[int | None]:
    """The legacy rows of the written rows, their ids in row order; sent grouped by NULL pattern to stay linear."""
    order = sorted(range(len(written)), key=lambda i: _null_pattern(written[i].after))
    ids = DualWriteAdapter(session).record_items(
        batch, [(written[i].after, written[i].guarantee_id, "import") for i in order]
    )
    in_row_order: list[int | None] = [None] * len(written)
    for position, i in enumerate(order):
        in_row_order[i] = ids[position]
    return in_row_order


def _write_items(session, plan: ImportPreview, batch: ImportBatch, ids: dict[str, int], user: str | None) -> int:
    """One legacy row and one item per written row, linked both ways; returns how many rows are ready."""
    written = [row for row in plan.rows if row.outcome != "error"]
    for row in written:
        if row.guarantee_id is None:
            row.guarantee_id = ids[row.guarantee_number]
    now = utcnow()
    for part in _chunks(written):
        legacy_ids = _record_legacy(session, batch, part)
        items = [
            {
                "batch_id": batch.id,
                "row_number": row.row_number,
                "guarantee_id": row.guarantee_id,
                "outcome": ITEM_OUTCOMES[row.outcome],
                # Worked out here, not through the caching properties: 200,000 rows would keep them all.
                "changes": {c: list(pair) for c, pair in _diffs_of(row).items()},
                "raw": row._raw if row._raw is not None else row.source.raw,
                "legacy_record_id": legacy_id,
                "created_by": user,
                "created_at": now,
            }
            for row, legacy_id in zip(part, legacy_ids, strict=True)
        ]
        _bulk_insert(session, ImportBatchItem.__table__, items)
    return sum(1 for row in written if row.after["match_status"] == "ready")


def commit(
    source: bytes | str | os.PathLike | BinaryIO,
    filename: str,
    *,
    sheet: str | None = None,
    overrides: Mapping[str, str | None] | None = None,
    user: str | None,
    confirm_duplicate: bool = False,
) -> ImportResult:
    """Import the file's valid rows as one batch in one transaction; the rejected rows go to an error workbook."""
    with _gc_paused():
        return _commit(source, filename, sheet, overrides, user, confirm_duplicate)


def _commit(source, filename, sheet, overrides, user, confirm_duplicate) -> ImportResult:
    workbook, detection, rows, skipped = _read(source, sheet, overrides)
    error_file: Path | None = None
    try:
        with unit_of_work() as session:
            _serialise_lock(session, workbook.sha256)
            plan, stored = _build_preview(session, workbook, detection, rows, skipped, filename)
            if plan.duplicate_of and not confirm_duplicate:
                raise DuplicateFile(
                    f"This file was already imported ({describe_batch(plan.duplicate_of[-1])}); "
                    "importing it again needs a confirmation.",
                    batches=plan.duplicate_of,
                )
            written = len(plan.rows) - plan.counts["error"]
            if not written:
                raise NothingToImport(
                    "Nothing to import: the file has no valid guarantee row"
                    + (f" ({plan.counts['error']} rows with errors)." if plan.counts["error"] else ".")
                )
            batch = ImportBatch(
                batch_type="excel_import",
                description=f"Excel import of {filename}",
                filename=filename,
                file_sha256=workbook.sha256,
                batch_date=today(),
                total_records=written,
                ready_records=0,
                origin="app",
                created_by=user,
            )
            session.add(batch)
            session.flush()
            DualWriteAdapter(session).open_batch(batch)
            ids = _insert_new(session, plan, batch, user)
            _update_existing(session, plan, stored)
            batch.ready_records = _write_items(session, plan, batch, ids, user)
            if plan.counts["error"]:
                error_file = _error_path(batch.id)
                write_errors(plan, error_file)
            session.flush()
            batch_id = batch.id
    except BaseException:
        if error_file is not None:
            error_file.unlink(missing_ok=True)
        raise
    return ImportResult(plan, batch_id, str(error_file) if error_file else None)


def write_errors(preview: ImportPreview, stream_or_path: str | os.PathLike | BinaryIO) -> None:
    """The rejected rows as an .xlsx: the file's own columns and a reason column."""
    write_error_workbook(((row.raw, row.reason or "") for row in preview.errors), preview.headers, stream_or_path)
