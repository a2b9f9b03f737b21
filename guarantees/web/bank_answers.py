"""The bank's answers and the voids: recorded and prepared on the guarantee page (templates/bank_answers/), the
register of answers (every issued letter, what the bank granted and the proof; filtered, paged, exported), the
dashboard's worklist of letters waiting for the bank, and the admin's setting for how long one may wait."""

from dataclasses import dataclass
from io import BytesIO

from flask import Blueprint, abort, flash, make_response, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from guarantees.clock import today
from guarantees.domain.bank_answers import ANSWERED_TYPES
from guarantees.extensions import db
from guarantees.forms.bank_answers import AnswerListForm, BankAnswerForm, BankWaitForm
from guarantees.forms.voids import VoidForm, VoidIssueForm
from guarantees.repositories import bank_answers as repo
from guarantees.repositories import guarantees as guarantee_repo
from guarantees.services import audit, bank_answers_export, settings, voids
from guarantees.services import bank_answers as service
from guarantees.services.errors import DomainError, NotFound, ValidationFailed
from guarantees.web.rendering import is_htmx, render
from guarantees.web.security import admin_required, editor_required, username

bp = Blueprint("bank_answers", __name__, url_prefix="/bank-answers")
WORKLIST_SHOWN = 10
PER_PAGE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Worklist:
    """Letters waiting for the bank: how many in all, and the longest waiting first few."""

    count: int
    items: list


@bp.app_template_global()
def bank_letters(guarantee_id: int) -> dict:
    """The guarantee page's letters with their answers and voids (templates/bank_answers/_letters.html)."""
    letters = repo.guarantee_letters(guarantee_id, include_hidden=current_user.can("editor"))
    return {"letters": letters, "void_drafts": repo.void_drafts(guarantee_id)}


@bp.app_template_global()
def bank_worklist() -> Worklist:
    """The dashboard's worklist: letters waiting for the bank's answer, the longest waiting first."""
    return Worklist(*repo.worklist(WORKLIST_SHOWN))


@bp.app_template_global()
def bank_wait_form() -> BankWaitForm:
    """The settings page's form for how long a letter may wait (with the value set)."""
    return BankWaitForm(formdata=None, data={"wait_days": settings.bank_wait_days()})


@bp.app_template_global()
def letter_attachments(actions) -> dict:
    """The attachments of these actions by action id (an action session's page): hidden ones for editors only."""
    ids = [action.id for action in actions]
    return repo.proof_files(ids, include_hidden=current_user.can("editor")) if ids else {}


@bp.get("")
def index():
    """Every issued extension, reduction and release with the bank's answer and the proof, filtered by state, kind,
    bank and the days our letters were issued; htmx gets only the table."""
    form = AnswerListForm(request.args)
    filters = form.answer_filters()
    page = repo.answered_letters_page(
        filters, form.value("page", 1), PER_PAGE, include_hidden=current_user.can("editor")
    )
    return render(
        "bank_answers/index.html",
        "table",
        filters=filters,
        page=page,
        problems=form.problems(),
        banks=[] if is_htmx() else repo.letter_banks(),
        kinds=ANSWERED_TYPES,
        state_text=bank_answers_export.state_text,
    )


@bp.get("/export.xlsx")
def export():
    """The answers page's rows (every page, the same filters) as an .xlsx."""
    letters = repo.answered_letters(AnswerListForm(request.args).answer_filters(), include_hidden=False)
    audit.export(user=username(), rows=len(letters), filters=request.args.to_dict(), source="bank_answers")
    return send_file(
        BytesIO(bank_answers_export.workbook(letters)),
        mimetype=XLSX,
        as_attachment=True,
        download_name=f"bank-answers-{today().isoformat()}.xlsx",
    )


def _guarantee_page(guarantee_id: int) -> str:
    return url_for("guarantees.show", guarantee_id=guarantee_id) + "#bank-letters"


def _action_or_404(action_id: int):
    action = repo.get_action(action_id)
    if action is None:
        abort(404)
    return action


def _done(guarantee_id: int, message: str):
    """After a write: the guarantee page again, with the message shown there. htmx reloads the page its form is on
    (the guarantee's): the expiry, status and timeline change with the letters (HX-Redirect to the same page and a
    #fragment would only scroll)."""
    flash(message, "success")
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Refresh"] = "true"
        return response
    return redirect(_guarantee_page(guarantee_id), 303)


def _refused(guarantee_id: int, error: DomainError, *, key: str, values: dict | None = None):
    """The letters section again with the refusal beside its form (htmx), or the page with it flashed."""
    db.session.rollback()
    status = 422 if isinstance(error, ValidationFailed) else 409
    if not is_htmx():
        flash(error.message, "error")
        return redirect(_guarantee_page(guarantee_id), 303)
    guarantee = guarantee_repo.get(guarantee_id)
    return render(
        "bank_answers/_letters.html",
        status=status,
        guarantee=guarantee,
        letter_errors={key: error.message},
        letter_values={key: values or {}},
    )


@bp.post("/actions/<id:action_id>/answer")
@editor_required
def answer(action_id: int):
    """Record the bank's answer to an issued letter (once)."""
    action = _action_or_404(action_id)
    guarantee_id = action.guarantee_id
    form = BankAnswerForm()
    try:
        form.check()
        upload = form.upload
        service.record(
            action_id,
            user=username(),
            upload=service.Upload(upload.filename, upload.stream) if upload else None,
            **form.arguments(),
        )
    except NotFound:
        abort(404)
    except DomainError as error:
        return _refused(guarantee_id, error, key=f"answer-{action_id}", values=form.typed())
    return _done(guarantee_id, _("The bank's answer was recorded."))


@bp.post("/actions/<id:action_id>/void")
@editor_required
def prepare_void(action_id: int):
    """Prepare a void of an issued action, with its reason; another person issues it."""
    action = _action_or_404(action_id)
    guarantee_id = action.guarantee_id
    form = VoidForm(request.form)
    try:
        form.check()
        voids.prepare(action_id, reason=form.reason.data, user=username())
    except NotFound:
        abort(404)
    except DomainError as error:
        return _refused(guarantee_id, error, key=f"void-{action_id}", values=form.typed())
    return _done(guarantee_id, _("The void was prepared: another editor or administrator must issue it."))


@bp.post("/voids/<id:void_id>/issue")
@editor_required
def issue_void(void_id: int):
    """Issue a prepared void (never by who prepared it): the guarantee gets back what the action changed."""
    void = _action_or_404(void_id)
    guarantee_id = void.guarantee_id
    try:
        VoidIssueForm(request.form).check()
        voids.issue(void_id, user=username())
    except NotFound:
        abort(404)
    except DomainError as error:
        return _refused(guarantee_id, error, key=f"void-draft-{void_id}")
    return _done(guarantee_id, _("The void was issued: the guarantee is back as it was before the action."))


@bp.post("/voids/<id:void_id>/discard")
@editor_required
def discard_void(void_id: int):
    """Withdraw a void not yet issued."""
    void = _action_or_404(void_id)
    guarantee_id = void.guarantee_id
    try:
        VoidIssueForm(request.form).check()
        voids.discard(void_id, user=username())
    except NotFound:
        abort(404)
    except DomainError as error:
        return _refused(guarantee_id, error, key=f"void-draft-{void_id}")
    return _done(guarantee_id, _("The prepared void was withdrawn."))


@bp.post("/settings")
@admin_required
def save_settings():
    """Save how many days a letter may wait for the bank's answer before the digest names it."""
    form = BankWaitForm(request.form)
    try:
        form.check()
        settings.save_bank_wait_days(form.wait_days.data, user=username())
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("The digest names letters waiting longer than %(days)d days.", days=form.wait_days.data), "success")
    return redirect(url_for("settings.index") + "#bank-answers", 303)
