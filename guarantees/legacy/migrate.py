"""`flask legacy migrate`: legacy rows → batches, guarantees, items, actions and action sessions, back-linked.

How it stays fast, flat in memory and resumable:

1. scan — one streamed pass over imported_records (ordered by id) classifies every row, numbers
   each import row within its batch, and writes the unlinked migratable rows to a temporary table
   with their normalised number and a partition (a hash of the number), so that all rows of one
   number land in the same partition;
2. prepare — one transaction creates the missing batches and the day's action sessions (issued,
   locked, with their final counts) and restores links that were lost but whose item or action exists;
3. chunks — one transaction per partition: guarantees, actions, items and the back-links of its rows
   are written together, set-based. A run killed part-way leaves whole numbers migrated and linked;
   the next run starts again from the rows that are still unlinked and reaches the same result.
"""

import os
import signal
import sys
import time
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from guarantees.legacy.plan import MIGRATOR, Context, NumberPlan, plan_number
from guarantees.legacy.rows import (
    ACTION,
    IMPORT,
    action_day,
    batch_key,
    classify,
    iso_day,
    parse_timestamp,
    sqlite_date,
)
from guarantees.legacy.sql import bulk_insert, bulk_session, row_converter
from guarantees.models import (
    ActionSession,
    Bank,
    Guarantee,
    GuaranteeAction,
    ImportBatch,
    ImportBatchItem,
    ImportedRecord,
    ImportSession,
    Supplier,
)
from guarantees.models.base import utcnow
from guarantees.models.legacy import LEGACY_RECORD_COLUMNS

CHUNK_ROWS = 10_000
SCAN_BATCH = 5_000
# Test hooks: after committing chunk N (or with chunk N written but not committed), say so on stderr and
# wait to be killed. Never set in production.
PAUSE_ENV = "LEGACY_MIGRATE_PAUSE_AFTER_CHUNK"
PAUSE_IN_ENV = "LEGACY_MIGRATE_PAUSE_IN_CHUNK"

RECORDS = ImportedRecord.__table__
SESSIONS = ImportSession.__table__
GUARANTEES = Guarantee.__table__
ACTIONS = GuaranteeAction.__table__
ITEMS = ImportBatchItem.__table__
BATCHES = ImportBatch.__table__
ACTION_SESSIONS = ActionSession.__table__

_TMP_META = sa.MetaData()
TMP = sa.Table(
    "legacy_migrate_rows",
    _TMP_META,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("number", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(1), nullable=False),
    sa.Column("part", sa.Integer, nullable=False),
    sa.Column("bkey", sa.Text),
    sa.Column("row_number", sa.Integer),
    prefixes=["TEMPORARY"],
)
TMP_COLUMNS = [column.name for column in TMP.columns]
# Back-links of a chunk, staged here and written by one UPDATE ... FROM.
LINKS = sa.Table(
    "legacy_migrate_links",
    _TMP_META,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("guarantee_id", sa.Integer),
    sa.Column("action_id", sa.Integer),
    sa.Column("batch_id", sa.Integer),
    prefixes=["TEMPORARY"],
)
ITEM_COLUMNS = (
    "batch_id", "row_number", "guarantee_id", "outcome", "changes", "raw", "legacy_record_id", "created_by",
    "created_at",
)  # fmt: skip
LABELS = {"excel_import": "Excel import", "manual_batch": "manual entries", "text_paste": "pasted entries"}


@dataclass
class Summary:
    """What a migrate run did (or, with --dry-run, would do)."""

    dry_run: bool
    legacy_rows: int = 0
    already_linked: int = 0
    relinked: int = 0
    import_rows: int = 0
    action_rows: int = 0
    unmigrated: dict = field(default_factory=Counter)
    batches_created: dict = field(default_factory=Counter)
    batches_reused: int = 0
    action_sessions_created: int = 0
    action_sessions_reused: int = 0
    guarantees_created: int = 0
    guarantees_merged: int = 0
    items: dict = field(default_factory=Counter)
    actions: dict = field(default_factory=Counter)
    links: int = 0
    values_not_carried: dict = field(default_factory=dict)
    chunks: int = 0
    seconds: float = 0.0
    problems: list = field(default_factory=list)

    @property
    def nothing_to_do(self) -> bool:
        return not (self.import_rows or self.action_rows or self.relinked)

    def as_dict(self) -> dict:
        data = {name: dict(value) if isinstance(value, dict) else value for name, value in vars(self).items()}
        data["unmigrated_rows"] = sum(self.unmigrated.values())
        data["rows_per_second"] = round(self.legacy_rows / self.seconds) if self.seconds else None
        data["nothing_to_do"] = self.nothing_to_do
        return data


@dataclass
class _Scan:
    parts: int
    batch_meta: dict = field(default_factory=dict)  # batch key → (session type, session id, session created_at)
    action_days: Counter = field(default_factory=Counter)
    relinks: list = field(default_factory=list)


def migrate(engine: Engine, *, dry_run: bool = False, chunk_rows: int = CHUNK_ROWS, progress=None) -> Summary:
    """Migrate every unlinked legacy row; see the module docstring. `progress(n)` is called as rows are done."""
    started = time.perf_counter()
    summary = Summary(dry_run=dry_run)
    now = utcnow()
    with engine.connect() as conn, bulk_session(conn):
        try:
            scan = _scan(conn, summary, chunk_rows)
            conn.commit()
            batches, sessions = _prepare(conn, scan, summary, dry_run, now)
            if dry_run:
                conn.rollback()
            else:
                conn.commit()
            ctx = Context(
                batches=batches, sessions=sessions, suppliers=_ids(conn, Supplier), banks=_ids(conn, Bank), now=now
            )
            pause_after, pause_in = (int(os.environ.get(name) or 0) for name in (PAUSE_ENV, PAUSE_IN_ENV))
            for part in range(scan.parts):
                done = _chunk(conn, part, ctx, summary, dry_run)
                if dry_run:
                    conn.rollback()
                else:
                    if pause_in == summary.chunks + 1:
                        _pause(f"chunk {pause_in} written, not committed")
                    conn.commit()
                summary.chunks += 1
                if progress and done:
                    progress(done)
                if pause_after == summary.chunks and not dry_run:
                    _pause(f"chunk {pause_after} committed")
            summary.values_not_carried = dict(ctx.dropped)
        finally:
            conn.rollback()
            for table in (TMP, LINKS):
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")
            conn.commit()
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _pause(where: str) -> None:
    print(f"legacy migrate test hook: {where}, pausing", file=sys.stderr, flush=True)
    while True:  # pragma: no cover - ended by the test's SIGKILL
        signal.pause()


def _ids(conn: Connection, model) -> set[int]:
    return set(conn.scalars(sa.select(model.__table__.c.id)))


def _scan(conn: Connection, summary: Summary, chunk_rows: int) -> _Scan:
    """Classify every legacy row and stage the unlinked migratable ones in the temporary table."""
    for table in (TMP, LINKS):
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")
        table.create(conn)
    unlinked = conn.scalar(
        sa.select(sa.func.count())
        .select_from(RECORDS)
        .where(RECORDS.c.migrated_guarantee_id.is_(None), RECORDS.c.migrated_action_id.is_(None))
    )
    scan = _Scan(parts=max(1, -(-unlinked // max(chunk_rows, 1))))
    r, s, i, a = RECORDS, SESSIONS.alias("s"), ITEMS.alias("i"), ACTIONS.alias("a")
    query = (
        sa.select(
            r.c.id,
            r.c.guarantee_number,
            r.c.record_type,
            r.c.session_id,
            r.c.created_at,
            r.c.migrated_guarantee_id,
            r.c.migrated_action_id,
            s.c.session_type,
            s.c.created_at.label("session_created_at"),
            i.c.guarantee_id.label("item_guarantee_id"),
            i.c.batch_id.label("item_batch_id"),
            a.c.id.label("action_id"),
            a.c.guarantee_id.label("action_guarantee_id"),
        )  # fmt: skip
        .select_from(
            r.outerjoin(s, s.c.id == r.c.session_id)
            .outerjoin(i, i.c.legacy_record_id == r.c.id)
            .outerjoin(a, a.c.legacy_record_id == r.c.id)
        )
        .order_by(r.c.id)
    )
    row_numbers: Counter = Counter()
    staged: list[tuple] = []
    parts = scan.parts
    for (
        row_id, raw_number, record_type, session_id, created_at, guarantee_id, action_link, session_type,
        session_created_at, item_guarantee_id, item_batch_id, action_id, action_guarantee_id,
    ) in conn.execute(query.execution_options(yield_per=SCAN_BATCH)):  # fmt: skip
        summary.legacy_rows += 1
        kind, number, reason = classify(record_type, raw_number)
        if reason:
            summary.unmigrated[reason] += 1
            continue
        if kind == IMPORT:
            key = batch_key(session_type, session_id, session_created_at)
            row_numbers[key] += 1
            if guarantee_id is not None:
                summary.already_linked += 1
            elif item_guarantee_id is not None:
                scan.relinks.append((row_id, item_guarantee_id, None, item_batch_id))
            else:
                if key not in scan.batch_meta:
                    scan.batch_meta[key] = (session_type, session_id, session_created_at)
                part = zlib.crc32(number.encode()) % parts
                staged.append((row_id, number, IMPORT, part, key, row_numbers[key]))
                summary.import_rows += 1
        elif action_link is not None:
            summary.already_linked += 1
        elif action_id is not None:
            scan.relinks.append((row_id, action_guarantee_id, action_id, None))
        elif guarantee_id is not None:
            summary.problems.append(
                f"action row {row_id} is linked to guarantee {guarantee_id} but its action link is lost "
                "and no action names it: not re-created"
            )
        else:
            scan.action_days[action_day(created_at)] += 1
            staged.append((row_id, number, ACTION, zlib.crc32(number.encode()) % parts, None, None))
            summary.action_rows += 1
        if len(staged) >= SCAN_BATCH:
            bulk_insert(conn, TMP.name, TMP_COLUMNS, staged)
            staged = []
    bulk_insert(conn, TMP.name, TMP_COLUMNS, staged)
    conn.exec_driver_sql(f"CREATE INDEX {TMP.name}_part ON {TMP.name} (part)")
    summary.relinked = len(scan.relinks)
    return scan


def _batch_values(key: str, meta: tuple, now) -> dict:
    kind, ref = key.split("|", 1)
    session_type, session_id, session_created_at = meta
    values = {
        "batch_type": kind, "filename": None, "file_sha256": None, "total_records": 0, "ready_records": 0,
        "origin": "legacy", "legacy_session_id": None, "created_by": MIGRATOR,
    }  # fmt: skip
    if kind == "excel_import":
        if session_id is None:
            description = "Legacy rows without a session"
        elif session_type is None:
            description = f"Legacy session {session_id} (missing from import_sessions)"
        else:
            description = f"Legacy {session_type} session {session_id}"
        is_file = isinstance(session_type, str) and "." in session_type
        values.update(
            description=description,
            filename=session_type if is_file else None,
            legacy_session_id=session_id,
            batch_date=sqlite_date(session_created_at),
            created_at=parse_timestamp(session_created_at) or now,
        )
    else:
        day = iso_day(ref)
        label = LABELS[kind]
        values.update(
            description=f"Legacy {label} of {ref}" if day else f"Legacy {label} without a date",
            batch_date=day,
            created_at=parse_timestamp(ref) or now,
        )
    return values


def _find_batch(existing: list, values: dict) -> int | None:
    """The batch a key already has: its legacy session's, its day's (whoever made it), or a legacy one by name."""
    for batch in existing:
        if values["legacy_session_id"] is not None:
            if batch.legacy_session_id == values["legacy_session_id"]:
                return batch.id
        elif batch.batch_type == values["batch_type"]:
            if values["batch_date"] is not None and values["batch_type"] != "excel_import":
                if batch.batch_date == values["batch_date"]:
                    return batch.id
            elif batch.origin == "legacy" and batch.batch_date is None and batch.description == values["description"]:
                return batch.id
    return None


def _session_description(day: str) -> str:
    return f"Legacy actions of {day}" if day else "Legacy actions without a date"


def _prepare(conn: Connection, scan: _Scan, summary: Summary, dry_run: bool, now) -> tuple[dict, dict]:
    """Create the batches and action sessions the rows need; restore lost links whose target exists."""
    existing = conn.execute(
        sa.select(
            BATCHES.c.id,
            BATCHES.c.batch_type,
            BATCHES.c.batch_date,
            BATCHES.c.legacy_session_id,
            BATCHES.c.origin,
            BATCHES.c.description,
        )  # fmt: skip
    ).all()
    by_session = {b.legacy_session_id: b.id for b in existing if b.legacy_session_id is not None}
    others = [b for b in existing if b.legacy_session_id is None]
    batches, missing = {}, []
    for key, meta in scan.batch_meta.items():
        values = _batch_values(key, meta, now)
        if values["legacy_session_id"] is not None:
            found = by_session.get(values["legacy_session_id"])
        else:
            found = _find_batch(others, values)
        if found is None:
            missing.append((key, values))
            summary.batches_created[values["batch_type"]] += 1
        else:
            batches[key] = found
            summary.batches_reused += 1
    if missing:
        if dry_run:
            ids = range(-1, -len(missing) - 1, -1)
        else:
            ids = conn.scalars(
                sa.insert(BATCHES).returning(BATCHES.c.id, sort_by_parameter_order=True), [v for _, v in missing]
            ).all()
        batches.update((key, batch_id) for (key, _), batch_id in zip(missing, ids, strict=True))

    known = dict(
        conn.execute(
            sa.select(ACTION_SESSIONS.c.description, ACTION_SESSIONS.c.id).where(
                ACTION_SESSIONS.c.origin == "legacy", ACTION_SESSIONS.c.created_by == MIGRATOR
            )
        ).all()
    )
    sessions, new_sessions = {}, []
    for day, count in sorted(scan.action_days.items()):
        description = _session_description(day)
        if description in known:
            sessions[day] = known[description]
            summary.action_sessions_reused += 1
            continue
        when = parse_timestamp(day) or now
        new_sessions.append(
            (
                day,
                {
                    "session_date": iso_day(day), "description": description, "total_actions": count,
                    "issued_actions": count, "is_locked": True, "locked_at": now, "origin": "legacy",
                    "created_by": MIGRATOR, "issued_by": MIGRATOR, "created_at": when,
                },
            )
        )  # fmt: skip
    summary.action_sessions_created = len(new_sessions)
    if new_sessions:
        if dry_run:
            ids = range(-1, -len(new_sessions) - 1, -1)
        else:
            ids = conn.scalars(
                sa.insert(ACTION_SESSIONS).returning(ACTION_SESSIONS.c.id, sort_by_parameter_order=True),
                [v for _, v in new_sessions],
            ).all()
        sessions.update((day, session_id) for (day, _), session_id in zip(new_sessions, ids, strict=True))
    if scan.relinks and not dry_run:
        _write_links(conn, scan.relinks)
    summary.links += len(scan.relinks)
    return batches, sessions


def _write_links(conn: Connection, links: list[tuple]) -> None:
    """Set the transition columns of many legacy rows: staged, then one UPDATE ... FROM (SQLite >= 3.33)."""
    bulk_insert(conn, LINKS.name, ("id", "guarantee_id", "action_id", "batch_id"), links)
    conn.exec_driver_sql(
        f"UPDATE {RECORDS.name} SET migrated_guarantee_id = l.guarantee_id, migrated_action_id = l.action_id, "
        f"import_batch_id = l.batch_id FROM {LINKS.name} AS l WHERE l.id = {RECORDS.name}.id"
    )
    conn.exec_driver_sql(f"DELETE FROM {LINKS.name}")


_GUARANTEE_COLUMNS = [GUARANTEES.c[name] for name in ("id", "guarantee_number", "is_locked", "status", "version")]
_FIELD_COLUMNS = [c for c in GUARANTEES.c if c.name not in {"id", "guarantee_number", "is_locked", "status", "version"}]


_LEGACY = [RECORDS.c[name] for name in LEGACY_RECORD_COLUMNS]


def _chunk(conn: Connection, part: int, ctx: Context, summary: Summary, dry_run: bool) -> int:
    """Migrate the numbers of one partition in the current transaction; returns the rows done."""
    query = (
        sa.select(TMP.c.number, TMP.c.kind, TMP.c.bkey, TMP.c.row_number, *_LEGACY)
        .join(RECORDS, RECORDS.c.id == TMP.c.id)
        .where(TMP.c.part == part)
    )
    result = conn.execute(query)
    keys = list(result.keys())
    by_number = defaultdict(list)
    rows = 0
    for values in result.all():
        row = dict(zip(keys, values, strict=True))
        by_number[row["number"]].append(row)
        rows += 1
    if not rows:
        return 0
    numbers = sa.select(TMP.c.number).where(TMP.c.part == part)
    existing = {
        g.guarantee_number: g._asdict()
        for g in conn.execute(
            sa.select(*_GUARANTEE_COLUMNS, *_FIELD_COLUMNS).where(GUARANTEES.c.guarantee_number.in_(numbers))
        )
    }
    plans = []
    for number in sorted(by_number):
        number_rows = sorted(by_number[number], key=lambda r: (r["created_at"] or "", r["id"]))
        plans.append(plan_number(number, number_rows, existing.get(number), ctx))
    for plan in plans:
        if plan.existing_id is None:
            summary.guarantees_created += 1
        else:
            summary.guarantees_merged += 1
        summary.items.update(plan.outcomes)
        summary.actions.update(a["action_type"] for a in plan.actions)
        summary.links += len(plan.items) + len(plan.actions)
    if not dry_run:
        _write(conn, part, plans)
    return rows


def _write(conn: Connection, part: int, plans: list[NumberPlan]) -> None:
    """Guarantees, then actions, then changes to guarantees already held, items, back-links and batch counts."""
    new = [plan.guarantee for plan in plans if plan.guarantee is not None]
    if new:
        columns = list(new[0])
        convert = row_converter(conn, GUARANTEES, columns)
        bulk_insert(conn, GUARANTEES.name, columns, [convert([g[name] for name in columns]) for g in new])
    staged = sa.select(TMP.c.number).where(TMP.c.part == part)
    ids = dict(conn.execute(sa.select(GUARANTEES.c.guarantee_number, GUARANTEES.c.id).where(
        GUARANTEES.c.guarantee_number.in_(staged))).all())  # fmt: skip
    for plan in plans:
        plan.guarantee_id = ids[plan.number]
    links = []
    actions = [{**action, "guarantee_id": plan.guarantee_id} for plan in plans for action in plan.actions]
    if actions:
        columns = list(actions[0])
        convert = row_converter(conn, ACTIONS, columns)
        bulk_insert(conn, ACTIONS.name, columns, [convert([a[name] for name in columns]) for a in actions])
        staged = sa.select(TMP.c.id).where(TMP.c.part == part, TMP.c.kind == ACTION)
        ids = dict(conn.execute(sa.select(ACTIONS.c.legacy_record_id, ACTIONS.c.id).where(
            ACTIONS.c.legacy_record_id.in_(staged))).all())  # fmt: skip
        links += [(a["legacy_record_id"], a["guarantee_id"], ids[a["legacy_record_id"]], None) for a in actions]
    _update_existing(conn, [plan for plan in plans if plan.update])
    convert = row_converter(conn, ITEMS, ITEM_COLUMNS)
    items, totals, ready = [], Counter(), Counter()
    for plan in plans:
        guarantee_id = plan.guarantee_id
        for item in plan.items:
            batch_id, legacy_id = item["batch_id"], item["legacy_record_id"]
            items.append(
                convert(
                    (batch_id, item["row_number"], guarantee_id, item["outcome"], item["changes"], item["raw"],
                     legacy_id, item["created_by"], item["created_at"])
                )
            )  # fmt: skip
            links.append((legacy_id, guarantee_id, None, batch_id))
            totals[batch_id] += 1
            ready[batch_id] += item["ready"]
    bulk_insert(conn, ITEMS.name, ITEM_COLUMNS, items)
    conn.exec_driver_sql(
        f"UPDATE {BATCHES.name} SET total_records = total_records + ?, ready_records = ready_records + ? WHERE id = ?"
        if conn.dialect.name == "sqlite"
        else f"UPDATE {BATCHES.name} SET total_records = total_records + %s, ready_records = ready_records + %s "
        "WHERE id = %s",
        [(n, ready[batch_id], batch_id) for batch_id, n in totals.items()],
    ) if totals else None
    _write_links(conn, links)


def _update_existing(conn: Connection, plans: list[NumberPlan]) -> None:
    """Merge into guarantees the app created before the migration, grouped by the set of fields changed."""
    groups = defaultdict(list)
    for plan in plans:
        groups[tuple(sorted(plan.update))].append(
            {"b_id": plan.existing_id, **{f"b_{k}": v for k, v in plan.update.items()}}
        )
    for names, params in groups.items():
        conn.execute(
            sa.update(GUARANTEES)
            .where(GUARANTEES.c.id == sa.bindparam("b_id"))
            .values({name: sa.bindparam(f"b_{name}", type_=GUARANTEES.c[name].type) for name in names}),
            params,
        )
