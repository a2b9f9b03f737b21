"""Sign-in required everywhere but the login and health pages; roles checked on every write.

The signed cookie names no user: it carries a session token (SESSION_KEY), which services.auth looks up in
the database on each request (ended, idle or expired sessions open nothing). Flask-Login's own user id in
the cookie and its remember-me cookie are not used.
"""

from functools import wraps

from flask import abort, current_app, g, redirect, request, session, url_for
from flask_login import current_user

from guarantees.extensions import login_manager
from guarantees.services import auth

PUBLIC_ENDPOINTS = {"auth.login", "health.health", "static"}
# What a user whose password an admin reset may open before choosing their own.
WHILE_CHANGING_PASSWORD = {"auth.change_password", "auth.logout"}
SESSION_KEY = "sid"
# Flask-Login's bookkeeping in the cookie: none of it is kept (the session row is the only truth).
LOGIN_KEYS = ("_user_id", "_fresh", "_id", "_remember", "_remember_seconds")

login_manager.session_protection = None  # the session row, not the cookie, is checked


@login_manager.user_loader
def load_user(_user_id: str):
    """A user id in the cookie signs nobody in (only a session token does, through load_from_session)."""
    return None


@login_manager.request_loader
def load_from_session(_request):
    """The account of the open session the cookie's token names (None: signed out, and the token forgotten)."""
    token = session.get(SESSION_KEY)
    if token is None:
        return None
    account = auth.resume(token)
    if account is None:
        session.pop(SESSION_KEY, None)
    return account


def _fresh_cookie_session() -> None:
    """Empty the cookie's session but for the language chosen; the CSRF secret goes too (with the token
    Flask-WTF keeps for the rest of the request), so the next form gets a new one."""
    lang = session.get("lang")
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    if lang:
        session["lang"] = lang


def start_session(token: str) -> None:
    """After a sign-in: a fresh cookie session (the CSRF secret renewed) carrying the new token."""
    _fresh_cookie_session()
    session[SESSION_KEY] = token


def end_session() -> str | None:
    """At sign-out: the cookie's session emptied (the language kept); the token it carried, to be revoked."""
    token = session.get(SESSION_KEY)
    _fresh_cookie_session()
    return token


def current_token() -> str | None:
    """The token of the session this request came with."""
    return session.get(SESSION_KEY)


def forget_login_keys() -> None:
    """Drop what Flask-Login's login_user() writes into the cookie."""
    for key in LOGIN_KEYS:
        session.pop(key, None)


def _redirect(target: str, status: int):
    if request.headers.get("HX-Request") == "true":
        response = redirect(target, 303)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, status)


def require_login():
    """before_request: anonymous users go to the sign-in page (htmx gets a redirect header); a user who must
    choose a new password goes to the password form, whatever they asked for."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if current_user.is_authenticated:
        if current_user.must_change_password and request.endpoint not in WHILE_CHANGING_PASSWORD:
            return _redirect(url_for("auth.change_password"), 303)
        return None
    target = url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None)
    return _redirect(target, 303 if request.method != "GET" else 302)


def role_required(role: str):
    """Refuse (403) users whose role is below `role`."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.can(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


editor_required = role_required("editor")
admin_required = role_required("admin")


def username() -> str | None:
    """Who is acting, as recorded on every write."""
    return current_user.username if current_user.is_authenticated else None
