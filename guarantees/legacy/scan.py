"""Step 1 of a migrate: classify every legacy row and stage the unlinked migratable ones.

The rows are read by id range, each range in one streamed pass (by the worker processes when there are any,
see workers.py): every row is classified, each import row numbered within its batch, and the unlinked
migratable rows are staged (see spool.py) with their normalised number, in a partition (a hash of the number,
so that all rows of one number land in the same partition). This process adds up the ranges' figures as they
come back, in id order, and what each range's import rows add to their batches' row numbers.
"""

import zlib
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from guarantees.legacy.plan import INPUT_COLUMNS
from guarantees.legacy.rows import ACTION, IMPORT, action_day, batch_key, classify
from guarantees.legacy.spool import Spool, Writer
from guarantees.legacy.sql import stream
from guarantees.legacy.workers import mapped
from guarantees.models import GuaranteeAction, ImportBatchItem
from guarantees.models.legacy import ImportedRecord, ImportSession

RECORDS = ImportedRecord.__table__
SESSIONS = ImportSession.__table__
ITEMS = ImportBatchItem.__table__
ACTIONS = GuaranteeAction.__table__
READ_BATCH = 5_000
RANGE_ROWS = 25_000  # about how many legacy rows one range (one task) holds: several per worker, which even out
MAX_CLASSIFIED = 1 << 17
_CLASSIFIED: dict = {}  # (record type, raw number, partitions) → (kind, normalised number, reason, partition)

# The staging table of earlier versions, which a run killed part-way left behind: dropped when a run starts.
OLD_STAGING = "legacy_migrate_rows"


@dataclass
class Scan:
    """What the scan found for the next steps."""

    parts: int
    spool: Spool
    sizes: list[int] = field(default_factory=list)  # the distinct numbers of each partition
    numbers: list[set] = field(default_factory=list)  # those numbers
    # What names a staged import row's guarantee and batch, for its back-link (see links.EarlyLinks): the number
    # of each (record type, legacy number) of those rows, and the batch key of each of their sessions.
    import_numbers: dict = field(default_factory=dict)
    session_keys: dict = field(default_factory=dict)
    batch_meta: dict = field(default_factory=dict)  # batch key → (session type, session id, session created_at)
    action_days: Counter = field(default_factory=Counter)
    relinks: int = 0


@dataclass
class _Range:
    """One id range, scanned: its figures, and its staged rows with their numbers within this range only."""

    legacy_rows: int = 0
    unmigrated: Counter = field(default_factory=Counter)
    already_linked: int = 0
    relinks: int = 0
    import_rows: int = 0
    action_rows: int = 0
    problems: list = field(default_factory=list)
    batch_meta: dict = field(default_factory=dict)
    action_days: Counter = field(default_factory=Counter)
    import_rows_by_key: Counter = field(default_factory=Counter)  # linked or not: how the rows are numbered
    numbers: dict = field(default_factory=dict)  # partition → the numbers of its staged rows
    writer: int | None = None  # the process that staged them
    import_numbers: dict = field(default_factory=dict)  # (record type, legacy number) → number, of staged import rows
    session_keys: dict = field(default_factory=dict)  # session id → batch key, of the sessions of those rows


def scan(engine: Engine, conn: Connection, summary, chunk_rows: int, directory: str) -> Scan:
    """Classify every legacy row, count what it is in `summary`, stage the unlinked migratable rows in
    `directory`."""
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {OLD_STAGING}")
    bounds, rows = id_ranges(conn)
    # Partitions of about `chunk_rows` rows each, counting every legacy row (linked ones too: counting only the
    # others would cost a pass over the table): after a partial run, the partitions are only smaller.
    result = Scan(parts=max(1, -(-rows // max(chunk_rows, 1))), spool=Spool(directory))
    ranges = [(index, *range_) for index, range_ in enumerate(bounds)]
    offsets: Counter = Counter()  # a batch's import rows in the ranges before
    numbers: list[set] = [set() for _ in range(result.parts)]  # (numbers, not rows: they repeat about twelve times)
    with mapped(engine, conn, _scan_range, ranges, (result.parts, directory)) as scanned:
        for found in scanned:
            _add(summary, result, found)
            for part, found_numbers in found.numbers.items():
                numbers[part] |= found_numbers
            result.spool.offsets.append({key: offsets[key] for key in found.import_rows_by_key if offsets[key]})
            offsets.update(found.import_rows_by_key)
            if found.writer is not None:
                result.spool.writers.add(found.writer)
            result.import_numbers.update(found.import_numbers)
            result.session_keys.update(found.session_keys)
    result.numbers = numbers
    result.sizes = [len(part) for part in numbers]
    summary.relinked = result.relinks
    return result


def id_ranges(conn: Connection, size: int | None = None) -> tuple[list[tuple[int, int]], int]:
    """The legacy rows' ids cut into [low, high) ranges of about `size` (RANGE_ROWS) rows each, in id order; and how
    many rows there are."""
    size = size or RANGE_ROWS
    low, high, rows = conn.execute(
        sa.select(sa.func.min(RECORDS.c.id), sa.func.max(RECORDS.c.id), sa.func.count())
    ).one()
    if not rows:
        return [], 0
    step = max(1, -(-(high - low + 1) * size // rows))
    return [(start, min(start + step, high + 1)) for start in range(low, high + 1, step)], rows


def _add(summary, result: Scan, found: _Range) -> None:
    summary.legacy_rows += found.legacy_rows
    summary.unmigrated.update(found.unmigrated)
    summary.already_linked += found.already_linked
    summary.import_rows += found.import_rows
    summary.action_rows += found.action_rows
    summary.problems += found.problems
    result.relinks += found.relinks
    result.action_days.update(found.action_days)
    for key, meta in found.batch_meta.items():
        result.batch_meta.setdefault(key, meta)  # the session of the key's first staged row


def _scan_range(conn: Connection, bounds: tuple[int, int, int], staging: tuple[int, str]) -> _Range:
    """Classify the rows of range `index`, with ids in [low, high), and stage the migratable ones: reads only the
    database (a worker process runs this as well as this one)."""
    index, low, high = bounds
    parts, directory = staging
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
            a.c.id.label("action_id"),
            *(r.c[name] for name in INPUT_COLUMNS),
        )  # fmt: skip
        .select_from(
            r.outerjoin(s, s.c.id == r.c.session_id)
            .outerjoin(i, i.c.legacy_record_id == r.c.id)
            .outerjoin(a, a.c.legacy_record_id == r.c.id)
        )
        .where(r.c.id >= low, r.c.id < high)
        .order_by(r.c.id)
    )
    cells = len(query.selected_columns) - len(INPUT_COLUMNS)  # where the row's cells begin
    found = _Range()
    row_numbers = found.import_rows_by_key
    writer = Writer(directory, index)
    stage = writer.add
    # Numbers repeat (about twelve rows each, across ranges too) and a session's rows share its batch: each is worked
    # out once (the numbers once per process, while the cache stays small).
    if len(_CLASSIFIED) > MAX_CLASSIFIED:
        _CLASSIFIED.clear()
    classified = _CLASSIFIED
    keys: dict = {}  # session id → batch key (the session's type and date come with its id)
    import_numbers = found.import_numbers
    for values in stream(conn, query, READ_BATCH):
        (
            row_id, raw_number, record_type, session_id, created_at, guarantee_id, action_link, session_type,
            session_created_at, item_guarantee_id, action_id,
        ) = values[:cells]  # fmt: skip
        found.legacy_rows += 1
        known = classified.get((record_type, raw_number, parts))
        if known is None:
            kind, number, reason = classify(record_type, raw_number)
            part = None if reason else zlib.crc32(number.encode()) % parts
            known = classified[record_type, raw_number, parts] = (kind, number, reason, part)
        kind, number, reason, part = known
        if reason:
            found.unmigrated[reason] += 1
            continue
        if kind == IMPORT:
            key = keys.get(session_id)
            if key is None:
                key = keys[session_id] = batch_key(session_type, session_id, session_created_at)
            row_numbers[key] += 1
            if guarantee_id is not None:
                found.already_linked += 1
            elif item_guarantee_id is not None:
                found.relinks += 1  # migrated (its item exists), link still to write
            else:
                if key not in found.batch_meta:
                    found.batch_meta[key] = (session_type, session_id, session_created_at)
                stage(part, (number, row_id, created_at, IMPORT, record_type, key, row_numbers[key], *values[cells:]))
                import_numbers[record_type, raw_number] = number
                found.import_rows += 1
        elif action_link is not None:
            found.already_linked += 1
        elif action_id is not None:
            found.relinks += 1
        elif guarantee_id is not None:
            found.problems.append(
                f"action row {row_id} is linked to guarantee {guarantee_id} but its action link is lost "
                "and no action names it: not re-created"
            )
        else:
            found.action_days[action_day(created_at)] += 1
            stage(part, (number, row_id, created_at, ACTION, record_type, None, None, *values[cells:]))
            found.action_rows += 1
    writer.flush()
    found.session_keys = keys
    found.numbers = writer.numbers()
    if found.numbers:
        found.writer = writer.pid
    return found
