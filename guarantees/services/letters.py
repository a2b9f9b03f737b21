"""The log of printed letters: printing never creates or changes an action, but who printed what is kept."""

import sqlalchemy as sa

from guarantees.models import ActionSession, GuaranteeAction, LetterPrint, LetterPrintAction
from guarantees.services.errors import NotFound, ValidationFailed
from guarantees.services.transaction import unit_of_work

LANGUAGES = ("ar", "en")


def log_print(action_ids: list[int], *, session_id: int | None = None, language: str, user: str | None) -> LetterPrint:
    """Record that the letters of `action_ids` were printed (in `language`, by `user`), in one transaction."""
    if language not in LANGUAGES:
        raise ValidationFailed(f"Letters are printed in Arabic or English, not {language!r}.", field="language")
    ids = list(dict.fromkeys(int(action_id) for action_id in action_ids))
    if not ids:
        raise ValidationFailed("There is no letter to print.")
    with unit_of_work() as session:
        found = set(session.scalars(sa.select(GuaranteeAction.id).where(GuaranteeAction.id.in_(ids))))
        missing = [action_id for action_id in ids if action_id not in found]
        if missing:
            raise NotFound(f"No such action: {missing[0]}.")
        if session_id is not None and session.get(ActionSession, session_id) is None:
            raise NotFound("No such action session.")
        record = LetterPrint(action_ids=ids, action_session_id=session_id, language=language, printed_by=user)
        session.add(record)
        session.flush()
        session.add_all(LetterPrintAction(letter_print_id=record.id, action_id=action_id) for action_id in ids)
    return record
