"""`flask legacy migrate`: legacy rows → batches, guarantees, items, actions and action sessions, back-linked.

One process, one mode, a few plain steps:

1. relink — a row whose item or action exists but whose link was lost gets it back;
2. stage — each distinct (record type, number) is classified once in Python (rows.classify), each session's
   batch worked out once (rows.batch_key); the unlinked migratable rows go to a temporary table with their
   normalised number and their place in their batch (SQL does the per-row work);
3. prepare — the batches and action sessions those rows need (groups.py), committed;
4. chunks — whole guarantee numbers at a time, in number order: read, fold (plan.py), write, link, commit.

A run killed anywhere keeps the chunks it committed; the next run stages only the rows still unlinked and
finishes. A second run finds nothing to do and changes nothing.
"""

import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from guarantees.legacy.groups import prepare
from guarantees.legacy.plan import CREATED_AT, ID, INPUT_COLUMNS, Context, plan_number
from guarantees.legacy.rows import ACTION, IMPORT, action_day, batch_key, classify
from guarantees.legacy.sql import bulk_insert, bulk_session, converter
from guarantees.models import Guarantee, GuaranteeAction, ImportBatch, ImportBatchItem
from guarantees.models.base import utcnow
from guarantees.models.dictionary import Bank, Supplier

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock on SQLite files
    fcntl = None

CHUNK_ROWS = 50_000  # chunks write links all over imported_records: fewer, bigger ones cost less
RUN_LOCK = 0x6C65676D  # the PostgreSQL advisory lock a migrate holds while it runs
GUARANTEES, ACTIONS = Guarantee.__table__, GuaranteeAction.__table__
ITEMS, BATCHES = ImportBatchItem.__table__, ImportBatch.__table__
ITEM_COLUMNS = (
    "batch_id", "row_number", "guarantee_id", "outcome", "changes", "legacy_record_id", "created_by", "created_at",
)  # fmt: skip
HELD = ("id", "guarantee_number", "is_locked", "status", "version")
NUMBERS, KEYS, ROWS = "legacy_migrate_numbers", "legacy_migrate_keys", "legacy_migrate_rows"
# Temporary tables: they vanish with the connection, so a killed run leaves nothing behind.
TEMPORARY = (
    f"CREATE TEMPORARY TABLE {NUMBERS} (record_type TEXT NOT NULL, raw_number TEXT NOT NULL, number TEXT NOT NULL, "
    "kind TEXT NOT NULL)",
    f"CREATE INDEX {NUMBERS}_raw ON {NUMBERS} (raw_number, record_type)",
    f"CREATE TEMPORARY TABLE {KEYS} (session_id INTEGER PRIMARY KEY, batch_key TEXT NOT NULL)",
    f"CREATE TEMPORARY TABLE {ROWS} (id INTEGER PRIMARY KEY, number TEXT NOT NULL, kind TEXT NOT NULL, "
    "batch_key TEXT, row_number INTEGER)",
)
# A row's place in its batch counts every migratable import row of that batch, linked or not, in id order:
# a resumed run numbers the rows it still has to do as the first run would have.
STAGE = f"""
INSERT INTO {ROWS} (id, number, kind, batch_key, row_number)
SELECT id, number, kind, batch_key, position FROM (
    SELECT r.id, n.number, n.kind, coalesce(k.batch_key, 'excel_import|') AS batch_key,
           r.migrated_guarantee_id AS guarantee_link, r.migrated_action_id AS action_link,
           row_number() OVER (PARTITION BY n.kind, coalesce(k.batch_key, 'excel_import|') ORDER BY r.id) AS position
    FROM imported_records r
    JOIN {NUMBERS} n ON n.raw_number = r.guarantee_number AND n.record_type = coalesce(r.record_type, 'import')
    LEFT JOIN {KEYS} k ON k.session_id = r.session_id
) s
WHERE (kind = '{IMPORT}' AND guarantee_link IS NULL) OR (kind = '{ACTION}' AND action_link IS NULL)
"""
READ = sa.text(
    f"SELECT t.number, t.id, r.created_at, t.kind, r.record_type, t.batch_key, t.row_number, "
    f"{', '.join(f'r.{name}' for name in INPUT_COLUMNS)} FROM {ROWS} t JOIN imported_records r ON r.id = t.id "
    "WHERE t.number >= :low AND t.number <= :high"
)
# Back-links from what was written after item (action) id :before; the IS NULL keeps rows the app linked itself.
# (Driven by the new ids: with an UPDATE ... FROM, SQLite would walk every unlinked row instead.)
LINK_ITEMS = sa.text(
    "UPDATE imported_records SET (migrated_guarantee_id, import_batch_id) = (SELECT i.guarantee_id, i.batch_id "
    "FROM import_batch_items i WHERE i.legacy_record_id = imported_records.id) WHERE migrated_guarantee_id IS NULL "
    "AND id IN (SELECT legacy_record_id FROM import_batch_items WHERE id > :before)"
)
LINK_ACTIONS = sa.text(
    "UPDATE imported_records SET (migrated_guarantee_id, migrated_action_id) = (SELECT a.guarantee_id, a.id "
    "FROM guarantee_actions a WHERE a.legacy_record_id = imported_records.id) WHERE migrated_action_id IS NULL "
    "AND id IN (SELECT legacy_record_id FROM guarantee_actions WHERE id > :before)"
)


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

    @property
    def nothing_to_do(self) -> bool:
        return not (self.import_rows or self.action_rows or self.relinked)

    def as_dict(self) -> dict:
        data = {name: dict(value) if isinstance(value, dict) else value for name, value in vars(self).items()}
        data["unmigrated_rows"] = sum(self.unmigrated.values())
        data["rows_per_second"] = round(self.legacy_rows / self.seconds) if self.seconds else None
        data["nothing_to_do"] = self.nothing_to_do
        return data


class MigrateBusy(Exception):
    """Another migrate is running on this database: this one changed nothing."""


@contextmanager
def _alone(conn: Connection) -> Iterator[None]:
    """One migrate at a time per database: two would create the same batches and guarantees."""
    busy = MigrateBusy("Another `flask legacy migrate` is running on this database; nothing was changed.")
    if conn.dialect.name == "postgresql":
        locked = conn.scalar(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": RUN_LOCK})
        conn.commit()
        if not locked:
            raise busy
        try:
            yield
        finally:
            with suppress(sa.exc.DBAPIError):  # (a lost connection takes its session lock with it)
                conn.rollback()
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": RUN_LOCK})
                conn.commit()
        return
    database = conn.engine.url.database
    if database in (None, "", ":memory:") or fcntl is None:
        yield
        return
    with open(database, "rb") as held:  # flock, apart from SQLite's own locks; freed when the process ends
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy from None
        yield


def migrate(engine: Engine, *, dry_run: bool = False, chunk_rows: int = CHUNK_ROWS, progress=None) -> Summary:
    """Migrate every unlinked legacy row (see the module docstring); `progress(n)` is called per chunk."""
    started = time.perf_counter()
    summary = Summary(dry_run=dry_run)
    now = utcnow()
    with engine.connect() as conn, bulk_session(conn), _alone(conn):
        try:
            _drop_temporary(conn)
            batch_meta, days = _stage(conn, summary)
            batches, sessions = prepare(conn, batch_meta, days, summary, dry_run, now)
            if not dry_run:
                conn.commit()
            ctx = Context(batches=batches, sessions=sessions, suppliers=_ids(conn, Supplier), banks=_ids(conn, Bank),
                          now=now)  # fmt: skip
            for low, high, rows in _bounds(conn, chunk_rows):
                _chunk(conn, ctx, summary, low, high, dry_run)
                summary.chunks += 1
                if progress:
                    progress(rows)
            summary.values_not_carried = dict(ctx.dropped)
            if dry_run:
                summary.links = summary.relinked + sum(summary.items.values()) + sum(summary.actions.values())
        finally:
            with suppress(sa.exc.DBAPIError):  # (a lost connection takes its temporary tables with it)
                conn.rollback()
                _drop_temporary(conn)
                conn.commit()
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _drop_temporary(conn: Connection) -> None:
    for table in (ROWS, KEYS, NUMBERS):
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")


def _ids(conn: Connection, model) -> set[int]:
    return set(conn.scalars(sa.select(model.__table__.c.id)))


def _stage(conn: Connection, summary: Summary) -> tuple[dict, Counter]:
    """Steps 1 and 2: count and classify every row, relink, stage the rest. Returns what step 3 needs: batch key →
    (session type, id, created_at) of the batches, and action day → actions."""
    numbers = {}
    for record_type, raw, rows, guarantee_links, action_links in conn.exec_driver_sql(
        "SELECT coalesce(record_type, 'import'), guarantee_number, count(*), count(migrated_guarantee_id), "
        "count(migrated_action_id) FROM imported_records GROUP BY coalesce(record_type, 'import'), guarantee_number"
    ):
        summary.legacy_rows += rows
        kind, number, reason = classify(record_type, raw)
        if reason:
            summary.unmigrated[reason] += rows
            continue
        summary.already_linked += guarantee_links if kind == IMPORT else action_links
        numbers[record_type, raw] = (record_type, raw, number, kind)
    summary.relinked = _link(conn, 0, 0)
    meta = {"excel_import|": (None, None, None)}
    keys = []
    for session_id, session_type, created_at in conn.exec_driver_sql(
        "SELECT DISTINCT r.session_id, s.session_type, s.created_at FROM imported_records r "
        "LEFT JOIN import_sessions s ON s.id = r.session_id WHERE r.session_id IS NOT NULL"
    ):
        key = batch_key(session_type, session_id, created_at)
        meta.setdefault(key, (session_type, session_id, created_at))
        keys.append((session_id, key))
    for statement in TEMPORARY:
        conn.exec_driver_sql(statement)
    bulk_insert(conn, NUMBERS, ("record_type", "raw_number", "number", "kind"), list(numbers.values()))
    bulk_insert(conn, KEYS, ("session_id", "batch_key"), keys)
    conn.exec_driver_sql(STAGE)
    conn.exec_driver_sql(f"CREATE INDEX {ROWS}_number ON {ROWS} (number)")
    counts = dict(conn.exec_driver_sql(f"SELECT kind, count(*) FROM {ROWS} GROUP BY kind").all())
    summary.import_rows, summary.action_rows = counts.get(IMPORT, 0), counts.get(ACTION, 0)
    needed = conn.exec_driver_sql(f"SELECT DISTINCT batch_key FROM {ROWS} WHERE kind = '{IMPORT}'").scalars()
    days = Counter()
    for created_at, n in conn.exec_driver_sql(
        f"SELECT r.created_at, count(*) FROM {ROWS} t JOIN imported_records r ON r.id = t.id "
        f"WHERE t.kind = '{ACTION}' GROUP BY r.created_at"
    ):
        days[action_day(created_at)] += n
    return {key: meta[key] for key in needed}, days


def _bounds(conn: Connection, chunk_rows: int) -> list[tuple[str, str, int]]:
    """(first number, last number, rows) of each chunk: whole numbers, about `chunk_rows` rows each."""
    bounds, low, rows = [], None, 0
    for number, n in conn.exec_driver_sql(f"SELECT number, count(*) FROM {ROWS} GROUP BY number ORDER BY number"):
        low, rows = low or number, rows + n
        if rows >= chunk_rows:
            bounds.append((low, number, rows))
            low, rows = None, 0
    return bounds + [(low, number, rows)] if low else bounds


def _link(conn: Connection, items_before: int, actions_before: int) -> int:
    linked = conn.execute(LINK_ITEMS, {"before": items_before}).rowcount
    return linked + conn.execute(LINK_ACTIONS, {"before": actions_before}).rowcount


def _in_order(rows: list) -> None:
    """A number's rows by (created_at, id), a row without created_at first (as Python compares text)."""
    rows.sort(key=lambda row: (row[CREATED_AT] or "", row[ID]))


def _chunk(conn: Connection, ctx: Context, summary: Summary, low: str, high: str, dry_run: bool) -> None:
    """Step 3 for the numbers from `low` to `high`: read, fold, write, link, commit."""
    by_number = defaultdict(list)
    for row in conn.execute(READ, {"low": low, "high": high}).all():
        by_number[row[0]].append(row)
    held = sa.select(*(GUARANTEES.c[name] for name in HELD), *(c for c in GUARANTEES.c if c.name not in HELD))
    existing = {
        g.guarantee_number: g._asdict()
        for g in conn.execute(held.where(GUARANTEES.c.guarantee_number.between(low, high)))
        if g.guarantee_number in by_number
    }
    stored = converter(conn, ITEMS, ("created_at",))  # (items carry created_at as stored: they are not converted)
    cache: dict = {}
    numbers = sorted(by_number)
    new, updates, actions, items, ready = [], [], [], [], Counter()
    for ref, number in enumerate(numbers):
        rows = by_number.pop(number)
        _in_order(rows)
        plan = plan_number(number, rows, existing.get(number), ctx, cache, ref, lambda at: stored((at,))[0])
        if plan.existing_id is None:
            summary.guarantees_created += 1
            new.append(plan.guarantee)
        else:
            summary.guarantees_merged += 1
            if plan.update:
                updates.append((plan.existing_id, plan.update))
        actions += [(ref, action) for action in plan.actions]
        items += plan.items
        ready.update(plan.ready_batches)
    summary.items.update(item[3] for item in items)
    summary.actions.update(action["action_type"] for _, action in actions)
    if dry_run:
        return
    if new:
        columns = tuple(new[0])
        convert = converter(conn, GUARANTEES, columns)
        bulk_insert(conn, GUARANTEES.name, columns, [convert(tuple(g.values())) for g in new])
    held = sa.select(GUARANTEES.c.guarantee_number, GUARANTEES.c.id)
    ids = dict(conn.execute(held.where(GUARANTEES.c.guarantee_number.between(low, high))).all())
    ids = [ids[number] for number in numbers]
    items_before = conn.scalar(sa.select(sa.func.coalesce(sa.func.max(ITEMS.c.id), 0)))
    actions_before = conn.scalar(sa.select(sa.func.coalesce(sa.func.max(ACTIONS.c.id), 0)))
    if actions:
        columns = ("guarantee_id", *actions[0][1])
        convert = converter(conn, ACTIONS, columns)
        bulk_insert(conn, ACTIONS.name, columns, [convert((ids[ref], *a.values())) for ref, a in actions])
    for guarantee_id, update in updates:
        conn.execute(sa.update(GUARANTEES).where(GUARANTEES.c.id == guarantee_id).values(update))
    items.sort(key=lambda item: item[5])  # in legacy-id order, the order of their unique index
    bulk_insert(conn, ITEMS.name, ITEM_COLUMNS, [(*item[:2], ids[item[2]], *item[3:]) for item in items])
    counts = Counter(item[0] for item in items)
    if counts:
        conn.execute(
            sa.update(BATCHES)
            .where(BATCHES.c.id == sa.bindparam("b_id"))
            .values(
                total_records=BATCHES.c.total_records + sa.bindparam("b_total"),
                ready_records=BATCHES.c.ready_records + sa.bindparam("b_ready"),
            ),
            [{"b_id": batch, "b_total": n, "b_ready": ready[batch]} for batch, n in counts.items()],
        )
    summary.links += _link(conn, items_before, actions_before)
    commit(conn)


def commit(conn: Connection) -> None:
    """The end of a chunk: everything it wrote, links included, is kept from here (tests stop a run here)."""
    conn.commit()
