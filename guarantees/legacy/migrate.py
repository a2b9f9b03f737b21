"""`flask legacy migrate`: legacy rows → batches, guarantees, items, actions and action sessions, back-linked.

How it stays fast, flat in memory and resumable:

1. scan — one streamed pass over imported_records (ordered by id) classifies every row, numbers
   each import row within its batch, and stages the unlinked migratable rows in the run's own files
   (see spool.py) with their normalised number, in a partition (a hash of the number), so that all
   rows of one number land in the same partition, counting each partition's numbers;
2. prepare — the missing batches and the day's action sessions (issued, locked, with their final counts);
3. chunks — worker processes read and fold the partitions (each number's rows into a guarantee, its
   items and actions) and hand back rows ready to write (see partition.py, workers.py), which this
   process writes in partition order, set-based (COPY on PostgreSQL, many rows per INSERT on SQLite); a number
   is never half done;
4. links — the back-links are written from the items and actions themselves, one UPDATE ... FROM each (in the
   one-transaction run on SQLite, the import rows' links are written during step 3 instead, between partitions,
   from the ids the run gives: see links.EarlyLinks).

Into an empty register (the first migration, or one after a rollback) steps 2 to 4 are one transaction,
with the new tables' non-unique indexes and foreign keys, and SQLite's search-index trigger, set aside until
its end (see deferred.py), and the guarantee ids given by the run, a block per partition: a run killed
anywhere leaves the register as it was, and the next run starts again. Otherwise (the register
already holds guarantees, or `commit_chunks`) each chunk is its own transaction and the links are written
by id range, a commit each: a run killed anywhere leaves whole numbers migrated; the next run skips the
rows that already have an item or an action (linking them in step 4) and continues with the rest. Either
way the result is the one an uninterrupted run gives.
"""

import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from guarantees.legacy.deferred import aside, insert_triggers_aside
from guarantees.legacy.groups import prepare
from guarantees.legacy.links import LINK_TARGETS, EarlyLinks, drop_link_tables, link, link_all
from guarantees.legacy.partition import Partition, fold, write
from guarantees.legacy.plan import Context
from guarantees.legacy.scan import scan as stage
from guarantees.legacy.spool import Spool, spool_directory
from guarantees.legacy.sql import bulk_insert, bulk_session
from guarantees.legacy.workers import mapped
from guarantees.models import Guarantee, GuaranteeAction, ImportBatch, ImportBatchItem
from guarantees.models.base import utcnow
from guarantees.models.dictionary import Bank, Supplier

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock on SQLite files
    fcntl = None

CHUNK_ROWS = 10_000
# SQLite page cache of the migrating process: half the load's, since its workers share the machine's memory (a
# bigger one gains 1-2% of speed).
CACHE_KIB = 16 * 1024
RUN_LOCK = 0x6C65676D  # the PostgreSQL advisory lock a migrate holds while it runs
# Test hooks: after committing chunk N (or with chunk N written but not committed), say so on stderr and
# wait to be killed. Never set in production.
PAUSE_ENV = "LEGACY_MIGRATE_PAUSE_AFTER_CHUNK"
PAUSE_IN_ENV = "LEGACY_MIGRATE_PAUSE_IN_CHUNK"

GUARANTEES = Guarantee.__table__
ACTIONS = GuaranteeAction.__table__
ITEMS = ImportBatchItem.__table__
BATCHES = ImportBatch.__table__

_TMP_META = sa.MetaData()
COUNTS = sa.Table(
    "legacy_migrate_counts",
    _TMP_META,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("total", sa.Integer),
    sa.Column("ready", sa.Integer),
    prefixes=["TEMPORARY"],
)
NEW_TABLES = (GUARANTEES.name, ITEMS.name, ACTIONS.name)  # their indexes wait for the end of a one-transaction run


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
    one_transaction: bool = False
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


class MigrateBusy(Exception):
    """Another migrate is running on this database: this one changed nothing."""


@contextmanager
def _alone(conn: Connection) -> Iterator[None]:
    """One migrate at a time on a database: the batches and sessions it prepares, and the guarantee ids it gives, are
    the run's own."""
    busy = MigrateBusy("Another `flask legacy migrate` is running on this database; nothing was changed.")
    if conn.dialect.name == "postgresql":
        if not conn.scalar(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": RUN_LOCK}):
            conn.rollback()
            raise busy
        conn.commit()
        try:
            yield
        finally:
            try:
                conn.rollback()
                conn.scalar(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": RUN_LOCK})
                conn.commit()
            except sa.exc.DBAPIError:  # the connection is gone, and its session lock with it
                pass
        return
    database = conn.engine.url.database
    if database in (None, "", ":memory:") or fcntl is None:  # no other connection can reach it; not POSIX
        yield
        return
    with open(database, "rb") as held:  # flock: apart from SQLite's own (fcntl) locks, freed when the process ends
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy from None
        yield


def migrate(
    engine: Engine, *, dry_run: bool = False, chunk_rows: int = CHUNK_ROWS, commit_chunks: bool = False, progress=None
) -> Summary:
    """Migrate every unlinked legacy row; see the module docstring. `progress(n)` is called as rows are done.

    Into an empty register (no guarantee, item or action yet: the first migration, or one after a rollback) the
    run is one transaction, with the new tables' non-unique indexes and foreign keys built at its end (see
    deferred.py): all or nothing, and on PostgreSQL in about two thirds of the time. Otherwise, or with `commit_chunks`,
    each chunk is committed on its own and a crash keeps what was committed.
    """
    started = time.perf_counter()
    summary = Summary(dry_run=dry_run)
    now = utcnow()
    with engine.connect() as conn, bulk_session(conn, cache_kib=CACHE_KIB), _alone(conn), spool_directory() as folder:
        try:
            scan = stage(engine, conn, summary, chunk_rows, folder)
            conn.commit()
            # (a dry run says which way the run would go, and goes neither)
            summary.one_transaction = not commit_chunks and _register_empty(conn)
            single = summary.one_transaction and not dry_run
            batches, sessions = prepare(conn, scan, summary, dry_run, now)
            if dry_run:
                conn.rollback()
            elif not single:
                conn.commit()
            ctx = Context(
                batches=batches, sessions=sessions, suppliers=_ids(conn, Supplier), banks=_ids(conn, Bank), now=now,
                empty=single,
            )  # fmt: skip
            # ctx.empty: the run's one transaction, which gives the guarantee ids and builds the indexes at its end
            tasks = _tasks(conn, scan.sizes, assign=ctx.empty)
            if single:
                sqlite = conn.dialect.name == "sqlite"
                with aside(conn, NEW_TABLES), insert_triggers_aside(conn, GUARANTEES.name):
                    # SQLite: the import rows' back-links written between the partitions (see links.EarlyLinks)
                    early = EarlyLinks(conn, scan, tasks, batches, summary) if sqlite else None
                    steps = early.steps() if early else iter(())
                    _chunks(engine, conn, tasks, ctx, scan.spool, summary, dry_run, progress, steps)
                    link_all(conn, summary, LINK_TARGETS[1:] if early and early.complete else LINK_TARGETS)
                conn.commit()
            else:
                _chunks(engine, conn, tasks, ctx, scan.spool, summary, dry_run, progress)
                link(conn, dry_run, summary, engine)
            summary.values_not_carried = dict(ctx.dropped)
        finally:
            try:
                conn.rollback()
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {COUNTS.name}")
                drop_link_tables(conn)
                conn.commit()
            except sa.exc.DBAPIError:  # the connection is gone: so is its temporary table
                pass
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _pause(where: str) -> None:
    print(f"legacy migrate test hook: {where}, pausing", file=sys.stderr, flush=True)
    while True:  # pragma: no cover - ended by the test's SIGKILL
        signal.pause()


def _register_empty(conn: Connection) -> bool:
    return not any(conn.scalar(sa.select(sa.exists().select_from(table))) for table in (GUARANTEES, ITEMS, ACTIONS))


def _ids(conn: Connection, model) -> set[int]:
    return set(conn.scalars(sa.select(model.__table__.c.id)))


def _chunks(
    engine: Engine,
    conn: Connection,
    tasks: list,
    ctx: Context,
    spool: Spool,
    summary: Summary,
    dry_run: bool,
    progress,
    between: Iterator = iter(()),
):
    """Write every folded partition (folded by workers.mapped, see partition.py) in partition order: one transaction
    each, or all in the run's one transaction, the batches' counters then added once at the end. A step of `between`
    runs after each partition (the rest after the last one)."""
    pause_after, pause_in = (int(os.environ.get(name) or 0) for name in (PAUSE_ENV, PAUSE_IN_ENV))
    if not dry_run and conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {COUNTS.name}")
        COUNTS.create(conn)
    written, totals, ready = 0, Counter(), Counter()
    with mapped(engine, conn, fold, tasks, (ctx, spool)) as partitions:
        for partition in filter(None, partitions):  # (an empty partition folds to None)
            _tally(summary, ctx, partition)
            if not dry_run:
                written += 1
                counts = write(conn, partition, search_staged=not ctx.empty)
                if summary.one_transaction:
                    for batch_id, total, batch_ready in counts:
                        totals[batch_id] += total
                        ready[batch_id] += batch_ready
                    if written in (pause_in, pause_after):
                        _pause(f"chunk {written} written, the run's one transaction not committed")
                else:
                    _add_counts(conn, counts)
                    if pause_in == written:
                        _pause(f"chunk {written} written, not committed")
                    conn.commit()
                    if pause_after == written:
                        _pause(f"chunk {written} committed")
            summary.chunks += 1
            if progress:
                progress(partition.rows)
            next(between, None)
    for _ in between:
        pass
    if totals:
        _add_counts(conn, [(batch_id, total, ready[batch_id]) for batch_id, total in totals.items()])
    if ctx.empty and not dry_run and conn.dialect.name == "postgresql":
        # The ids were given, not drawn: the sequence goes on after the highest.
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{GUARANTEES.name}', 'id'), max(id)) FROM {GUARANTEES.name} "
            "HAVING max(id) IS NOT NULL"
        )


def _tasks(conn: Connection, sizes: list[int], assign: bool) -> list[tuple[int, int | None]]:
    """(partition, id of its first guarantee) for each partition (`sizes`: the scan's count of the distinct numbers of
    each). With `assign` (the one-transaction run, which holds guarantees until its commit: no other writer can take
    an id meanwhile) the ids follow on from the next free one, a block per partition as large as its numbers, so that
    the folded rows come back final; else None."""
    if not assign:
        return [(part, None) for part in range(len(sizes))]
    if conn.dialect.name == "postgresql":
        next_id = conn.scalar(sa.text(f"SELECT nextval(pg_get_serial_sequence('{GUARANTEES.name}', 'id'))"))
    else:  # what SQLite would give (max(rowid) + 1), written out
        next_id = conn.scalar(sa.select(sa.func.coalesce(sa.func.max(GUARANTEES.c.id), 0) + 1))
    tasks = []
    for part, size in enumerate(sizes):
        tasks.append((part, next_id))
        next_id += size
    return tasks


def _tally(summary: Summary, ctx: Context, partition: Partition) -> None:
    summary.guarantees_created += partition.created
    summary.guarantees_merged += partition.merged
    summary.items.update(partition.outcomes)
    summary.actions.update(partition.action_types)
    for name, count in partition.dropped.items():
        ctx.dropped[name] = ctx.dropped.get(name, 0) + count


def _add_counts(conn: Connection, counts: list[tuple]) -> None:
    """Add (batch id, rows, ready rows) to the batches' counters: one statement per batch on SQLite, where that
    is cheap; staged and one UPDATE ... FROM on PostgreSQL, where a chunk touches thousands of batches."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            f"UPDATE {BATCHES.name} SET total_records = total_records + ?, ready_records = ready_records + ? "
            "WHERE id = ?",
            [(total, ready, batch_id) for batch_id, total, ready in counts],
        )
        return
    bulk_insert(conn, COUNTS.name, ("id", "total", "ready"), counts)
    conn.exec_driver_sql(
        f"UPDATE {BATCHES.name} AS b SET total_records = b.total_records + c.total, "
        f"ready_records = b.ready_records + c.ready FROM {COUNTS.name} AS c WHERE c.id = b.id"
    )
    conn.exec_driver_sql(f"DELETE FROM {COUNTS.name}")
