"""The legacy rows of a guarantee's timeline: linked to it, or unlinked and carrying its number in any spelling;
those a new-table row already tells are only counted.

Once `flask legacy archive` has dropped the legacy tables, the same rows are read from legacy_archive_records (the
register's copy: every legacy column, the links, the session's type), never from the archive file. A process
learns it from the first statement that finds imported_records gone, and reads the copy from then on: a page
costs no extra query to ask which table to read, before or after.
"""

import functools
from datetime import datetime

import sqlalchemy as sa

from guarantees.domain.text import normalised_number_sql
from guarantees.domain.times import parse_legacy_time
from guarantees.extensions import db
from guarantees.models import BankAnswer, Guarantee, GuaranteeAction, GuaranteeEdit, ImportBatchItem
from guarantees.models.legacy import LEGACY_RECORD_COLUMNS, TRANSITION_COLUMNS, ImportedRecord, ImportSession
from guarantees.models.legacy_archive import LegacyArchive, LegacyArchiveRecord
from guarantees.models.matching import MatchDecision
from guarantees.repositories.history.entries import _LEGACY, KIND_ORDER, Entry, _keep_newest
from guarantees.repositories.history.sources import _guarantee_id

RAW_COLUMNS = LEGACY_RECORD_COLUMNS + TRANSITION_COLUMNS


def _number_pattern(number: str | None) -> str:
    """A LIKE pattern that every spelling of `number` the legacy rows may hold matches, once upper-cased: its
    characters in order, with anything (spaces) between them."""
    return "%" + "%".join("\\" + c if c in "\\%_" else c for c in number or "") + "%"


def _of_guarantee(record, guarantee_id, number, pattern):
    """Legacy rows linked to the guarantee, or unlinked and carrying its number (values or bound parameters;
    `pattern` is `_number_pattern(number)`)."""
    return sa.or_(
        record.c.migrated_guarantee_id == guarantee_id,
        # A linked row always carries its own guarantee's number: look by number only among the
        # unlinked ones, so both branches are index lookups rather than a scan of every legacy row.
        sa.and_(
            record.c.migrated_guarantee_id.is_(None),
            # Implied by the comparison after it (upper-casing goes character by character, and the spaces it
            # removes have no case), and several times cheaper: most unlinked rows fail it at once, and are
            # never normalised. Every guarantee page reads these rows.
            sa.func.upper(record.c.guarantee_number).like(pattern, escape="\\"),
            normalised_number_sql(record.c.guarantee_number) == number,
        ),
    )


def _has_counterpart(record):
    """SQL: a new-table row already tells this legacy row's story."""
    return sa.or_(
        sa.exists().where(ImportBatchItem.legacy_record_id == record.c.id),
        sa.exists().where(GuaranteeAction.legacy_record_id == record.c.id),
        sa.exists().where(GuaranteeEdit.legacy_record_id == record.c.id),
        sa.exists().where(MatchDecision.legacy_record_id == record.c.id),
        sa.exists().where(BankAnswer.legacy_record_id == record.c.id),
        sa.and_(
            record.c.migrated_action_id.is_not(None),
            sa.exists().where(GuaranteeAction.id == record.c.migrated_action_id),
        ),
    )


_ARCHIVED: set[str] = set()  # the databases (by URL) this process found archived; an archive is never undone


def _archived() -> bool:
    return db.engine.url.render_as_string() in _ARCHIVED


def _execute(statement_for, parameters: dict | None = None) -> list[sa.Row]:
    """Run `statement_for(archived)`: on the legacy tables, or once they are found gone, on the archive's copy."""
    if _archived():
        return db.session.execute(statement_for(True), parameters).all()
    try:
        return db.session.execute(statement_for(False), parameters).all()
    except (sa.exc.OperationalError, sa.exc.ProgrammingError):
        db.session.rollback()  # (PostgreSQL: the failed statement ended the transaction; the page only reads)
        if legacy_archive() is None:
            raise
        _ARCHIVED.add(db.engine.url.render_as_string())
        return db.session.execute(statement_for(True), parameters).all()


def legacy_archive() -> dict | None:
    """When, by whom and to which file the legacy tables were archived (None while they are in the register)."""
    found = db.session.execute(sa.select(LegacyArchive).order_by(LegacyArchive.id).limit(1)).scalar()
    if found is None:
        return None
    return {"archived_at": found.archived_at, "archived_by": found.archived_by, "file_name": found.file_name,
            "file_sha256": found.file_sha256}  # fmt: skip


def _rows_statement(archived: bool, guarantee_id: int, number: str | None, ids: list[int] | None):
    if archived:
        record = LegacyArchiveRecord.__table__
        session_type, source = record.c.session_type, record
    else:
        record = ImportedRecord.__table__
        session_type = ImportSession.session_type
        source = record.outerjoin(ImportSession, ImportSession.id == record.c.session_id)
    return (
        sa.select(
            *(record.c[name] for name in RAW_COLUMNS),
            session_type.label("legacy_session_type"),
            _has_counterpart(record).label("has_counterpart"),
        )
        .select_from(source)
        .where(
            record.c.id.in_(ids)
            if ids is not None
            else _of_guarantee(record, guarantee_id, number, _number_pattern(number))
        )
        .order_by(record.c.created_at, record.c.id)
    )


def legacy_rows(guarantee: Guarantee, *, ids: list[int] | None = None) -> list[dict]:
    """Legacy imported_records rows of this guarantee (linked or by number), all columns, with their session
    type and whether a new-table row already carries them (one query); with `ids`, only those rows."""
    guarantee_id, number = guarantee.id, guarantee.guarantee_number
    rows = _execute(lambda archived: _rows_statement(archived, guarantee_id, number, ids))
    return [dict(row._mapping) for row in rows]


# The timeline's statements are built once, the guarantee (and how many rows) bound parameters: building and
# keying a statement costs about as much Python as running it on a short history.


@functools.cache
def _legacy_keys_statement(archived: bool = False):
    record = LegacyArchiveRecord.__table__ if archived else ImportedRecord.__table__
    number, pattern = sa.bindparam("number", type_=sa.Text), sa.bindparam("pattern", type_=sa.Text)
    return sa.select(record.c.id, record.c.created_at, _has_counterpart(record).label("told")).where(
        _of_guarantee(record, _guarantee_id(), number, pattern)
    )


def _legacy_keys(guarantee: Guarantee) -> tuple[int, list[sa.Row]]:
    """How many legacy rows refer to `guarantee`, and the id and time of those no new-table row tells (one light
    query: the told ones, nearly all of them once migrated or dual-written, are only counted)."""
    number = guarantee.guarantee_number
    parameters = {"guarantee_id": guarantee.id, "number": number, "pattern": _number_pattern(number)}
    rows = _execute(_legacy_keys_statement, parameters)
    return len(rows), [row for row in rows if not row.told]


def legacy_summary(guarantee: Guarantee) -> tuple[int, list[dict]]:
    """How many legacy rows refer to `guarantee`, and those of them no new-table row tells: all the timeline
    needs. One light query finds both; the full rows are read only when there are any (usually none)."""
    count, untold = _legacy_keys(guarantee)
    return count, (legacy_rows(guarantee, ids=[row.id for row in untold]) if untold else [])


def _legacy_candidates(rows, limit: int | None) -> list[tuple]:
    """Untold legacy rows (full, or only id and time) by their time, which legacy rows hold as text of
    several formats: parsed here, since SQL cannot order them."""
    order = KIND_ORDER["legacy"]
    candidates = [
        ((parse_legacy_time(row["created_at"]) or datetime.min, order, row["id"] or 0), _LEGACY, i, _legacy, row)
        for i, row in enumerate(rows)
    ]
    return _keep_newest(candidates, limit)


def _legacy(row: dict, refs: dict) -> Entry:
    return Entry(
        kind="legacy",
        source="legacy",
        at=parse_legacy_time(row["created_at"]),
        user=None,
        title=row["record_type"] or "import",
        changes=[
            (name, None, row[name])
            for name in (
                "guarantee_number",
                "raw_supplier_name",
                "raw_bank_name",
                "amount",
                "expiry_date",
                "contract_number",
                "type",
                "comment",
            )
            if row[name] not in (None, "")
        ],  # fmt: skip
        record=row,
        legacy_session=(row["session_id"], row["legacy_session_type"]),
        sequence=row["id"] or 0,
    )
