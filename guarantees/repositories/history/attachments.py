"""The attachments of a guarantee as timeline entries: each file when it was uploaded (on the guarantee or one of
its actions), and again when it was hidden, with the reason given."""

import functools

import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Attachment, GuaranteeAction
from guarantees.repositories.history.entries import KIND_ORDER, Entry, _keep_newest
from guarantees.repositories.history.sources import _guarantee_id, _newest

_ATTACHMENTS = 9  # the source's rank among the timeline's sources: before the notes in the same instant


@functools.cache
def _attachments_statement(limited: bool):
    table, action = Attachment.__table__, GuaranteeAction.__table__
    mine = table.c.guarantee_id == _guarantee_id()
    query = (
        sa.select(
            table.c.id,
            table.c.action_id,
            table.c.original_name,
            table.c.size_bytes,
            table.c.content_type,
            table.c.uploaded_by,
            table.c.uploaded_at,
            table.c.hidden_by,
            table.c.hidden_at,
            table.c.hidden_reason,
            action.c.action_type,
            action.c.reference.label("action_reference"),
        )
        .outerjoin(action, action.c.id == table.c.action_id)
        .where(mine)
    )
    # a row's newest entry: its upload, or its hiding
    newest = sa.case((table.c.hidden_at.is_not(None), table.c.hidden_at), else_=table.c.uploaded_at)
    count = sa.select(sa.func.count(table.c.id) + sa.func.count(table.c.hidden_at)).where(mine)
    return _newest(query, limited, count, newest, table.c.id)


def _attachment_candidates(guarantee_id: int, limit: int | None) -> tuple[list[tuple], int]:
    """The guarantee's newest `limit` attachment entries (all with None) as candidates, and how many it has: an
    upload per attachment, and a hiding per hidden one (one query)."""
    parameters = {"guarantee_id": guarantee_id} if limit is None else {"guarantee_id": guarantee_id, "limit": limit}
    rows = db.session.execute(_attachments_statement(limit is not None), parameters).all()
    order = KIND_ORDER["attachment"]
    candidates = [((row.uploaded_at, order, row.id), _ATTACHMENTS, i, _uploaded, row) for i, row in enumerate(rows)]
    hidden = [row for row in rows if row.hidden_at is not None]
    candidates += [
        ((row.hidden_at, order, row.id), _ATTACHMENTS, len(rows) + i, _hidden, row) for i, row in enumerate(hidden)
    ]
    total = rows[0].total if rows and limit is not None else len(rows) + len(hidden)
    return _keep_newest(candidates, limit), total


def _uploaded(row, refs: dict) -> Entry:
    return Entry(
        kind="attachment",
        source="new",
        at=row.uploaded_at,
        user=row.uploaded_by,
        title="uploaded",
        attachment=row,
        sequence=row.id,
    )


def _hidden(row, refs: dict) -> Entry:
    return Entry(
        kind="attachment",
        source="new",
        at=row.hidden_at,
        user=row.hidden_by,
        title="hidden",
        attachment=row,
        detail=row.hidden_reason,
        sequence=row.id,
    )
