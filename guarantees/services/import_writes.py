"""Committing an Excel import: the writes of one batch, inside the caller's transaction.

The new guarantees (bulk inserts), the changed ones (bulk updates that check and increment
``version``: a concurrent change raises Conflict), one legacy row per written row through the
dual-write adapter, and one append-only item per written row linked to its legacy row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from guarantees.clock import today
from guarantees.domain.guarantee_types import type_code
from guarantees.models import Guarantee, ImportBatch, ImportBatchItem
from guarantees.models.base import utcnow
from guarantees.services.dualwrite import DualWriteAdapter
from guarantees.services.errors import Conflict
from guarantees.services.import_rows import STATE_COLUMNS, ImportPreview, RowOutcome, all_values

ITEM_OUTCOMES = {"new": "created", "update": "updated", "unchanged": "unchanged"}
IMPORT_TYPES = {"excel_import": "excel", "text_paste": "paste"}  # a guarantee's import_type, by its batch's type
# Rows written per bulk statement (and per record_items call): bounds the parameters held at once
# (about 10 KB a row across guarantees, legacy rows and items) without costing round trips.
WRITE_CHUNK = 10_000


def _chunks(rows: list) -> Iterator[list]:
    """Slices of WRITE_CHUNK rows: each write builds its parameters for one slice at a time."""
    for start in range(0, len(rows), WRITE_CHUNK):
        yield rows[start : start + WRITE_CHUNK]


def _insert_guarantees(session: Session, rows: list[dict]) -> None:
    """Insert new guarantees (dicts with the same keys). On SQLite through a temporary table and one INSERT ...
    SELECT: the search index's FTS5 trigger flushes its pending terms at the end of every statement, and an
    executemany is one statement per row (50,000 rows took seven times as long)."""
    table = Guarantee.__table__
    if session.get_bind().dialect.name != "sqlite":
        session.execute(sa.insert(table), rows)
        return
    names = list(rows[0])
    stage = sa.Table(
        "import_stage_guarantees",
        sa.MetaData(),
        *(sa.Column(name, table.c[name].type) for name in names),
        prefixes=["TEMPORARY"],
    )
    connection = session.connection()
    stage.create(connection)
    try:
        session.execute(sa.insert(stage), rows)
        session.execute(sa.insert(table).from_select(names, sa.select(*stage.c)))
    finally:
        stage.drop(connection)


def insert_new(session: Session, plan: ImportPreview, batch: ImportBatch, user: str | None) -> dict[str, int]:
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
        "import_type": IMPORT_TYPES[batch.batch_type],
        "import_date": day,
        "version": 1,
        "created_by": user,
        "created_at": now,
        "updated_at": now,
    }
    table = Guarantee.__table__
    try:
        for part in _chunks(list(finals.values())):
            _insert_guarantees(
                session,
                [
                    {**{c: after[c] for c in STATE_COLUMNS}, "type_code": type_code(after["type"]), **fixed}
                    for after in part
                ],
            )
    except sa.exc.IntegrityError as error:
        raise Conflict(
            _(
                "Another change added some of these guarantee numbers while the file was being imported. "
                "Nothing was imported; preview the file again."
            )
        ) from error
    # Every guarantee this batch created carries its id (a daily batch's earlier rows too: left out by number).
    query = sa.select(table.c.guarantee_number, table.c.id).where(table.c.import_batch_id == batch.id)
    ids = {number: found for number, found in session.execute(query).tuples() if number in finals}
    if len(ids) != len(finals):
        raise Conflict(_("The register changed while the file was being imported. Nothing was imported; try again."))
    return ids


def update_existing(session: Session, plan: ImportPreview, stored: dict[str, dict]) -> None:
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
            if "type" in changed:  # the standard type follows the type text
                changed += ("type_code",)
                params["v_type_code"] = type_code(after["type"])
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
                _(
                    "Somebody changed some of these guarantees while the file was being imported. "
                    "Nothing was imported; preview the file again."
                )
            )


def write_items(
    session: Session,
    plan: ImportPreview,
    batch: ImportBatch,
    ids: dict[str, int],
    user: str | None,
    *,
    progress: Callable[..., None] | None = None,
    number_from: int | None = None,
) -> int:
    """One legacy row and one item per written row, linked both ways; returns how many rows are ready.
    progress("writing", fraction, done=, total=) after each chunk. Items are numbered by their row in the file,
    or, with number_from (a daily batch, which lists rows of several pastes), from it in order."""
    written = [row for row in plan.rows if row.outcome != "error"]
    for row in written:
        if row.guarantee_id is None:
            row.guarantee_id = ids[row.guarantee_number]
    adapter = DualWriteAdapter(session)
    now = utcnow()
    done = 0
    if progress:
        progress("writing", 0.2, done=0, total=len(written))  # the guarantees themselves are written
    for part in _chunks(written):
        legacy_ids = adapter.record_items(batch, [(row.after, row.guarantee_id, "import") for row in part])
        items = [
            {
                "batch_id": batch.id,
                "row_number": row.row_number if number_from is None else number_from + done + index,
                "guarantee_id": row.guarantee_id,
                "outcome": ITEM_OUTCOMES[row.outcome],
                "changes": {column: list(pair) for column, pair in _changes(row).items()},
                "raw": row._raw if row._raw is not None else row.source.raw,
                "legacy_record_id": legacy_id,
                "created_by": user,
                "created_at": now,
            }
            for index, (row, legacy_id) in enumerate(zip(part, legacy_ids, strict=True))
        ]
        session.execute(sa.insert(ImportBatchItem.__table__), items)
        done += len(part)
        if progress:
            progress("writing", 0.2 + 0.8 * done / len(written), done=done, total=len(written))
    return sum(1 for row in written if row.after["match_status"] == "ready")


def _changes(row: RowOutcome) -> dict:
    """row.changes without keeping them on the row (200,000 rows would keep them all)."""
    return row.diffs if row.diffs is not None else all_values(row.after)
