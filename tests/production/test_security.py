"""Security basics: every write endpoint guarded by role and CSRF; secrets; cookies; headers."""

import json
import logging

import pytest
from werkzeug.routing import IntegerConverter

from guarantees import create_app
from guarantees.config import DEV_SECRET_KEY
from guarantees.extensions import db

OPEN_WRITES = {"auth.login", "auth.logout"}
# POSTs that only read (a long selection of ids does not fit a URL): open to viewers, still CSRF-checked.
READ_ONLY_POSTS = {"guarantees.export"}
# A user's own password: open to every signed-in user, whatever the role; CSRF-checked.
OWN_ACCOUNT_WRITES = {"auth.change_password"}
# Recording that letters were printed: open to whoever may read them (viewers print letters too); CSRF-checked.
PRINT_RECORDS = {"letters.action_printed", "letters.session_printed"}


def placeholder(converter):
    """A value each URL converter accepts: 1 for numbers, the first choice of an `any`, else a token."""
    kind = type(converter).__name__
    if isinstance(converter, IntegerConverter):
        return 1
    if kind == "AnyConverter":
        return sorted(converter.items)[0]
    return "a" * 32


def write_urls(app):
    """Every (endpoint, method, url) that changes something, with placeholder arguments."""
    found = []
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}
        if not methods or rule.endpoint in OPEN_WRITES:
            continue
        values = {arg: placeholder(rule._converters[arg]) for arg in rule.arguments}
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        found += [(rule.endpoint, method, url) for method in sorted(methods)]
    return found


def test_the_app_has_write_endpoints_to_guard(app):
    assert len(write_urls(app)) >= 5


def test_viewer_is_refused_every_write(app, viewer):
    for endpoint, method, url in write_urls(app):
        if endpoint in READ_ONLY_POSTS | PRINT_RECORDS | OWN_ACCOUNT_WRITES:
            continue
        response = viewer.client.open(url, method=method, headers={"X-CSRFToken": viewer.token}, data={})
        assert response.status_code == 403, (endpoint, method, url, response.status_code)


def test_anonymous_is_sent_to_sign_in_for_every_write(app, client):
    from tests.web.conftest import csrf_from

    token = csrf_from(client.get("/login").get_data(as_text=True))
    for endpoint, method, url in write_urls(app):
        response = client.open(url, method=method, headers={"X-CSRFToken": token}, data={})
        assert response.status_code in (302, 303), (endpoint, method, url, response.status_code)
        assert "/login" in response.headers["Location"]


def test_forged_or_missing_csrf_is_refused_everywhere(app, admin):
    for endpoint, method, url in write_urls(app):
        for headers in ({}, {"X-CSRFToken": "forged-token"}):
            response = admin.client.open(url, method=method, headers=headers, data={})
            assert response.status_code == 400, (endpoint, method, url, headers, response.status_code)


def test_default_secret_key_is_refused_in_production(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SECRET_KEY"] != DEV_SECRET_KEY


def test_passwords_are_hashed(app, make_user):
    user = make_user("hashed", "viewer", password="correct horse battery")
    assert "correct horse" not in user.password_hash and user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert user.check_password("correct horse battery") and not user.check_password("wrong")


def test_production_logs_are_json_lines(monkeypatch, database, capsys):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database})
    app.logger.handlers[0].stream = __import__("sys").stderr
    app.test_client().get("/health")
    with app.app_context():
        db.engine.dispose()
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    entry = json.loads(lines[-1])
    assert entry["message"] == "request" and entry["path"] == "/health" and entry["status"] == 200
    assert entry["level"] == logging.getLevelName(logging.INFO)


def test_no_secrets_in_the_repository():
    import subprocess

    tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True, check=True).stdout.split()
    suspicious = [name for name in tracked if name.endswith((".env", ".pem", ".key")) or name.startswith(".env")]
    assert suspicious == []
