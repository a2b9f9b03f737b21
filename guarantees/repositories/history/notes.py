"""The notes of a guarantee as timeline entries: each note once, at the time it was written, by its author."""

import functools

import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Note
from guarantees.repositories.history.entries import KIND_ORDER, Entry
from guarantees.repositories.history.sources import _guarantee_id, _newest, _total

_NOTES = 10  # the source's rank among the timeline's sources: after every other one in the same instant


@functools.cache
def _notes_statement(limited: bool):
    table = Note.__table__
    mine = table.c.guarantee_id == _guarantee_id()
    query = sa.select(table.c.id, table.c.body, table.c.created_by, table.c.created_at).where(mine)
    return _newest(query, limited, sa.select(sa.func.count()).where(mine), table.c.created_at, table.c.id)


def _note_candidates(guarantee_id: int, limit: int | None) -> tuple[list[tuple], int]:
    """The guarantee's newest `limit` notes (all with None) as candidates, and how many it has."""
    parameters = {"guarantee_id": guarantee_id} if limit is None else {"guarantee_id": guarantee_id, "limit": limit}
    rows = db.session.execute(_notes_statement(limit is not None), parameters).all()
    order = KIND_ORDER["note"]
    candidates = [((row.created_at, order, row.id), _NOTES, i, _note, row) for i, row in enumerate(rows)]
    return candidates, _total(rows, limit)


def _note(row, refs: dict) -> Entry:
    return Entry(
        kind="note",
        source="new",
        at=row.created_at,
        user=row.created_by,
        title="note",
        detail=row.body,
        sequence=row.id,
    )
