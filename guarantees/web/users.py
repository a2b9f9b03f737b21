"""Staff accounts (admins only): the list, a new account, another role, disable or enable, an e-mail address,
a password reset, and each account's open sessions, which an admin can end."""

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from guarantees.domain.labels import label
from guarantees.forms.users import ActiveForm, EmailForm, EndSessionsForm, ResetPasswordForm, RoleForm, UserForm
from guarantees.repositories import users as repo
from guarantees.services import auth
from guarantees.services import users as service
from guarantees.services.errors import DomainError
from guarantees.web.rendering import is_htmx, render, toast
from guarantees.web.security import username

bp = Blueprint("users", __name__, url_prefix="/admin/users")


@bp.before_request
def _admins_only():
    """Accounts are for admins (sign-in itself is checked before this, app-wide)."""
    if not current_user.is_authenticated or not current_user.can("admin"):
        abort(403)


def _page(form: UserForm | None = None, status: int = 200, **extra):
    return render(
        "users/index.html",
        users=repo.list_all(),
        form=form or UserForm(),
        roles=service.ROLES,
        sessions=auth.open_sessions(),
        status=status,
        **extra,
    )


@bp.get("")
def index():
    """Every account with its role; a form to create one."""
    return _page()


@bp.post("")
def create():
    """Create an account with a role (the password is stored hashed)."""
    form = UserForm(request.form)
    if not form.validate():
        return _page(form, 422)
    try:
        account = service.create(form.username.data, form.role.data, form.password.data, user=username())
    except DomainError as error:
        target = getattr(form, error.field or "", None)
        (target.errors if target is not None else form.form_errors).append(error.message)
        return _page(form, 422)
    flash(_("Account %(name)s created.", name=account.username), "success")
    return redirect(url_for("users.index"), 303)


def _account_or_404(user_id: int):
    account = repo.get(user_id)
    if account is None:
        abort(404)
    return account


def _row(account, error: str | None = None, status: int = 200, message: str | None = None, temporary=None):
    """One account's row (htmx), or back to the list with a flash (a temporary password: the list itself, with
    the password shown once, never put in a cookie)."""
    if not is_htmx():
        if temporary:
            return _page(temporary=temporary, temporary_for=account)
        if error or message:
            flash(error or message, "error" if error else "success")
        return redirect(url_for("users.index"), 303)
    sessions = auth.open_sessions(account.id).get(account.id, [])
    response = make_response(
        render_template(
            "users/_row.html",
            account=account,
            roles=service.ROLES,
            error=error,
            account_sessions=sessions,
            temporary=temporary,
        ),
        status,
    )
    if error or message:
        toast(response, error or message, "error" if error else "success")
    return response


def _refused(form, user_id: int):
    """A form that did not validate: the row again with its first problem, nothing written."""
    account = _account_or_404(user_id)
    message = next((str(field.errors[0]) for field in form if field.errors), _("The form was not valid."))
    return _row(account, message, 422)


@bp.post("/<int:user_id>/role")
def change_role(user_id: int):
    """Give an account another role."""
    form = RoleForm(request.form)
    if not form.validate():
        return _refused(form, user_id)
    try:
        account = service.change_role(user_id, form.role.data, user=username())
    except DomainError as error:
        return _row(_account_or_404(user_id), error.message, 422)
    role = label("role", account.role)
    return _row(account, message=_("%(name)s is now %(role)s.", name=account.username, role=role))


@bp.post("/<int:user_id>/active")
def set_active(user_id: int):
    """Disable an account, or enable it again."""
    form = ActiveForm(request.form)
    if not form.validate():
        return _refused(form, user_id)
    try:
        account = service.set_active(user_id, form.enabled, user=username())
    except DomainError as error:
        return _row(_account_or_404(user_id), error.message, 422)
    if form.enabled:
        return _row(account, message=_("%(name)s can sign in.", name=account.username))
    return _row(account, message=_("%(name)s is disabled.", name=account.username))


@bp.post("/<int:user_id>/email")
def set_email(user_id: int):
    """Set or clear the address an account's expiry alerts are mailed to."""
    form = EmailForm(request.form)
    if not form.validate():
        return _refused(form, user_id)
    try:
        account = service.set_email(user_id, form.email.data, user=username())
    except DomainError as error:
        return _row(_account_or_404(user_id), error.message, 422)
    if account.email:
        return _row(
            account, message=_("Alerts for %(name)s go to %(email)s.", name=account.username, email=account.email)
        )
    return _row(account, message=_("%(name)s gets the alerts in the app only.", name=account.username))


@bp.post("/<int:user_id>/password")
def reset_password(user_id: int):
    """Set another account's password (typed, or a temporary one shown once); it must be changed at the next
    sign-in, and the account's sessions end."""
    form = ResetPasswordForm(request.form)
    if not form.validate():
        return _refused(form, user_id)
    try:
        account, temporary = service.reset_password(user_id, form.password.data or None, user=username())
    except DomainError as error:
        return _row(_account_or_404(user_id), error.message, 422)
    if temporary:
        return _row(account, message=_("Password of %(name)s reset.", name=account.username), temporary=temporary)
    return _row(
        account, message=_("Password of %(name)s set: it must be changed at the next sign-in.", name=account.username)
    )


@bp.post("/<int:user_id>/sessions/end")
def end_sessions(user_id: int):
    """End one of an account's open sessions, or all of them: their browsers are signed out at once."""
    form = EndSessionsForm(request.form)
    if not form.validate():
        return _refused(form, user_id)
    account = _account_or_404(user_id)
    try:
        ended = auth.end_session(user_id, form.session_id, user=username())
    except DomainError as error:
        return _row(account, error.message, 404)
    return _row(account, message=_("Sessions ended for %(name)s: %(count)d.", name=account.username, count=ended))
