"""Sign-in, sign-out and a user's own password; the throttling and the sessions are services.auth's."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from guarantees.forms.auth import LoginForm, NextForm, PasswordForm
from guarantees.services import auth
from guarantees.services import users as accounts
from guarantees.services.errors import DomainError
from guarantees.web.rendering import render
from guarantees.web.security import current_token, end_session, forget_login_keys, start_session, username

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; a redirect to where the user was going (a local page only) on success."""
    form = LoginForm(request.form if request.method == "POST" else None)
    error = None
    status = 200
    headers = {}
    if request.method == "POST" and form.validate():
        try:
            started = auth.sign_in(
                form.username.data,
                form.password.data,
                ip=request.remote_addr,
                user_agent=request.user_agent.string,
            )
        except auth.SignInRefused as refused:
            error, status, headers = refused.message, 429, {"Retry-After": str(refused.wait)}
        except auth.BadCredentials as wrong:
            error, status = wrong.message, 401
        else:
            start_session(started.token)
            login_user(started.user)
            forget_login_keys()
            if started.user.must_change_password:
                return redirect(url_for("auth.change_password"), 303)
            return redirect(NextForm(request.args).target or url_for("dashboard.index"), 303)
    elif request.method == "POST":
        status = 422
    response = render("auth/login.html", form=form, next=NextForm(request.args).target, error=error, status=status)
    response.headers.update(headers)
    return response


@bp.post("/logout")
def logout():
    """Sign out (a POST with the CSRF token, so no other site can sign a user out): the session ends in the
    database, so a copy of the cookie opens nothing."""
    who = username()
    auth.sign_out(end_session(), user=who)
    logout_user()
    forget_login_keys()
    return redirect(url_for("auth.login"), 303)


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    """A user's own new password: the current one, then the new one twice. The user's other sessions end."""
    form = PasswordForm(request.form if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                accounts.change_password(
                    current_user.id,
                    form.current.data,
                    form.new.data,
                    keep=current_token(),
                    ip=request.remote_addr,
                )
            except auth.SignInRefused as refused:
                form.form_errors.append(refused.message)
                status = 429
            except DomainError as error:
                target = getattr(form, error.field or "", None)
                (target.errors if target is not None else form.form_errors).append(error.message)
                status = 422
            else:
                flash(_("Your password was changed. Your other sessions were signed out."), "success")
                return redirect(url_for("dashboard.index"), 303)
        else:
            status = 422
    return render("auth/password.html", form=form, forced=current_user.must_change_password, status=status)
