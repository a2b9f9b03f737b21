"""Blueprints, one per area of the staff web app, and what every page shares."""

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import gettext as _

from guarantees.domain import labels
from guarantees.extensions import babel
from guarantees.web import errors, formatting, rendering, translations
from guarantees.web.security import require_login

LANGUAGES = ("en", "ar")
BLUEPRINTS = ("health", "auth", "dashboard", "guarantees", "entry", "batches", "imports", "actions", "letters")
NAV = (
    ("dashboard.index", "Dashboard"),
    ("guarantees.index", "Guarantees"),
    ("entry.today", "Today's batch"),
    ("imports.upload", "Import"),
    ("batches.index", "Batches"),
    ("actions.index", "Action sessions"),
    ("review.index", "Review"),
    ("admin.users", "Admin"),
)
CSP = (
    "default-src 'self'; script-src 'self' https://cdn.jsdelivr.net; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)


def select_locale() -> str:
    """The interface language: ?lang= (remembered), then the browser's preference.

    On a letter, ?lang= is the letter's language, not the interface's: printing an English letter leaves the
    pages around it in the language the user chose. Outside a request (a command, a service called by one),
    the source language."""
    if not has_request_context():
        return "en"
    chosen = request.args.get("lang")
    if chosen in LANGUAGES and request.blueprint != "letters":
        session["lang"] = chosen
    return session.get("lang") or request.accept_languages.best_match(LANGUAGES) or "en"


def _page_context():
    g.lang = select_locale()
    g.dir = "rtl" if g.lang == "ar" else "ltr"


def nav_links():
    """Main navigation: the areas this app has, for this user's role."""
    from flask_login import current_user

    links = []
    for endpoint, label in NAV:
        if endpoint not in current_app.view_functions:
            continue
        if endpoint.startswith("admin.") and not current_user.can("admin"):
            continue
        links.append((endpoint, _(label)))
    return links


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint and the shared page behaviour to the app."""
    import importlib

    app.config.setdefault("HTMX_CDN_URL", "https://cdn.jsdelivr.net/npm/htmx.org@2.0.4/dist/htmx.min.js")
    app.config.setdefault("HTMX_SRI", "sha384-HGfztofotfshcF7+8n44JQL2oJmowVChPTg48S+jvZoztPfvwD79OC/LTtG6dMp+")
    babel.locale_selector = select_locale
    app.extensions["babel"].locale_selector = select_locale
    translations.install(app)
    for name in BLUEPRINTS + ("review", "admin", "users"):
        try:
            module = importlib.import_module(f"guarantees.web.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"guarantees.web.{name}":
                raise
            continue  # an area not built yet
        app.register_blueprint(module.bp)
    app.before_request(_page_context)
    app.before_request(require_login)
    app.after_request(_security_headers)
    app.context_processor(lambda: {"nav_links": nav_links})
    rendering.init_app(app)
    formatting.init_app(app)
    app.jinja_env.globals.update(field_label=labels.field_label, status_label=labels.state_label, label=labels.label)
    errors.init_app(app)
