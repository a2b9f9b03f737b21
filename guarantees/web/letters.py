"""Letters to the banks: one A4 page per issued action, in Arabic (right to left) or English; every print is logged.

Reading a letter page (GET) writes nothing: a link from another site, a reload or a preview leaves no trace. A
print is recorded when the user prints: the page's Print button (static/js/letters.js) POSTs to the page's
`/prints` address with the CSRF token before it opens the browser's print dialog, one record per print. A draft
action's letter can be previewed and printed (marked "draft — not issued" on screen and on paper) but is never
recorded as a print.
"""

from flask import Blueprint, abort, jsonify, request, url_for
from flask_babel import gettext as _

from guarantees.forms.letters import LetterForm, PrintForm
from guarantees.repositories import actions as repo
from guarantees.services import letters
from guarantees.services import settings as letter_settings
from guarantees.web.rendering import render
from guarantees.web.security import username

bp = Blueprint("letters", __name__, url_prefix="/letters")


def _printable(actions: list) -> list:
    """The actions of a page that have a letter."""
    return [a for a in actions if a.action_type in letters.LETTER_TYPES]


def _print_page(actions: list, *, session_id: int | None, title: str, record_url: str):
    lang = LetterForm(request.args).lang.data
    page = [letters.letter_for(action) for action in _printable(actions)]
    recordable = bool(page) and not any(letter.draft for letter in page)
    return render(
        "letters/print.html",
        letters=page,
        lang=lang,
        dir="rtl" if lang == "ar" else "ltr",
        title=title,
        session_id=session_id,
        record_url=record_url if recordable else None,
        letterhead=letter_settings.letterhead(),
    )


def _record_print(actions: list, *, session_id: int | None):
    """The Print button's POST: one print record of the page's issued letters, in the language printed."""
    form = PrintForm(request.form)
    if not form.validate():
        return jsonify(error=form.first_error()), 400
    printable = _printable(actions)
    if not printable or any(action.action_status != "issued" for action in printable):
        return jsonify(error=_("Only issued letters are recorded as printed; a draft is a preview.")), 409
    record = letters.log_print(
        [a.id for a in printable], session_id=session_id, language=form.lang.data, user=username()
    )
    return jsonify(recorded=record.id, letters=len(record.action_ids)), 201


def _letter_action(action_id: int):
    found = repo.get_action(action_id)
    if found is None or found.action_type not in letters.LETTER_TYPES:
        abort(404)
    return found


def _session(session_id: int):
    found = repo.get_session(session_id)
    if found is None:
        abort(404)
    return found


@bp.get("/actions/<id:action_id>")
def action(action_id: int):
    """The letter of one action (?lang=ar, the default, or en)."""
    found = _letter_action(action_id)
    return _print_page(
        [found],
        session_id=found.action_session_id,
        title=found.guarantee_number,
        record_url=url_for("letters.action_printed", action_id=action_id),
    )


@bp.post("/actions/<id:action_id>/prints")
def action_printed(action_id: int):
    """Record that the letter of one action was printed (lang=ar or en)."""
    found = _letter_action(action_id)
    return _record_print([found], session_id=found.action_session_id)


@bp.get("/sessions/<id:session_id>")
def session(session_id: int):
    """Every letter of an action session, one per page (?lang=ar, the default, or en)."""
    _session(session_id)
    return _print_page(
        repo.session_actions(session_id),
        session_id=session_id,
        title=f"#{session_id}",
        record_url=url_for("letters.session_printed", session_id=session_id),
    )


@bp.post("/sessions/<id:session_id>/prints")
def session_printed(session_id: int):
    """Record that every letter of an action session was printed (lang=ar or en)."""
    _session(session_id)
    return _record_print(repo.session_actions(session_id), session_id=session_id)


@bp.app_context_processor
def _letter_helpers() -> dict:
    """`bank_address_missing(guarantee)` for the pages that issue a letter (templates/letters/_no_address.html)."""
    return {"bank_address_missing": lambda guarantee: not repo.guarantee_addressee(guarantee).has_address}
