"""One partition of a migrate (step 3): its numbers read and folded into rows ready to write, then written.

The fold runs in a worker process (see workers.py) and hands back rows in the form the driver takes them
(converted as the ORM would store them, items in legacy-id order), with the partition's tallies already
added up: the migrating process, the one writer, only writes. In a one-transaction run into an empty register
the partition's guarantee ids are given with the task (a block the migrating process reserved: it holds the
tables until its commit), so every row comes back final; otherwise the rows name their guarantee by its place
in the partition, and the writer puts in the ids the database gave.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from operator import itemgetter

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from guarantees.legacy.plan import CREATED_AT, ID, NUMBER, Context, plan_number
from guarantees.legacy.spool import Spool, read
from guarantees.legacy.sql import bulk_insert, column_converter, row_converter
from guarantees.models import Guarantee, GuaranteeAction, ImportBatchItem

GUARANTEES = Guarantee.__table__
ACTIONS = GuaranteeAction.__table__
ITEMS = ImportBatchItem.__table__
IN_LIST = 5_000
# Not `raw`: a migrated item names its legacy row (legacy_record_id) instead of holding a copy of it.
ITEM_COLUMNS = (
    "batch_id", "row_number", "guarantee_id", "outcome", "changes", "legacy_record_id", "created_by", "created_at",
)  # fmt: skip
ITEM_BATCH, ITEM_GUARANTEE, ITEM_OUTCOME, ITEM_LEGACY_ID = (
    ITEM_COLUMNS.index(name) for name in ("batch_id", "guarantee_id", "outcome", "legacy_record_id")
)
ACTION_GUARANTEE = 0  # actions are written with guarantee_id first

_HELD = ("id", "guarantee_number", "is_locked", "status", "version")
_GUARANTEE_COLUMNS = [GUARANTEES.c[name] for name in _HELD]
_FIELD_COLUMNS = [c for c in GUARANTEES.c if c.name not in _HELD]


@dataclass
class Partition:
    """One partition, folded: what one transaction (or one part of the run's one transaction) writes."""

    rows: int
    numbers: list[str]  # in the partition's order: a guarantee's place in it is its `ref`
    guarantee_columns: tuple = ()
    guarantees: list[tuple] = field(default_factory=list)  # new guarantees, as bulk_insert writes them
    new_refs: list[int] = field(default_factory=list)  # the ref of each new guarantee
    existing: dict[int, int] = field(default_factory=dict)  # ref → id of a guarantee the register already holds
    updates: list[tuple[int, dict]] = field(default_factory=list)  # (its id, the changes) for those
    action_columns: tuple = ()
    actions: list[tuple] = field(default_factory=list)
    items: list[tuple] = field(default_factory=list)  # ITEM_COLUMNS, in legacy-id order
    assigned: bool = False  # guarantee ids are final (else: refs, see write)
    counts: list[tuple] = field(default_factory=list)  # (batch id, rows, ready rows) the batches' counters gain
    created: int = 0
    merged: int = 0
    outcomes: Counter = field(default_factory=Counter)
    action_types: Counter = field(default_factory=Counter)
    dropped: dict = field(default_factory=dict)  # values not carried over, by field


_ORDER = itemgetter(CREATED_AT, ID)


def _row_order(row: tuple) -> tuple:
    return (row[CREATED_AT] or "", row[ID])


def _in_order(rows: list) -> None:
    """Sort a number's rows by (created_at, id), a row without created_at first."""
    try:
        rows.sort(key=_ORDER)  # (a C key: the rows nearly always have one)
    except TypeError:  # a None beside a text
        rows.sort(key=_row_order)


_CONVERTERS: dict = {}


def _converter(conn: Connection, table: sa.Table, columns: tuple):
    key = (conn.dialect.name, table.name, columns)
    if key not in _CONVERTERS:
        _CONVERTERS[key] = row_converter(conn, table, columns)
    return _CONVERTERS[key]


def _stamp(conn: Connection):
    """created_at of items as stored, one converter per backend for the whole run: a session's rows share it."""
    key = (conn.dialect.name, "item stamp")
    if key not in _CONVERTERS:
        _CONVERTERS[key] = column_converter(conn, ITEMS.c.created_at)
    return _CONVERTERS[key]


def fold(conn: Connection, task: tuple[int, int | None], work: tuple[Context, Spool]) -> Partition | None:
    """Read (from the spool) and fold the numbers of partition `part` (None when it holds no row); `first_id`, when
    given, is the id of its first guarantee, the others following in the partition's order. Reads only: a worker
    process runs this as well as the migrating one (see workers.py)."""
    (part, first_id), (ctx, spool) = task, work
    by_number = defaultdict(list)
    rows = 0
    for values in read(spool, part):
        by_number[values[NUMBER]].append(values)
        rows += 1
    if not rows:
        return None
    out = Partition(rows=rows, numbers=sorted(by_number), assigned=first_id is not None)
    existing = {}
    if not ctx.empty:  # (in the one-transaction run, guarantees is locked until the commit: nothing to read)
        query = sa.select(*_GUARANTEE_COLUMNS, *_FIELD_COLUMNS)
        for start in range(0, len(out.numbers), IN_LIST):
            held = query.where(GUARANTEES.c.guarantee_number.in_(out.numbers[start : start + IN_LIST]))
            existing.update((g.guarantee_number, g._asdict()) for g in conn.execute(held))
    ctx = replace(ctx, dropped={})
    cache: dict = {}
    stamp = _stamp(conn)
    guarantees, actions, items, ready_batches = [], [], out.items, []
    for ref, number in enumerate(out.numbers):
        number_rows = by_number.pop(number)
        _in_order(number_rows)
        guarantee = first_id + ref if out.assigned else ref
        plan = plan_number(number, number_rows, existing.get(number), ctx, cache, guarantee, stamp)
        if plan.existing_id is None:
            out.created += 1
            out.new_refs.append(ref)
            guarantees.append(plan.guarantee)
        else:
            out.merged += 1
            out.existing[ref] = plan.existing_id
            if plan.update:
                out.updates.append((plan.existing_id, plan.update))
        for action in plan.actions:
            out.action_types[action["action_type"]] += 1
            actions.append((guarantee, action))
        items += plan.items
        ready_batches += plan.ready_batches
    if guarantees:
        columns = (("id",) if out.assigned else ()) + tuple(guarantees[0])
        convert = _converter(conn, GUARANTEES, columns)
        out.guarantee_columns = columns
        if out.assigned:
            pairs = zip(out.new_refs, guarantees, strict=True)
            out.guarantees = [convert((first_id + ref, *g.values())) for ref, g in pairs]
        else:
            out.guarantees = [convert(tuple(g.values())) for g in guarantees]
    if actions:
        columns = ("guarantee_id", *actions[0][1])
        convert = _converter(conn, ACTIONS, columns)
        out.action_columns = columns
        out.actions = [convert((guarantee, *action.values())) for guarantee, action in actions]
    # In legacy-id order, the order of their unique index: each insertion lands beside the previous one.
    items.sort(key=itemgetter(ITEM_LEGACY_ID))
    totals, ready = Counter(map(itemgetter(ITEM_BATCH), items)), Counter(ready_batches)
    out.counts = [(batch_id, n, ready[batch_id]) for batch_id, n in totals.items()]
    out.outcomes = Counter(map(itemgetter(ITEM_OUTCOME), items))
    out.dropped = ctx.dropped
    return out


def write(conn: Connection, partition: Partition, *, search_staged: bool = True) -> list[tuple]:
    """Guarantees, then actions, then changes to guarantees already held, and items; returns what the batches'
    counters gain: (batch id, rows, ready rows). `search_staged`: see sql.bulk_insert (False where the search
    index is built once at the end of the run)."""
    p = partition
    if p.guarantees:
        bulk_insert(conn, GUARANTEES.name, p.guarantee_columns, p.guarantees, staged=search_staged)
    actions, items = p.actions, p.items
    if not p.assigned:
        ids = _ids(conn, p)
        actions = [(ids[action[ACTION_GUARANTEE]], *action[1:]) for action in actions]
        g = ITEM_GUARANTEE
        items = [(*item[:g], ids[item[g]], *item[g + 1 :]) for item in items]
    if actions:
        bulk_insert(conn, ACTIONS.name, p.action_columns, actions)
    _update_existing(conn, p.updates)
    bulk_insert(conn, ITEMS.name, ITEM_COLUMNS, items)
    return p.counts


def _ids(conn: Connection, p: Partition) -> list[int]:
    """Each guarantee's id, by its ref: the held ones' as the fold found them, the new ones' as the database gave."""
    ids = [p.existing.get(ref) for ref in range(len(p.numbers))]
    new = [p.numbers[ref] for ref in p.new_refs]
    found = {}
    for start in range(0, len(new), IN_LIST):  # bound lists of a size every driver takes
        found.update(conn.execute(sa.select(GUARANTEES.c.guarantee_number, GUARANTEES.c.id).where(
            GUARANTEES.c.guarantee_number.in_(new[start : start + IN_LIST]))).all())  # fmt: skip
    for ref in p.new_refs:
        ids[ref] = found[p.numbers[ref]]
    return ids


def _update_existing(conn: Connection, updates: list[tuple[int, dict]]) -> None:
    """Merge into guarantees the app created before the migration, grouped by the set of fields changed."""
    groups = defaultdict(list)
    for guarantee_id, update in updates:
        groups[tuple(sorted(update))].append({"b_id": guarantee_id, **{f"b_{k}": v for k, v in update.items()}})
    for names, params in groups.items():
        conn.execute(
            sa.update(GUARANTEES)
            .where(GUARANTEES.c.id == sa.bindparam("b_id"))
            .values({name: sa.bindparam(f"b_{name}", type_=GUARANTEES.c[name].type) for name in names}),
            params,
        )
