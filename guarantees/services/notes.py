"""Notes: an append-only thread on a guarantee, an import batch or an action session, allowed in every state
(a released or locked guarantee, a locked session): a note records what was said, it changes nothing else.

A note that mentions colleagues by user name (`@sara`) gives each active one an in-app notification, in the same
transaction; a name that is nobody's, and the author's own, are left alone.
"""

import sqlalchemy as sa
from flask_babel import gettext as _

from guarantees.domain.ids import is_id
from guarantees.domain.notes import NOTE_MAX, mentioned
from guarantees.models import ActionSession, Guarantee, ImportBatch, Note, Notification, User
from guarantees.models.base import utcnow
from guarantees.services.errors import NotFound, ValidationFailed
from guarantees.services.transaction import unit_of_work

_TARGETS = {"guarantee": Guarantee, "batch": ImportBatch, "session": ActionSession}


def clean_body(raw: str | None) -> str:
    """The note as stored: line breaks kept, trimmed; refused when empty or longer than NOTE_MAX characters."""
    body = (raw or "").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()
    if not body:
        raise ValidationFailed(_("Write the note first."), field="body")
    if len(body) > NOTE_MAX:
        raise ValidationFailed(
            _("A note may be up to %(max)d characters; this one has %(count)d.", max=NOTE_MAX, count=len(body)),
            field="body",
        )
    return body


def add(
    *,
    body: str,
    user: str,
    guarantee_id: int | None = None,
    batch_id: int | None = None,
    session_id: int | None = None,
) -> Note:
    """Add a note to exactly one guarantee, import batch or action session."""
    targets = {"guarantee": guarantee_id, "batch": batch_id, "session": session_id}
    given = [(name, value) for name, value in targets.items() if value is not None]
    if len(given) != 1:
        raise ValidationFailed(_("A note belongs to exactly one guarantee, batch or action session."))
    target, target_id = given[0]
    text = clean_body(body)
    with unit_of_work() as session:
        if not is_id(target_id) or session.get(_TARGETS[target], target_id) is None:
            raise NotFound(_("There is nothing here to add a note to."))
        note = Note(
            guarantee_id=guarantee_id,
            import_batch_id=batch_id,
            action_session_id=session_id,
            body=text,
            created_by=user,
            created_at=utcnow(),
        )
        session.add(note)
        session.flush()
        _notify(session, note)
    return note


def _notify(session, note: Note) -> None:
    names = {name.lower() for name in mentioned(note.body)} - {(note.created_by or "").lower()}
    if not names:
        return
    users = session.scalars(
        sa.select(User).where(sa.func.lower(User.username).in_(sorted(names)), User.active.is_(True))
    )
    for user in users:
        session.add(
            Notification(user_id=user.id, note_id=note.id, guarantee_id=note.guarantee_id, created_at=note.created_at)
        )
