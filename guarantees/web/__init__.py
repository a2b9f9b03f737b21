"""Blueprints, one per area of the staff web app, and what every page shares."""

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from guarantees.domain import guarantee_types, labels
from guarantees.domain.ids import ID_PATTERN, MAX_ID, digits_upto
from guarantees.extensions import babel
from guarantees.services import users as accounts
from guarantees.web import errors, expiry, formatting, headers, rendering, translations
from guarantees.web.security import PUBLIC_ENDPOINTS, require_login

LANGUAGES = accounts.LANGUAGES
BLUEPRINTS = (
    "health", "auth", "dashboard", "guarantees", "entry", "batches", "imports", "actions", "letters", "reports",
)  # fmt: skip
NAV = (
    ("dashboard.index", _l("Dashboard")),
    ("guarantees.index", _l("Guarantees")),
    ("entry.today", _l("Today's batch")),
    ("imports.upload", _l("Import")),
    ("batches.index", _l("Batches")),
    ("actions.index", _l("Action sessions")),
    ("reports.index", _l("Reports")),
    ("review.index", _l("Review")),
    ("users.index", _l("Admin")),
)


def _switch() -> str | None:
    """The language `?lang=` asks for, if any. On a letter, ?lang= is the letter's language, not the interface's:
    printing an English letter leaves the pages around it in the language the user chose."""
    chosen = request.args.get("lang")
    return chosen if chosen in LANGUAGES and request.blueprint != "letters" else None


def select_locale() -> str:
    """The interface language: ?lang=, then the user's own choice, then this browser's earlier choice, then the
    browser's Accept-Language, then DEFAULT_LOCALE. Outside a request (a command), the source language."""
    if not has_request_context():
        return "en"
    # The health page and static files read no account: they answer even when the database does not.
    signed_in = request.endpoint not in PUBLIC_ENDPOINTS and current_user.is_authenticated
    user_choice = current_user.locale if signed_in else None
    return (
        _switch()
        or user_choice
        or (session.get("lang") if session.get("lang") in LANGUAGES else None)
        or request.accept_languages.best_match(LANGUAGES)
        or current_app.config["DEFAULT_LOCALE"]
    )


def _remember_language():
    """`?lang=` on any page switches the language for good: in this browser, and on the signed-in user."""
    chosen = _switch()
    if chosen is None:
        return
    session["lang"] = chosen
    if current_user.is_authenticated and current_user.locale != chosen:
        accounts.set_locale(current_user.id, chosen)
        current_user.locale = chosen


def _page_context():
    g.lang = select_locale()
    g.dir = "rtl" if g.lang == "ar" else "ltr"


def nav_links():
    """Main navigation: the areas this app has, for this user's role."""
    links = []
    for endpoint, label in NAV:
        if endpoint not in current_app.view_functions:
            continue
        if endpoint.startswith(("admin.", "users.")) and not current_user.can("admin"):
            continue
        links.append((endpoint, str(label)))
    return links


class IdConverter(IntegerConverter):
    """`<id:name>` in a route: a row id, so that a number no row can have is a 404 before any query."""

    regex = ID_PATTERN

    def __init__(self, url_map, **kwargs) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


class BoundedIntegerConverter(IntegerConverter):
    """`<int:name>`: at most MAX_ID unless the route says otherwise, so that no number in a path reaches a query
    beyond the databases' integer range (a 404, not a driver's error)."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=MAX_ID, signed=False) -> None:
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
        if max is not None and max >= 1 and not (signed or fixed_digits):
            self.regex = f"(?:0|{digits_upto(max)})"  # a larger number matches no rule: 404, never 405


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint and the shared page behaviour to the app."""
    import importlib

    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["int"] = BoundedIntegerConverter
    babel.locale_selector = select_locale
    app.extensions["babel"].locale_selector = select_locale
    translations.install(app)
    areas = (
        "review", "admin", "users", "audit", "settings", "notifications", "paste", "notes", "attachments",
        "bank_answers",
    )  # fmt: skip
    for name in BLUEPRINTS + areas:
        try:
            module = importlib.import_module(f"guarantees.web.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"guarantees.web.{name}":
                raise
            continue  # an area not built yet
        app.register_blueprint(module.bp)
    app.before_request(_page_context)
    app.before_request(require_login)
    app.before_request(_remember_language)
    headers.init_app(app)
    app.context_processor(lambda: {"nav_links": nav_links})
    rendering.init_app(app)
    formatting.init_app(app)
    expiry.init_app(app)
    app.jinja_env.globals.update(
        field_label=labels.field_label,
        status_label=labels.state_label,
        label=labels.label,
        lock_reason_label=labels.lock_reason_label,
        description_label=labels.description_label,
        type_codes=guarantee_types.TYPE_CODES,
        type_label=guarantee_types.type_label,
        type_original=guarantee_types.original_text,
    )
    errors.init_app(app)
