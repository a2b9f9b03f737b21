"""Letters to the banks: one A4 page per issued action, in Arabic (right to left) or English; every print is logged.

A draft action's letter can be previewed (marked "draft — not issued" on screen and on paper) but is not
logged as a print. Viewing the print page of issued letters is what is logged: the page exists to be printed.
"""

from flask import Blueprint, abort, request

from guarantees.forms.letters import LetterForm
from guarantees.repositories import actions as repo
from guarantees.services import letters
from guarantees.services import settings as letter_settings
from guarantees.web.rendering import render
from guarantees.web.security import username

bp = Blueprint("letters", __name__, url_prefix="/letters")


def _print_page(actions: list, *, session_id: int | None, title: str):
    lang = LetterForm(request.args).lang.data
    printable = [a for a in actions if a.action_type in letters.LETTER_TYPES]
    page = [letters.letter_for(action) for action in printable]
    logged = bool(page) and not any(letter.draft for letter in page) and request.method == "GET"
    if logged:
        letters.log_print([a.id for a in printable], session_id=session_id, language=lang, user=username())
    return render(
        "letters/print.html",
        letters=page,
        lang=lang,
        dir="rtl" if lang == "ar" else "ltr",
        title=title,
        session_id=session_id,
        logged=logged,
        letterhead=letter_settings.letterhead(),
    )


@bp.get("/actions/<int(max=2147483647):action_id>")
def action(action_id: int):
    """The letter of one action (?lang=ar, the default, or en)."""
    found = repo.get_action(action_id)
    if found is None or found.action_type not in letters.LETTER_TYPES:
        abort(404)
    return _print_page([found], session_id=found.action_session_id, title=found.guarantee_number)


@bp.get("/sessions/<int(max=2147483647):session_id>")
def session(session_id: int):
    """Every letter of an action session, one per page (?lang=ar, the default, or en)."""
    found = repo.get_session(session_id)
    if found is None:
        abort(404)
    return _print_page(repo.session_actions(session_id), session_id=session_id, title=f"#{session_id}")


@bp.app_context_processor
def _letter_helpers() -> dict:
    """`bank_address_missing(guarantee)` for the pages that issue a letter (templates/letters/_no_address.html)."""
    return {"bank_address_missing": lambda guarantee: not repo.guarantee_addressee(guarantee).has_address}
