"""`flask legacy verify`: tables, columns, triggers, links and counts of the register, checked.

Every problem is something unexplained: a migratable legacy row without its link, a link to nothing, an
item or action that does not point back to its row, counts that disagree, a missing table, column or
trigger. Rows that cannot be migrated are not problems: they are listed with their reason.

Once the legacy tables were archived (`flask legacy archive`) and dropped, it says so (when, by whom, to which
file) and checks what is left: the new tables, and the archived rows kept in legacy_archive_records.
"""

import importlib.util
from collections import Counter
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from guarantees.domain.text import normalise_number
from guarantees.legacy.rows import ACTION, IMPORT, classify
from guarantees.legacy.sql import bulk_session
from guarantees.models import (
    ActionSession,
    Base,
    Guarantee,
    GuaranteeAction,
    ImportBatch,
    ImportBatchItem,
    LegacyArchive,
    LegacyArchiveRecord,
    Setting,
)
from guarantees.models.legacy import ImportedRecord, ImportSession
from guarantees.models.legacy_archive import DUAL_WRITE_SETTING, OFF

MAX_UNMIGRATED = 100
MAX_EXAMPLES = 5
VERSIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"

R, S, G = ImportedRecord.__table__, ImportSession.__table__, Guarantee.__table__
A, B, AS = GuaranteeAction.__table__, ImportBatch.__table__, ActionSession.__table__
ITEMS = ImportBatchItem.__table__


def expected_triggers() -> tuple[str, ...]:
    """The trigger names the new-architecture revision creates (read from the revision itself)."""
    (path,) = VERSIONS.glob("*_0002_new_architecture.py")
    spec = importlib.util.spec_from_file_location("_revision_0002", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return tuple(module.TRIGGERS)


class _Problems:
    """Problems grouped by kind, each with a count and a few example ids."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self.examples: dict[str, list] = {}

    def add(self, kind: str, example=None) -> None:
        self.counts[kind] += 1
        if example is not None:
            examples = self.examples.setdefault(kind, [])
            if len(examples) < MAX_EXAMPLES:
                examples.append(example)

    def messages(self) -> list[str]:
        out = []
        for kind, count in self.counts.items():
            examples = self.examples.get(kind)
            suffix = f" (e.g. {', '.join(map(str, examples))})" if examples else ""
            out.append(f"{count} {kind}{suffix}" if count > 1 or examples else kind)
        return out


def archive_record(conn: Connection) -> dict | None:
    """The archive of the legacy tables, if they were archived: when, by whom, the file and its hash."""
    if not sa.inspect(conn).has_table(LegacyArchive.__tablename__):
        return None
    row = conn.execute(sa.select(LegacyArchive).order_by(LegacyArchive.id).limit(1)).first()
    if row is None:
        return None
    return {
        "archived_at": row.archived_at,
        "archived_by": row.archived_by,
        "file_name": row.file_name,
        "file_sha256": row.file_sha256,
        "counts": row.counts,
    }


def retirement(conn: Connection) -> dict | None:
    """When and by whom dual-write was turned off (None while it is on, or never set)."""
    if not sa.inspect(conn).has_table(Setting.__tablename__):
        return None
    row = conn.execute(
        sa.select(Setting.value, Setting.updated_at, Setting.updated_by).where(Setting.key == DUAL_WRITE_SETTING)
    ).first()
    if row is None or row.value != OFF:
        return None
    return {"retired_at": row.updated_at, "retired_by": row.updated_by}


def verify(engine: Engine) -> dict:
    """The report: ok, counts, problems, unmigrated rows (capped) and their total."""
    with engine.connect() as conn:
        archived, retired = archive_record(conn), retirement(conn)
    if archived:
        return _verify_archived(engine, archived, retired)
    problems = _Problems()
    with engine.connect() as conn, bulk_session(conn):
        schema_ok = _schema(conn, problems)
        counts = {"legacy_rows": _count(conn, R)}
        unmigrated, unmigrated_total = [], 0
        if schema_ok:
            for name, table in (("guarantees", G), ("guarantee_actions", A), ("import_batches", B),
                                ("action_sessions", AS), ("import_batch_items", ITEMS)):  # fmt: skip
                counts[name] = _count(conn, table)
            unmigrated, unmigrated_total, linked = _rows(conn, problems)
            for problem, query in _checks():
                for example in conn.scalars(query):
                    problems.add(problem, example)
            counts["linked_rows"] = linked
        counts["unmigrated_rows"] = unmigrated_total
        counts["import_sessions"] = _count(conn, S)
        counts["empty_legacy_sessions"] = conn.scalar(
            sa.select(sa.func.count()).select_from(S).where(~sa.exists().where(R.c.session_id == S.c.id))
        )
        revision = _revision(conn)
    return {
        "ok": not problems.counts,
        "revision": revision,
        "counts": counts,
        "problems": problems.messages(),
        "unmigrated": unmigrated,
        "unmigrated_total": unmigrated_total,
        "retired": retired,
        "archived": None,
    }


def _verify_archived(engine: Engine, archived: dict, retired: dict | None) -> dict:
    """After the archive: the new tables and their triggers, and every archived row kept in the register."""
    problems = _Problems()
    with engine.connect() as conn:
        _schema(conn, problems, dropped=(R.name, S.name))
        counts = {"archived_rows": _count(conn, LegacyArchiveRecord.__table__)}
        for name, table in (("guarantees", G), ("guarantee_actions", A), ("import_batches", B)):
            counts[name] = _count(conn, table)
        expected = archived["counts"].get(R.name)
        if counts["archived_rows"] != expected:
            problems.add(f"legacy_archive_records holds {counts['archived_rows']} rows, the archive {expected}")
        inspector = sa.inspect(conn)
        for table in (R.name, S.name):
            if inspector.has_table(table):
                problems.add(f"table {table} still exists after the archive")
        revision = _revision(conn)
    return {
        "ok": not problems.counts,
        "revision": revision,
        "counts": counts,
        "problems": problems.messages(),
        "unmigrated": [],
        "unmigrated_total": 0,
        "retired": retired,
        "archived": archived,
    }


def _count(conn: Connection, table: sa.Table) -> int:
    return conn.scalar(sa.select(sa.func.count()).select_from(table))


def _revision(conn: Connection) -> str | None:
    try:
        return conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
    except sa.exc.DBAPIError:
        conn.rollback()
        return None


def _schema(conn: Connection, problems: _Problems, dropped: tuple[str, ...] = ()) -> bool:
    """Every table and column of the models, and every protective trigger, exists; False if a table is missing.
    Tables `dropped` by the archive (and their triggers) are not looked for."""
    inspector = sa.inspect(conn)
    tables = set(inspector.get_table_names())
    complete = True
    for name, table in Base.metadata.tables.items():
        if name in dropped:
            continue
        if name not in tables:
            problems.add(f"table {name} is missing")
            complete = False
            continue
        present = {column["name"] for column in inspector.get_columns(name)}
        for column in table.columns:
            if column.name not in present:
                problems.add(f"column {name}.{column.name} is missing")
                complete = False
    if conn.dialect.name == "postgresql":
        found = set(conn.scalars(sa.text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
    else:
        found = set(conn.scalars(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
    for trigger in expected_triggers():
        if any(table in trigger for table in dropped):
            continue
        if trigger not in found:
            problems.add(f"trigger {trigger} is missing")
    return complete


def _rows(conn: Connection, problems: _Problems) -> tuple[list, int, int]:
    """One streamed pass over the legacy rows: every migratable row linked, every link to an existing row."""
    i, legacy_batch = ITEMS.alias("i"), B.alias("b")
    query = (
        sa.select(
            R.c.id,
            R.c.guarantee_number,
            R.c.record_type,
            R.c.migrated_guarantee_id,
            R.c.migrated_action_id,
            R.c.import_batch_id,
            G.c.guarantee_number.label("linked_number"),
            A.c.id.label("action_id"),
            A.c.guarantee_id.label("action_guarantee_id"),
            A.c.legacy_record_id.label("action_record_id"),
            legacy_batch.c.id.label("batch_id"),
            legacy_batch.c.origin.label("batch_origin"),
            i.c.id.label("item_id"),
        )  # fmt: skip
        .select_from(
            R.outerjoin(G, G.c.id == R.c.migrated_guarantee_id)
            .outerjoin(A, A.c.id == R.c.migrated_action_id)
            .outerjoin(legacy_batch, legacy_batch.c.id == R.c.import_batch_id)
            .outerjoin(i, i.c.legacy_record_id == R.c.id)
        )
        .order_by(R.c.id)
    )
    unmigrated, total, linked = [], 0, 0
    classified: dict = {}  # (record_type, number) → classify(...): numbers repeat, about twelve rows each
    for (
        row_id, raw_number, record_type, guarantee_id, action_link, batch_link, linked_number, action_id,
        action_guarantee_id, action_record_id, batch_id, batch_origin, item_id,
    ) in conn.execution_options(yield_per=5_000).execute(query):  # fmt: skip
        found = classified.get((record_type, raw_number))
        if found is None:
            found = classified[record_type, raw_number] = classify(record_type, raw_number)
        kind, number, reason = found
        if reason:
            total += 1
            if len(unmigrated) < MAX_UNMIGRATED:
                unmigrated.append({"id": row_id, "reason": reason})
        if guarantee_id is not None or action_link is not None:
            linked += 1
        if kind == IMPORT and guarantee_id is None:
            problems.add("migratable import rows are not linked to a guarantee", row_id)
        if kind == ACTION and action_link is None:
            problems.add("action rows are not linked to an action", row_id)
        if guarantee_id is not None:
            # A guarantee's number is stored normalised: equal text is the common case, checked first.
            if linked_number is None:
                problems.add("legacy rows link to a guarantee that does not exist", row_id)
            elif number and linked_number != number and normalise_number(linked_number) != number:
                problems.add("legacy rows link to a guarantee of another number", row_id)
        if action_link is not None:
            if action_id is None:
                problems.add("legacy rows link to an action that does not exist", row_id)
            else:
                if action_record_id is not None and action_record_id != row_id:
                    problems.add("legacy rows link to an action migrated from another row", row_id)
                if guarantee_id is not None and action_guarantee_id != guarantee_id:
                    problems.add("legacy rows link to an action of another guarantee", row_id)
        if batch_link is not None:
            if batch_id is None:
                problems.add("legacy rows link to a batch that does not exist", row_id)
            elif batch_origin == "legacy" and kind == IMPORT and item_id is None:
                problems.add("migrated import rows have no batch item", row_id)
    return unmigrated, total, linked


def _checks() -> list[tuple[str, sa.Select]]:
    """What else must hold, as (problem, query for its examples): items and migrated actions point back to a row
    that points to them; released guarantees have a release; issued actions lock; session and batch totals."""
    session_actions = sa.select(sa.func.count()).where(A.c.action_session_id == AS.c.id).scalar_subquery()
    batch_items = sa.select(sa.func.count()).where(ITEMS.c.batch_id == B.c.id).scalar_subquery()
    issued = sa.exists().where(A.c.guarantee_id == G.c.id, A.c.action_status == "issued")
    return [
        ("batch items whose legacy row does not point back to them (item ids)", sa.select(ITEMS.c.id)
         .select_from(ITEMS.outerjoin(R, R.c.id == ITEMS.c.legacy_record_id))
         .where(ITEMS.c.legacy_record_id.is_not(None), sa.or_(
             R.c.id.is_(None), R.c.migrated_guarantee_id.is_distinct_from(ITEMS.c.guarantee_id),
             R.c.import_batch_id.is_distinct_from(ITEMS.c.batch_id)))),
        ("migrated actions whose legacy row does not point back to them (action ids)", sa.select(A.c.id)
         .select_from(A.outerjoin(R, R.c.id == A.c.legacy_record_id))
         .where(A.c.origin == "legacy", sa.or_(
             A.c.legacy_record_id.is_(None), R.c.migrated_action_id.is_distinct_from(A.c.id)))),
        ("released guarantees have no issued release", sa.select(G.c.guarantee_number)
         .where(G.c.status == "released", ~issued.where(A.c.action_type == "release"))),
        ("guarantees with an issued action are not locked", sa.select(G.c.guarantee_number)
         .where(~G.c.is_locked, issued)),
        ("migrated action sessions whose totals disagree or that are not locked (ids)", sa.select(AS.c.id)
         .where(AS.c.origin == "legacy", sa.or_(AS.c.total_actions != session_actions, ~AS.c.is_locked))),
        ("migrated batches whose total_records disagree with their items (ids)", sa.select(B.c.id)
         .where(B.c.origin == "legacy", B.c.total_records != batch_items)),
    ]  # fmt: skip
