"""Sign-in required everywhere but the login and health pages; roles checked on every write."""

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from guarantees.extensions import login_manager
from guarantees.repositories import users

PUBLIC_ENDPOINTS = {"auth.login", "health.health", "static"}


@login_manager.user_loader
def load_user(user_id: str):
    """The signed-in account a session names (None for anything that is not one, a forged id included)."""
    try:
        return users.signed_in(int(user_id))
    except (TypeError, ValueError):
        return None


def require_login():
    """before_request: anonymous users go to the sign-in page (htmx gets a redirect header)."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if current_user.is_authenticated:
        return None
    target = url_for("auth.login", next=request.full_path.rstrip("?") if request.method == "GET" else None)
    if request.headers.get("HX-Request") == "true":
        response = redirect(target, 303)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303 if request.method != "GET" else 302)


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
