"""Sign-in and sign-out, with a per-user and per-address limit on failed attempts."""

import time
from collections import defaultdict, deque
from threading import Lock

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from guarantees.forms.auth import LoginForm, NextForm
from guarantees.repositories import users
from guarantees.web.rendering import render

bp = Blueprint("auth", __name__)


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


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; a redirect to where the user was going (a local page only) on success."""
    form = LoginForm(request.form if request.method == "POST" else None)
    error = None
    status = 200
    if request.method == "POST" and form.validate():
        name = form.username.data
        keys = (f"user:{name.lower()}", f"addr:{request.remote_addr}")
        limit = current_app.config.get("LOGIN_ATTEMPTS", 10)
        throttle = _throttle()
        if any(throttle.blocked(key, limit, 300) for key in keys):
            abort(429)
        user = users.by_username(name)
        if user and user.is_active and user.check_password(form.password.data):
            for key in keys:
                throttle.clear(key)
            login_user(user)
            return redirect(NextForm(request.args).target or url_for("dashboard.index"), 303)
        for key in keys:
            throttle.fail(key)
        error = _("Wrong username or password.")
        status = 401
    elif request.method == "POST":
        status = 422
    return render("auth/login.html", form=form, next=NextForm(request.args).target, error=error, status=status)


@bp.post("/logout")
def logout():
    """Sign out (a POST with the CSRF token, so no other site can sign a user out)."""
    logout_user()
    return redirect(url_for("auth.login"), 303)
