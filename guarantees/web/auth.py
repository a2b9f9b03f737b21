"""Sign-in and sign-out, with a per-user and per-address limit on failed attempts."""

import time
from collections import defaultdict, deque
from threading import Lock
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from guarantees.extensions import db
from guarantees.models import User
from guarantees.web.rendering import render

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class Throttle:
    """Failed sign-ins within a window, per key; in memory, per process (enough to slow a guesser down)."""

    def __init__(self) -> None:
        self.failures: dict[str, deque] = defaultdict(deque)
        self.lock = Lock()

    def blocked(self, key: str, limit: int, window: float) -> bool:
        with self.lock:
            recent = self.failures[key]
            while recent and recent[0] < time.monotonic() - window:
                recent.popleft()
            return len(recent) >= limit

    def fail(self, key: str) -> None:
        with self.lock:
            self.failures[key].append(time.monotonic())

    def clear(self, key: str) -> None:
        with self.lock:
            self.failures.pop(key, None)


def _throttle() -> Throttle:
    """The app's own throttle (one per app, so that tests and workers do not share counts)."""
    return current_app.extensions.setdefault("login_throttle", Throttle())


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect a signed-in user to another site."""
    if not target or urlsplit(target).netloc or urlsplit(target).scheme or not target.startswith("/"):
        return url_for("dashboard.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; a redirect to where the user was going on success."""
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        keys = (f"user:{form.username.data.strip().lower()}", f"addr:{request.remote_addr}")
        limit = current_app.config.get("LOGIN_ATTEMPTS", 10)
        throttle = _throttle()
        if any(throttle.blocked(key, limit, 300) for key in keys):
            abort(429)
        user = db.session.scalar(sa.select(User).where(User.username == form.username.data.strip()))
        if user and user.is_active and user.check_password(form.password.data):
            for key in keys:
                throttle.clear(key)
            login_user(user)
            return redirect(_safe_next(request.args.get("next")), 303)
        for key in keys:
            throttle.fail(key)
        error = _("Wrong username or password.")
        status = 401
    elif request.method == "POST":
        status = 422
    return render("auth/login.html", form=form, error=error, status=status)


@bp.post("/logout")
def logout():
    """Sign out (a POST with the CSRF token, so no other site can sign a user out)."""
    logout_user()
    return redirect(url_for("auth.login"), 303)
