"""The back-links of migrated legacy rows (step 4 of a migrate), written from the items and actions themselves.

Set-based, by id range, one commit per range: a run killed before or during this step leaves items and
actions whose rows are not linked yet, and the next run links them here. On PostgreSQL two connections link
alternate ranges at once: each row rewritten there costs the server a new row version and an entry in each of
imported_records' indexes, work that a second backend runs on a second core. SQLite has one writer at a time:
in a one-transaction run it writes the import rows' links between the partitions of step 3 instead (EarlyLinks),
while the workers fold, and only the actions' links here.
"""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from guarantees.legacy.deferred import aside
from guarantees.legacy.scan import id_ranges
from guarantees.legacy.sql import bulk_insert
from guarantees.models import GuaranteeAction, ImportBatchItem
from guarantees.models.legacy import ImportedRecord

RECORDS = ImportedRecord.__table__
ITEMS = ImportBatchItem.__table__
ACTIONS = GuaranteeAction.__table__
LINK_RANGE = 50_000
EARLY_RANGE = 20_000  # legacy rows per step of EarlyLinks: about two partitions' worth, so it ends half-way
LINKERS = 2  # PostgreSQL connections linking at once
# EarlyLinks' two temporary tables. The legacy number and record type have no type: they compare as
# imported_records' own columns do. The numbers' index holds the guarantee id too: a lookup finds it in the index
# (12% off the UPDATE, measured); a (number, record type) is there once, from a dict.
LINK_NUMBERS, LINK_SESSIONS = "legacy_link_numbers", "legacy_link_sessions"
_LINK_TABLES = (
    f"CREATE TEMPORARY TABLE {LINK_NUMBERS} (raw_number, record_type, guarantee_id INTEGER NOT NULL)",
    f"CREATE INDEX temp.{LINK_NUMBERS}_key ON {LINK_NUMBERS} (raw_number, record_type, guarantee_id)",
    # (a legacy row may have no session: its id is NULL here too, and matched with IS)
    f"CREATE TEMPORARY TABLE {LINK_SESSIONS} (session_id INTEGER, batch_id INTEGER NOT NULL)",
    f"CREATE INDEX temp.{LINK_SESSIONS}_key ON {LINK_SESSIONS} (session_id, batch_id)",
)
# (table that names the legacy row, its columns → imported_records columns, the link that says "done", whether
# it names few of the legacy rows)
LINK_TARGETS = (
    (
        ITEMS.name,
        {"guarantee_id": "migrated_guarantee_id", "batch_id": "import_batch_id"},
        "migrated_guarantee_id",
        False,
    ),
    (ACTIONS.name, {"guarantee_id": "migrated_guarantee_id", "id": "migrated_action_id"}, "migrated_action_id", True),
)


def _link_sql(dialect: str, source: str, columns: dict, done: str, few: bool, ranged: bool = True) -> str:
    """Link the rows of an id range to what names them in `source` (by its legacy_record_id). On PostgreSQL,
    `ranged=False` links every row: one hash join, which a range condition can turn the planner away from."""
    r = RECORDS.name
    assignments = ", ".join(f"{target} = s.{name}" for name, target in columns.items())
    if dialect == "sqlite" and few:
        # The source's few rows of the range drive: each names its legacy row by rowid.
        targets, values = ", ".join(columns.values()), ", ".join(f"s.{name}" for name in columns)
        return (
            f"UPDATE {r} SET ({targets}) = (SELECT {values} FROM {source} AS s WHERE s.legacy_record_id = {r}.id) "
            f"WHERE id IN (SELECT legacy_record_id FROM {source} WHERE legacy_record_id >= ? AND legacy_record_id < ?) "
            f"AND {done} IS NULL"
        )
    if dialect == "sqlite":
        # Most legacy rows of the range are named: walk the range's unlinked rows and find each one's source row
        # once (a correlated SET with an EXISTS would look it up twice).
        return (
            f"UPDATE {r} SET {assignments} FROM (SELECT legacy_record_id, {', '.join(columns)} FROM {source} "
            f"WHERE legacy_record_id >= ? AND legacy_record_id < ?) AS s "
            f"WHERE s.legacy_record_id = {r}.id AND {r}.{done} IS NULL"
        )
    within = f"AND {r}.id >= %s AND {r}.id < %s " if ranged else ""
    return (
        f"UPDATE {r} SET {assignments} FROM {source} AS s WHERE s.legacy_record_id = {r}.id "
        f"{within}AND {r}.{done} IS NULL"
    )


def link(conn: Connection, dry_run: bool, summary, engine: Engine | None = None) -> None:
    """Write the back-links of every legacy row whose item or action exists, by id range, one commit per range."""
    if dry_run:
        summary.links = summary.relinked + sum(summary.items.values()) + sum(summary.actions.values())
        return
    low, high = conn.execute(sa.select(sa.func.min(RECORDS.c.id), sa.func.max(RECORDS.c.id))).one()
    conn.commit()
    if low is None:
        return
    starts = list(range(low, high + 1, LINK_RANGE))
    if engine is None or engine.dialect.name != "postgresql" or len(starts) < 2:
        summary.links += _link_ranges(conn, starts)
        return
    lock = threading.Lock()

    def take() -> int | None:
        with lock:
            return starts.pop(0) if starts else None

    def linker() -> int:
        with engine.connect() as own:
            return _link_ranges(own, iter(take, None))

    with ThreadPoolExecutor(max_workers=LINKERS, thread_name_prefix="legacy-migrate-linker") as pool:
        linked = [pool.submit(linker) for _ in range(LINKERS)]
        summary.links += sum(future.result() for future in linked)  # a linker's error ends the run here


class EarlyLinks:
    """SQLite, the one-transaction run: the back-links of the staged import rows written while the workers fold,
    a step at a time (the caller runs one between two partitions), instead of on one core after the last one.

    They need no item: the run gives each partition's guarantees their ids (`tasks`: a partition's first id, the
    others following in the order of its sorted numbers, as fold gives them), and a row's number and batch follow
    from its record type, legacy number and session (`scan`). Those go into two small temporary tables at once (and
    leave this process's memory before the workers are forked); each step is one UPDATE ... FROM joining an id range
    of legacy rows to them, with the two link indexes set aside until the last range. `complete` says whether
    they linked every staged import row: if not, the run writes the others' links from their items after the
    chunks, as it does on the other paths."""

    def __init__(self, conn: Connection, scan, tasks: list, batches: dict, summary) -> None:
        self.conn, self.summary, self.staged, self.linked = conn, summary, summary.import_rows, 0
        ids = {}
        for (_, first_id), numbers in zip(tasks, scan.numbers, strict=True):
            ids.update((number, first_id + ref) for ref, number in enumerate(sorted(numbers)))
        drop_link_tables(conn)
        for statement in _LINK_TABLES:
            conn.exec_driver_sql(statement)
        pairs = [(raw, record_type, ids[number]) for (record_type, raw), number in scan.import_numbers.items()]
        bulk_insert(conn, LINK_NUMBERS, ("raw_number", "record_type", "guarantee_id"), pairs)
        sessions = [(sid, batches[key]) for sid, key in scan.session_keys.items() if key in batches]
        bulk_insert(conn, LINK_SESSIONS, ("session_id", "batch_id"), sessions)
        scan.numbers, scan.import_numbers, scan.session_keys = [], {}, {}

    @property
    def complete(self) -> bool:
        return self.linked == self.staged

    def steps(self) -> Iterator[None]:
        conn, n, s, r = self.conn, LINK_NUMBERS, LINK_SESSIONS, RECORDS.name
        statement = (
            f"UPDATE {r} SET migrated_guarantee_id = n.guarantee_id, import_batch_id = s.batch_id "
            f"FROM {n} AS n, {s} AS s WHERE {r}.id >= ? AND {r}.id < ? AND n.raw_number = {r}.guarantee_number "
            f"AND n.record_type IS {r}.record_type AND s.session_id IS {r}.session_id "
            f"AND {r}.migrated_guarantee_id IS NULL"
        )
        with aside(conn, [r], foreign_keys=False, columns=list(LINK_TARGETS[0][1].values())):
            for low, high in id_ranges(conn, EARLY_RANGE)[0]:
                self.linked += conn.exec_driver_sql(statement, (low, high)).rowcount
                yield
        drop_link_tables(conn)
        if self.linked > self.staged:  # (only staged rows can match: a row linked besides them is a fault)
            raise RuntimeError(
                f"{self.linked} import rows were linked, {self.staged} were staged: nothing was migrated"
            )
        self.summary.links += self.linked


def drop_link_tables(conn: Connection) -> None:
    for table in (LINK_NUMBERS, LINK_SESSIONS):
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")


def link_all(conn: Connection, summary, targets=LINK_TARGETS) -> None:
    """The back-links of a one-transaction run: every row at once, in that transaction. Indexes of imported_records
    are set aside meanwhile, and one sort per index rebuilds each faster than an entry per row: on PostgreSQL its
    non-unique indexes and its primary key, since the update writes a new version of nearly every legacy row; on
    SQLite, which rewrites a row in place and updates only the indexes of the columns that change, the indexes of
    the two links the items write on nearly every row (update and builds 0.68 s instead of 0.81 s for 200,000
    rows, measured)."""
    low, high = conn.execute(sa.select(sa.func.min(RECORDS.c.id), sa.func.max(RECORDS.c.id))).one()
    if low is None:
        return
    postgresql = conn.dialect.name == "postgresql"
    statements = [_link_sql(conn.dialect.name, *target, ranged=not postgresql) for target in targets]
    params = () if postgresql else (low, high + 1)  # (SQLite's statements walk a range: here, all of them)
    columns = None if postgresql else [column for _, links, _, few in targets if not few for column in links.values()]
    with aside(conn, [RECORDS.name], foreign_keys=False, primary_keys=True, columns=columns):
        for statement in statements:
            summary.links += conn.exec_driver_sql(statement, params).rowcount


def _link_ranges(conn: Connection, starts) -> int:
    """Link the ranges beginning at `starts`, one commit each; returns the rows linked."""
    statements = [_link_sql(conn.dialect.name, *target) for target in LINK_TARGETS]
    linked = 0
    for start in starts:
        for statement in statements:
            linked += conn.exec_driver_sql(statement, (start, start + LINK_RANGE)).rowcount
        conn.commit()
    return linked
