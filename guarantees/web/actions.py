"""Action sessions: the list, one session's drafts (remove, change a date), issuing them all."""

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from guarantees.clock import today
from guarantees.forms.actions import DraftDateForm, IssueForm, SessionListForm
from guarantees.repositories import actions as repo
from guarantees.repositories import confirmation
from guarantees.services import actions
from guarantees.services.errors import DomainError, NotFound
from guarantees.web.batches import see_other
from guarantees.web.rendering import is_htmx, render, render_blocks, toast
from guarantees.web.security import editor_required, username

bp = Blueprint("actions", __name__, url_prefix="/actions")


@bp.get("")
def index():
    """Every action session, newest first, filtered by status (draft or issued)."""
    form = SessionListForm(request.args)
    status, problems = form.value("status"), form.problems()
    page = repo.list_sessions(status=status, page=form.value("page", 1))
    return render(
        "actions/index.html", "table", page=page, shown=status, statuses=repo.SESSION_STATUSES, problems=problems
    )


def _context(session_id: int, **extra) -> dict:
    found = repo.get_session(session_id)
    if found is None:
        abort(404)
    found_actions = repo.session_actions(session_id)
    drafts = [action for action in found_actions if action.action_status == "draft"]
    return {
        "session": found,
        "actions": found_actions,
        "no_address": repo.without_address(found_actions) if not found.is_locked else set(),
        "prints": repo.prints_of_session(session_id),
        "four_eyes": actions.four_eyes_on(),
        "may_issue": actions.four_eyes_allows(actions.session_preparers(found, drafts), username()),
        "errors": {},
        "issue_error": None,
        "confirming": None,
        "oob": False,
        **extra,
    }


@bp.get("/<int(max=2147483647):session_id>")
def show(session_id: int):
    """One session: its actions, what can still change while they are drafts, and issuing them."""
    return render("actions/show.html", "actions", **_context(session_id))


def _confirm(session_id: int, shown, stale: str | None):
    """The confirmation of "Issue all": htmx gets the fragment, swapped into its slot under the button; a plain
    request the whole session page with the fragment in that slot."""
    confirm = {
        "key": "session",
        "title": ngettext(
            "Issue the %(num)d letter of this session?", "Issue all %(num)d letters of this session?", shown.count
        ),
        "confirmation": shown,
        "url": url_for("actions.issue", session_id=session_id),
        "cancel_url": url_for("actions.show", session_id=session_id),
        "hidden": {},
        "hx_target": "#session-summary",
        "return_focus": "issue-all",
        "stale": stale,
    }
    status = 409 if stale else 200
    if is_htmx():
        response = render("actions/_confirm.html", status=status, confirm=confirm)
        response.headers["HX-Retarget"] = "#confirm-session"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return render("actions/show.html", status=status, **_context(session_id, confirming=confirm))


@bp.post("/<int(max=2147483647):session_id>/issue")
@editor_required
def issue(session_id: int):
    """Issue every draft of the session: first the confirmation of what will be sent, then, confirmed, the issue;
    a refusal (four-eyes, a rule, a change since the confirmation) is explained and issues nothing."""
    if repo.get_session(session_id) is None:
        abort(404)
    form = IssueForm(request.form)
    try:
        form.check()
        shown = confirmation.for_session(session_id, today())
        if form.confirm.data != shown.fingerprint:
            actions.check_session(session_id, user=username())
            stale = _("What you confirmed has changed: check it again.") if form.confirm.data else None
            return _confirm(session_id, shown, stale)
        issued = actions.issue_session(session_id, user=username(), expected=form.confirm.data)
    except NotFound:
        abort(404)
    except DomainError as error:
        return render("actions/show.html", "summary", status=422, **_context(session_id, issue_error=error.message))
    message = ngettext(
        "%(num)d action issued. Its letter is ready to print.",
        "%(num)d actions issued. Their letters are ready to print.",
        issued.issued_actions,
    )
    flash(message, "success")
    return see_other(url_for("actions.show", session_id=session_id))


def _draft_session_id(action_id: int) -> int:
    action = repo.get_action(action_id)
    if action is None or action.action_session_id is None:
        abort(404)
    return action.action_session_id


@bp.post("/drafts/<int(max=2147483647):action_id>/remove")
@editor_required
def remove_draft(action_id: int):
    """Take a draft out of its session (htmx: the row goes, the session's counts are swapped out of band)."""
    session_id = _draft_session_id(action_id)
    try:
        actions.remove_draft(action_id, user=username())
    except NotFound:
        abort(404)
    except DomainError as error:
        context = _context(session_id, errors={action_id: error.message})
        if is_htmx():
            action = next(a for a in context["actions"] if a.id == action_id)
            response = render("actions/show.html", "draft_row", status=422, action=action, **context)
            return toast(response, error.message, "error")
        return render("actions/show.html", status=422, **context)
    message = _("The draft was removed from the session.")
    if is_htmx():
        body = render_blocks("actions/show.html", ["summary"], **_context(session_id, oob=True))
        return toast(current_app.make_response(body), message)
    flash(message, "success")
    return see_other(url_for("actions.show", session_id=session_id))


@bp.post("/drafts/<int(max=2147483647):action_id>/date")
@editor_required
def change_date(action_id: int):
    """Change a draft extension's new expiry date (htmx: the row is swapped, with the error inline if refused)."""
    session_id = _draft_session_id(action_id)
    form = DraftDateForm(request.form)
    try:
        form.check()
        action = actions.change_draft_date(action_id, form.new_expiry.parsed, user=username())
    except NotFound:
        abort(404)
    except DomainError as error:
        context = _context(session_id, errors={action_id: error.message})
        if is_htmx():
            action = next(a for a in context["actions"] if a.id == action_id)
            return render("actions/show.html", "draft_row", status=422, action=action, **context)
        return render("actions/show.html", status=422, **context)
    message = _("New expiry date of %(number)s: %(day)s.", number=action.guarantee_number, day=action.new_expiry_date)
    if is_htmx():
        context = _context(session_id)
        action = next(a for a in context["actions"] if a.id == action_id)
        return toast(render("actions/show.html", "draft_row", action=action, **context), message)
    flash(message, "success")
    return see_other(url_for("actions.show", session_id=session_id))
