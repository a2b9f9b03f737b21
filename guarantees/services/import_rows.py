"""Evaluating an Excel import: each parsed row against the register as the rows above it left it.

Rules, per data row (rows are read top to bottom):

* ``error``: a cell did not parse, a value is too long for its column, a number the
  register does not know yet lacks a supplier, a bank or an amount above zero, or the row
  would leave a guarantee expiring on or before its issue date (a new row's dates, or a
  date a known guarantee's row changes). Error rows are never written; they go to the error
  workbook with their reason.
* ``new``: a number the register does not know, with supplier, bank and a positive amount.
* ``update``: a known number whose non-blank cells differ from the stored values. A blank
  cell never erases a stored value. Supplier and bank are re-matched to the dictionaries
  when one of them changes.
* ``unchanged``: a known number whose non-blank cells all equal the stored values.
* The same number twice in one file: the later row wins. Each row is evaluated after the
  rows above it, so the second row is an ``update`` (its diffs against the first) or
  ``unchanged``, and both are items of the batch; the second row carries a note.
* A locked guarantee keeps its protected fields (domain.fields). A row that differs there is
  not an error: the allowed changes (the comment) are applied and the row is ``update``, or
  ``unchanged`` when nothing else differs, and in both cases a note lists the values left
  as they are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from guarantees.domain import fields as rules
from guarantees.domain.labels import lock_reason_label
from guarantees.importer.mapping import Detection, fold_header
from guarantees.importer.reader import Workbook
from guarantees.importer.rows import ParsedRow, SkippedRow
from guarantees.models import Guarantee, ImportBatch
from guarantees.repositories.matching import matcher_for
from guarantees.services.fields import dates_problem, display, new_amount_problem

OUTCOMES = ("new", "update", "unchanged", "error")

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
            self.diffs = all_values(self.after)
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

    @property
    def writable(self) -> int:
        """How many rows a commit would write."""
        return len(self.rows) - self.counts["error"]

    def selected(self) -> dict[str, str]:
        """Field -> the entry of `headers` its column has (the header text as found may differ in spaces)."""
        chosen = {}
        for name, header in self.columns.items():
            chosen[name] = next((h for h in self.headers if fold_header(h) == fold_header(header)), header)
        return chosen

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


def load_stored(session: Session, numbers: Iterable[str]) -> dict[str, dict]:
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


def earlier_batches(session: Session, sha256: str) -> list[dict]:
    """The Excel batches that imported a file with this SHA-256, oldest first."""
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


def all_values(after: dict) -> dict[str, tuple[None, str]]:
    """The changes of a new guarantee: every value it gets."""
    return {name: (None, _show(after[name])) for name in STATE_COLUMNS if after[name] is not None}


def _too_long(values: dict) -> bool:
    for name, limit in MAX_LENGTH.items():
        value = values.get(name)
        if value is not None and len(value) > limit:
            return True
    return False


def _new_problems(values: dict) -> list[str]:
    """Why a row cannot create a guarantee, besides supplier and bank: its amount and its dates."""
    problems = []
    amount = new_amount_problem(values.get("amount"))
    if amount:
        problems.append(amount)
    dates = dates_problem(values.get("issue_date"), values.get("expiry_date"))
    if dates:
        problems.append(dates)
    return problems


def _new_ok(values: dict) -> bool:
    """A new row's amount is above zero and its expiry after its issue date (the common case, checked fast)."""
    amount, issued, expires = values.get("amount"), values.get("issue_date"), values.get("expiry_date")
    return amount is not None and amount > 0 and (issued is None or expires is None or expires > issued)


class Evaluator:
    """Turns parsed rows into outcomes against the register, row after row (the later row wins)."""

    def __init__(self, session: Session, rows: list[ParsedRow]) -> None:
        self.stored = load_stored(session, {row.guarantee_number for row in rows if row.guarantee_number})
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
                problems.append(
                    _(
                        "%(field)s: %(value)s is too long (%(length)d characters, at most %(limit)d)",
                        field=name,
                        value=repr(value[:37]),
                        length=len(value),
                        limit=limit,
                    )
                )
        if current is None and not problems:
            missing = [name for name in ("supplier", "bank") if not values.get(name)]
            if len(missing) == 2:
                problems.append(_("supplier and bank: required for a new guarantee"))
            elif missing:
                problems.append(_("%(field)s: required for a new guarantee", field=missing[0]))
            problems += _new_problems(values)
        return problems

    def evaluate(self, row: ParsedRow) -> RowOutcome:
        values = row.values
        number = row.guarantee_number
        current = self.current.get(number) if number else None
        # The common row (it parsed, fits, and is known or is a complete new one) skips the checks.
        if (
            row.errors
            or _too_long(values)
            or (current is None and not (values.get("supplier") and values.get("bank") and _new_ok(values)))
        ):
            return self._error(row, "; ".join(self.problems(row, current)))
        notes: list[str] = []
        first = self.first_row.get(number, row.row_number)
        if first != row.row_number:
            notes.append(_("%(number)s is also on row %(row)d: the later row wins", number=number, row=first))
        if current is None:
            after = self._new(row)
            changes, outcome, guarantee_id = None, "new", None
        else:
            after, changes = self._update(row, current, notes)
            if "issue_date" in changes or "expiry_date" in changes:
                problem = dates_problem(after["issue_date"], after["expiry_date"])
                if problem:
                    return self._error(row, problem)
            outcome, guarantee_id = ("update" if changes else "unchanged"), current["id"]
        self.first_row.setdefault(number, row.row_number)
        self.current[number] = after
        return RowOutcome(row.row_number, outcome, number, guarantee_id, changes, None, notes, values, after, row)

    def _error(self, row: ParsedRow, reason: str) -> RowOutcome:
        number = row.guarantee_number
        existing = self.stored.get(number) if number else None
        guarantee_id = existing["id"] if existing else None
        return RowOutcome(row.row_number, "error", number, guarantee_id, {}, reason, [], row.values, source=row)

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
        why = lock_reason_label(rules.lock_reason_text(status=current["status"], lock_reason=current["lock_reason"]))
        kept = [column for column in wanted if column in protected]
        if kept:
            shown = ", ".join(f"{column} {display(wanted.pop(column))!r}" for column in kept)
            note = _("Locked because %(why)s: kept the stored value instead of %(values)s", why=why, values=shown)
            notes.append(note)
            if not wanted:
                return current, {}
        after = {**current, **wanted}
        if "raw_supplier_name" in wanted or "raw_bank_name" in wanted:
            for column, value in self.match(after["raw_supplier_name"], after["raw_bank_name"]).items():
                if value != current[column]:
                    after[column] = wanted[column] = value
        changes = {column: (_show(current[column]), _show(value)) for column, value in wanted.items()}
        return after, changes


def build_preview(
    session: Session,
    workbook: Workbook,
    detection: Detection,
    rows: list[ParsedRow],
    skipped: list[SkippedRow],
    filename: str,
) -> tuple[ImportPreview, dict[str, dict]]:
    """The preview, and the stored columns of the known guarantees it was evaluated against."""
    evaluator = Evaluator(session, rows)
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
        duplicate_of=earlier_batches(session, workbook.sha256),
        skipped=skipped,
    )
    return built, evaluator.stored
