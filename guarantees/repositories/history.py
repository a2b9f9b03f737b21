"""A guarantee's timeline (DESIGN §6): new-table history and the legacy rows that have no new counterpart.

A constant number of queries whatever the length of the history: legacy rows (flagged in SQL when a new row
already tells their story), batch items, inline edits, actions, letter prints and review decisions. The page
opens on the newest entries (`newest`): each source reads only its newest few in SQL and counts the rest, and
only the entries shown are built, so a long history costs about what a short one does. `timeline` is all of it.
"""

import functools
import heapq
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from guarantees.domain.text import normalised_number_sql
from guarantees.domain.times import parse_legacy_time
from guarantees.extensions import db
from guarantees.models import (
    ActionSession,
    Guarantee,
    GuaranteeAction,
    GuaranteeEdit,
    ImportBatch,
    ImportBatchItem,
    LetterPrint,
    LetterPrintAction,
)
from guarantees.models.legacy import LEGACY_RECORD_COLUMNS, TRANSITION_COLUMNS, ImportedRecord, ImportSession
from guarantees.models.matching import MatchDecision
from guarantees.repositories.matching import decisions_for

# Order of entries recorded in the same instant: a row is imported before it is edited, acted on, printed.
KIND_ORDER = {"legacy": 0, "import": 1, "edit": 2, "decision": 2, "action": 3, "print": 4}
RAW_COLUMNS = LEGACY_RECORD_COLUMNS + TRANSITION_COLUMNS


@dataclass
class Entry:
    """One line of the timeline."""

    kind: str  # import | edit | action | print | legacy
    source: str  # new | legacy
    at: datetime | None
    user: str | None
    title: str
    changes: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    batch: "BatchRef | None" = None
    session: "SessionRef | None" = None
    action: sa.Row | None = None  # a guarantee_actions row
    print: "PrintRef | None" = None
    record: dict | None = None
    legacy_session: tuple[int | None, str | None] | None = None
    detail: str | None = None
    sequence: int = 0
    legacy_record_id: int | None = None

    @property
    def sort_key(self):
        return (self.at or datetime.min, KIND_ORDER[self.kind], self.sequence)


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
        sa.and_(
            record.c.migrated_action_id.is_not(None),
            sa.exists().where(GuaranteeAction.id == record.c.migrated_action_id),
        ),
    )


def legacy_rows(guarantee: Guarantee, *, ids: list[int] | None = None) -> list[dict]:
    """Legacy imported_records rows of this guarantee (linked or by number), all columns, with their session
    type and whether a new-table row already carries them (one query); with `ids`, only those rows."""
    record, number = ImportedRecord.__table__, guarantee.guarantee_number
    query = (
        sa.select(
            *(record.c[name] for name in RAW_COLUMNS),
            ImportSession.session_type.label("legacy_session_type"),
            _has_counterpart(record).label("has_counterpart"),
        )
        .select_from(record)
        .outerjoin(ImportSession, ImportSession.id == record.c.session_id)
        .where(
            record.c.id.in_(ids)
            if ids is not None
            else _of_guarantee(record, guarantee.id, number, _number_pattern(number))
        )
        .order_by(record.c.created_at, record.c.id)
    )
    return [dict(row._mapping) for row in db.session.execute(query)]


# The timeline's statements are built once, the guarantee (and how many rows) bound parameters: building and
# keying a statement costs about as much Python as running it on a short history.


@functools.cache
def _legacy_keys_statement():
    record = ImportedRecord.__table__
    number, pattern = sa.bindparam("number", type_=sa.Text), sa.bindparam("pattern", type_=sa.Text)
    return sa.select(record.c.id, record.c.created_at, _has_counterpart(record).label("told")).where(
        _of_guarantee(record, _guarantee_id(), number, pattern)
    )


def _legacy_keys(guarantee: Guarantee) -> tuple[int, list[sa.Row]]:
    """How many legacy rows refer to `guarantee`, and the id and time of those no new-table row tells (one light
    query: the told ones, nearly all of them once migrated or dual-written, are only counted)."""
    number = guarantee.guarantee_number
    parameters = {"guarantee_id": guarantee.id, "number": number, "pattern": _number_pattern(number)}
    rows = db.session.execute(_legacy_keys_statement(), parameters).all()
    return len(rows), [row for row in rows if not row.told]


def legacy_summary(guarantee: Guarantee) -> tuple[int, list[dict]]:
    """How many legacy rows refer to `guarantee`, and those of them no new-table row tells: all the timeline
    needs. One light query finds both; the full rows are read only when there are any (usually none)."""
    count, untold = _legacy_keys(guarantee)
    return count, (legacy_rows(guarantee, ids=[row.id for row in untold]) if untold else [])


# -- the sources -----------------------------------------------------------------------------------------------
#
# Each source gives the newest `limit` of its entries (all of them with None) as candidates, and how many it has
# in all. A candidate is (sort key, source rank, position, builder, payload): the key is the entry's `sort_key`,
# rank and position settle ties as the stable sort of every entry, source after source, always did, and the
# entry itself is built only if it is shown. Each of the newest `limit` entries of the timeline is among the
# newest `limit` of its own source, so the newest `limit` candidates are exactly the newest `limit` entries.

_ITEMS, _EDITS, _ACTIONS, _PRINTS, _DECISIONS, _LEGACY = range(6)  # the sources in that order


@dataclass(frozen=True)
class BatchRef:
    """The batch an import entry links to: all the timeline shows of it."""

    id: int
    batch_type: str
    origin: str
    description: str | None
    created_by: str | None


@dataclass(frozen=True)
class SessionRef:
    """The action session an entry links to: all the timeline shows of it."""

    id: int
    description: str | None


@dataclass(frozen=True)
class PrintRef:
    """A letter print: all the timeline shows of it."""

    id: int
    language: str
    printed_by: str | None
    printed_at: datetime


def _guarantee_id():
    return sa.bindparam("guarantee_id", type_=sa.Integer)


def _newest(query, limited: bool, count, *order):
    """`query` cut to its newest `:limit` rows by `order` (descending), each with `count`, the number of them
    all; `query` itself when not `limited`."""
    if not limited:
        return query
    total = count.correlate(None).scalar_subquery().label("total")
    limit = sa.bindparam("limit", type_=sa.Integer)
    return query.add_columns(total).order_by(*(column.desc() for column in order)).limit(limit)


def _run(statement, guarantee_id: int, limit: int | None) -> list[sa.Row]:
    """The rows of a source's statement (`statement(limited)`) for one guarantee."""
    parameters = {"guarantee_id": guarantee_id} if limit is None else {"guarantee_id": guarantee_id, "limit": limit}
    return db.session.execute(statement(limit is not None), parameters).all()


def _total(rows, limit: int | None) -> int:
    return rows[0].total if rows and limit is not None else len(rows)


@functools.cache
def _items_statement(limited: bool):
    item, batch = ImportBatchItem.__table__, ImportBatch.__table__
    mine = item.c.guarantee_id == _guarantee_id()
    query = (
        sa.select(
            item.c.id,
            item.c.batch_id,
            item.c.row_number,
            item.c.outcome,
            item.c.changes,
            item.c.created_by,
            item.c.created_at,
            batch.c.batch_type,
            batch.c.origin,
            batch.c.description.label("batch_description"),
            batch.c.created_by.label("batch_created_by"),
        )
        .join(batch, batch.c.id == item.c.batch_id)
        .where(mine)
    )
    return _newest(query, limited, sa.select(sa.func.count()).where(mine), item.c.created_at, item.c.id)


def _items(guarantee_id: int, limit: int | None) -> tuple[list[tuple], int]:
    rows = _run(_items_statement, guarantee_id, limit)
    order = KIND_ORDER["import"]
    return [((row.created_at, order, row.id), _ITEMS, i, _item, row) for i, row in enumerate(rows)], _total(rows, limit)


def _item(row, refs: dict) -> Entry:
    batch = refs.get(("batch", row.batch_id))
    if batch is None:
        batch = refs[("batch", row.batch_id)] = BatchRef(
            row.batch_id, row.batch_type, row.origin, row.batch_description, row.batch_created_by
        )
    return Entry(
        kind="import",
        source="legacy" if row.origin == "legacy" else "new",
        at=row.created_at,
        user=row.created_by or row.batch_created_by,
        title=row.outcome,
        changes=[(name, *_pair(value)) for name, value in (row.changes or {}).items()],
        batch=batch,
        detail=str(row.row_number) if row.row_number is not None else None,
        sequence=row.id,
    )


def _pair(value) -> tuple[str | None, str | None]:
    if isinstance(value, list | tuple) and len(value) == 2:
        return (None if value[0] is None else str(value[0]), None if value[1] is None else str(value[1]))
    return (None, None if value is None else str(value))


def _same_save(first, edit) -> bool:
    """Edits written by one save: same user and legacy row as the save's first edit (or, without dual-write,
    within a second of it)."""
    if first.edited_by != edit.edited_by or first.legacy_record_id != edit.legacy_record_id:
        return False
    return edit.legacy_record_id is not None or abs((edit.edited_at - first.edited_at).total_seconds()) < 1


@functools.cache
def _edits_statement():
    table = GuaranteeEdit.__table__
    columns = ("id", "field", "old_value", "new_value", "edited_by", "edited_at", "legacy_record_id")
    return (
        sa.select(*(table.c[name] for name in columns))
        .where(table.c.guarantee_id == _guarantee_id())
        .order_by(table.c.id)
    )


def _edits(guarantee_id: int, limit: int | None) -> tuple[list[tuple], int]:
    """Saves, one entry each however many fields they changed. Which edits make one save is decided edit by
    edit in order of id, each against its save's first edit, so no SQL limit can cut them: every edit is read
    (plain rows of a few columns, a fraction of the cost of an entry) and only the saves shown become entries."""
    saves: list[list] = []
    for edit in db.session.execute(_edits_statement(), {"guarantee_id": guarantee_id}).all():
        if saves and _same_save(saves[-1][0], edit):
            saves[-1].append(edit)
        else:
            saves.append([edit])
    order = KIND_ORDER["edit"]
    candidates = [((save[0].edited_at, order, save[0].id), _EDITS, i, _edit, save) for i, save in enumerate(saves)]
    return _keep_newest(candidates, limit), len(saves)


def _edit(save: list, refs: dict) -> Entry:
    first = save[0]
    return Entry(
        kind="edit",
        source="new",
        at=first.edited_at,
        user=first.edited_by,
        title="edit",
        changes=[(edit.field, edit.old_value, edit.new_value) for edit in save],
        legacy_record_id=first.legacy_record_id,
        sequence=first.id,
    )


@functools.cache
def _actions_statement(limited: bool):
    action, session = GuaranteeAction.__table__, ActionSession.__table__
    mine = action.c.guarantee_id == _guarantee_id()
    # plain rows, not ORM objects: the timeline only reads them
    query = (
        sa.select(action, session.c.description.label("session_description"))
        .outerjoin(session, session.c.id == action.c.action_session_id)
        .where(mine)
    )
    at = sa.func.coalesce(action.c.issued_at, action.c.created_at)
    return _newest(query, limited, sa.select(sa.func.count()).where(mine), at, action.c.id)


def _actions(guarantee_id: int, limit: int | None) -> tuple[list[tuple], int]:
    rows = _run(_actions_statement, guarantee_id, limit)
    order = KIND_ORDER["action"]
    candidates = [
        ((row.issued_at or row.created_at, order, row.id), _ACTIONS, i, _action, row) for i, row in enumerate(rows)
    ]
    return candidates, _total(rows, limit)


def _action(action, refs: dict) -> Entry:
    action_session = None
    if action.action_session_id is not None:
        action_session = refs.get(("session", action.action_session_id))
        if action_session is None:
            action_session = refs[("session", action.action_session_id)] = SessionRef(
                action.action_session_id, action.session_description
            )
    changes = []
    if action.previous_expiry_date != action.new_expiry_date:
        changes.append(("expiry_date", _day(action.previous_expiry_date), _day(action.new_expiry_date)))
    if action.previous_amount != action.new_amount:
        changes.append(("amount", _text(action.previous_amount), _text(action.new_amount)))
    if action.action_type == "release":
        changes.append(("status", "active", "released"))
    return Entry(
        kind="action",
        source="legacy" if action.origin == "legacy" else "new",
        at=action.issued_at or action.created_at,
        user=action.issued_by or action.created_by,
        title=action.action_type,
        changes=changes,
        session=action_session,
        action=action,
        detail=action.notes,
        sequence=action.id,
    )


@functools.cache
def _prints_statement(limited: bool):
    prints, links, actions = LetterPrint.__table__, LetterPrintAction.__table__, GuaranteeAction.__table__
    # This guarantee's links, found from its actions and read twice (so kept aside): a print of a day's session
    # also covers hundreds of other guarantees' actions, which going from the print would read.
    mine = (
        sa.select(links.c.letter_print_id, links.c.action_id)
        .join(actions, actions.c.id == links.c.action_id)
        .where(actions.c.guarantee_id == _guarantee_id())
        .cte("mine")
    )
    chosen = _newest(
        sa.select(prints.c.id, prints.c.language, prints.c.printed_by, prints.c.printed_at).where(
            prints.c.id.in_(sa.select(mine.c.letter_print_id))
        ),
        limited,
        sa.select(sa.func.count(mine.c.letter_print_id.distinct())),
        prints.c.printed_at,
        prints.c.id,
    ).subquery("chosen")
    return (
        sa.select(chosen, mine.c.action_id)
        .join(mine, mine.c.letter_print_id == chosen.c.id)
        .order_by(chosen.c.id, mine.c.action_id)
    )


def _prints(guarantee_id: int, limit: int | None) -> tuple[list[tuple], int]:
    """Prints of this guarantee's actions, each with the ids of this guarantee's actions it covered (not every
    print's full list of ids)."""
    rows = _run(_prints_statement, guarantee_id, limit)
    covered: dict[int, tuple[sa.Row, list[int]]] = {}
    for row in rows:
        covered.setdefault(row.id, (row, []))[1].append(row.action_id)
    order = KIND_ORDER["print"]
    candidates = [
        ((row.printed_at, order, row.id), _PRINTS, i, _print, (row, ids))
        for i, (row, ids) in enumerate(covered.values())
    ]
    return candidates, (rows[0].total if rows and limit is not None else len(covered))


def _print(payload: tuple, refs: dict) -> Entry:
    row, action_ids = payload
    return Entry(
        kind="print",
        source="new",
        at=row.printed_at,
        user=row.printed_by,
        title="print",
        print=PrintRef(row.id, row.language, row.printed_by, row.printed_at),
        detail=", ".join(str(i) for i in action_ids),
        sequence=row.id,
    )


def _decisions(guarantee_id: int) -> tuple[list[tuple], int]:
    """Review decisions: a handful per guarantee at most, read whole."""
    decisions = decisions_for(db.session, guarantee_id)
    order = KIND_ORDER["decision"]
    candidates = [
        ((decision["at"] or datetime.min, order, decision["sequence"]), _DECISIONS, i, _decision, decision)
        for i, decision in enumerate(decisions)
    ]
    return candidates, len(decisions)


def _decision(decision: dict, refs: dict) -> Entry:
    return Entry(**decision)


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


def _day(value) -> str | None:
    return value.isoformat() if value else None


def _text(value) -> str | None:
    return None if value is None else str(value)


def _rank(candidate: tuple) -> tuple:
    return candidate[:3]


def _keep_newest(candidates: list[tuple], limit: int | None) -> list[tuple]:
    """The newest `limit` of a source's candidates read whole in Python (all of them with None)."""
    if limit is not None and len(candidates) > limit:
        return heapq.nlargest(limit, candidates, key=_rank)
    return candidates


def _new_table_candidates(guarantee_id: int, limit: int | None) -> tuple[list[tuple], int]:
    """Candidates of every new-table source, and how many entries they have in all."""
    items, edits, actions = (source(guarantee_id, limit) for source in (_items, _edits, _actions))
    prints = _prints(guarantee_id, limit) if actions[1] else ([], 0)  # no action, no print: no query
    sources = (items, edits, actions, prints, _decisions(guarantee_id))
    return [candidate for found, _count in sources for candidate in found], sum(count for _found, count in sources)


def _build(candidates: list[tuple]) -> list[Entry]:
    refs: dict = {}
    return [build(payload, refs) for _key, _source, _position, build, payload in sorted(candidates, key=_rank)]


def timeline(guarantee: Guarantee, legacy: list[dict] | None = None) -> list[Entry]:
    """Everything that happened to `guarantee`, oldest first, each legacy fact once."""
    candidates, _count = _new_table_candidates(guarantee.id, None)
    legacy = legacy_rows(guarantee) if legacy is None else legacy
    candidates += _legacy_candidates([row for row in legacy if not row["has_counterpart"]], None)
    return _build(candidates)


@dataclass
class Newest:
    """The newest entries of a timeline, oldest first, how many come before them, and how many legacy rows
    refer to the guarantee (told or not)."""

    entries: list[Entry]
    earlier: int
    legacy_count: int


def newest(guarantee: Guarantee, limit: int) -> Newest:
    """The newest `limit` entries of the timeline, exactly those `timeline` ends with, and how many come before
    them, in a constant number of queries: items, actions and prints are cut to their newest `limit` in SQL and
    counted there, edits and the legacy rows are read as light rows (see `_edits`, `_legacy_keys`), and only
    the entries shown are built."""
    if limit < 1:
        raise ValueError("the newest entries of a timeline: at least one")
    legacy_count, untold = _legacy_keys(guarantee)
    candidates, total = _new_table_candidates(guarantee.id, limit)
    candidates += _legacy_candidates([row._mapping for row in untold], limit)
    total += len(untold)
    shown = sorted(candidates, key=_rank)[-limit:]
    wanted = [payload["id"] for _key, source, _position, _build, payload in shown if source == _LEGACY]
    if wanted:  # the shown legacy rows, in full (the light query read only their id and time)
        full = {row["id"]: row for row in legacy_rows(guarantee, ids=wanted)}
        shown = [
            (*candidate[:4], full[candidate[4]["id"]]) if candidate[1] == _LEGACY else candidate for candidate in shown
        ]
    return Newest(_build(shown), total - len(shown), legacy_count)
