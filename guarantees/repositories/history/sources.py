"""The new-table sources of a timeline: batch items, inline edits, actions, letter prints and review decisions.

Each source gives the newest `limit` of its entries (all of them with None) as candidates, and how many it has in
all. Each of the newest `limit` entries of the timeline is among the newest `limit` of its own source, so the
newest `limit` candidates are exactly the newest `limit` entries.
"""

import functools
from datetime import datetime

import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import (
    ActionSession,
    BankAnswer,
    GuaranteeAction,
    GuaranteeEdit,
    ImportBatch,
    ImportBatchItem,
    LetterPrint,
    LetterPrintAction,
)
from guarantees.repositories.history.entries import (
    _ACTIONS,
    _DECISIONS,
    _EDITS,
    _ITEMS,
    _PRINTS,
    KIND_ORDER,
    BatchRef,
    Entry,
    PrintRef,
    SessionRef,
    _day,
    _keep_newest,
    _text,
)
from guarantees.repositories.matching import decisions_for

# The timeline's statements are built once, the guarantee (and how many rows) bound parameters: building and
# keying a statement costs about as much Python as running it on a short history.


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
    action, session, answer = GuaranteeAction.__table__, ActionSession.__table__, BankAnswer.__table__
    # a voided action shows its void beside it, and a void the action it names
    void, voided = action.alias("void"), action.alias("voided")
    mine = action.c.guarantee_id == _guarantee_id()
    # plain rows, not ORM objects: the timeline only reads them; each action's bank answer (one at most) rides on
    # its row and becomes an entry of its own
    query = (
        sa.select(
            action,
            session.c.description.label("session_description"),
            void.c.id.label("voided_by_id"),
            void.c.issued_at.label("voided_at"),
            voided.c.action_type.label("voids_type"),
            voided.c.reference.label("voids_reference"),
            *(answer.c[name].label(f"answer_{name}") for name in ANSWER_COLUMNS),
        )
        .outerjoin(session, session.c.id == action.c.action_session_id)
        .outerjoin(void, sa.and_(void.c.voids_action_id == action.c.id, void.c.action_status == "issued"))
        .outerjoin(voided, voided.c.id == action.c.voids_action_id)
        .outerjoin(answer, answer.c.action_id == action.c.id)
        .where(mine)
    )
    at = sa.func.coalesce(action.c.issued_at, action.c.created_at)
    # a row's newest entry: the action, or its answer recorded later
    newest = sa.case((answer.c.recorded_at > at, answer.c.recorded_at), else_=at)
    count = (
        sa.select(sa.func.count(action.c.id) + sa.func.count(answer.c.id))
        .select_from(action.outerjoin(answer, answer.c.action_id == action.c.id))
        .where(mine)
    )
    return _newest(query, limited, count, newest, action.c.id)


ANSWER_COLUMNS = (
    "id", "answer_date", "bank_reference", "granted_expiry_date", "legacy_record_id", "recorded_by", "recorded_at",
)  # fmt: skip


def _actions(guarantee_id: int, limit: int | None) -> tuple[list[tuple], int]:
    """Actions, and the bank's answers to them, as one source."""
    rows = _run(_actions_statement, guarantee_id, limit)
    order = KIND_ORDER["action"]
    candidates = [
        ((row.issued_at or row.created_at, order, row.id), _ACTIONS, i, _action, row) for i, row in enumerate(rows)
    ]
    answered = [row for row in rows if row.answer_id is not None]
    candidates += [
        ((row.answer_recorded_at, KIND_ORDER["answer"], row.answer_id), _ACTIONS, len(rows) + i, _answer, row)
        for i, row in enumerate(answered)
    ]
    total = rows[0].total if rows and limit is not None else len(rows) + len(answered)
    return _keep_newest(candidates, limit), total


def _answer(row, refs: dict) -> Entry:
    """The bank's answer to a letter: a field change when it granted another expiry than the one asked."""
    changes = []
    if row.answer_granted_expiry_date is not None and row.answer_granted_expiry_date != row.new_expiry_date:
        changes.append(("expiry_date", _day(row.new_expiry_date), _day(row.answer_granted_expiry_date)))
    return Entry(
        kind="answer",
        source="new",
        at=row.answer_recorded_at,
        user=row.answer_recorded_by,
        title=row.action_type,
        changes=changes,
        action=row,
        answer=row,
        legacy_record_id=row.answer_legacy_record_id,
        sequence=row.answer_id,
    )


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
    if action.action_type == "void" and action.voids_type == "release" and action.action_status == "issued":
        changes.append(("status", "released", "active"))
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


def _new_table_candidates(guarantee_id: int, limit: int | None) -> tuple[list[tuple], int]:
    """Candidates of every new-table source, and how many entries they have in all."""
    items, edits, actions = (source(guarantee_id, limit) for source in (_items, _edits, _actions))
    prints = _prints(guarantee_id, limit) if actions[1] else ([], 0)  # no action, no print: no query
    sources = (items, edits, actions, prints, _decisions(guarantee_id))
    return [candidate for found, _count in sources for candidate in found], sum(count for _found, count in sources)
