"""Reads of notes: the thread of a guarantee, an import batch or an action session, oldest first."""

import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Note

TARGETS = ("guarantee", "batch", "session")
_COLUMNS = {"guarantee": Note.guarantee_id, "batch": Note.import_batch_id, "session": Note.action_session_id}


def thread(target: str, target_id: int) -> list[Note]:
    """The notes of one guarantee, batch or action session (`target`), oldest first."""
    column = _COLUMNS[target]
    return list(db.session.scalars(sa.select(Note).where(column == target_id).order_by(Note.created_at, Note.id)))


def for_guarantee(guarantee_id: int) -> list[Note]:
    """A guarantee's notes, oldest first."""
    return thread("guarantee", guarantee_id)


def for_batch(batch_id: int) -> list[Note]:
    """An import batch's notes, oldest first."""
    return thread("batch", batch_id)


def for_session(session_id: int) -> list[Note]:
    """An action session's notes, oldest first."""
    return thread("session", session_id)
