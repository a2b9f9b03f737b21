"""The interface language: chosen per user and remembered, else the browser's, else DEFAULT_LOCALE (Arabic)."""

import re

import pytest

from guarantees.config import Config
from guarantees.extensions import db
from guarantees.models import User
from tests.web.conftest import csrf_from


def _lang(response) -> tuple[str, str]:
    found = re.search(r'<html lang="(\w+)" dir="(\w+)">', response.get_data(as_text=True))
    assert found, "no <html lang dir>"
    return found.group(1), found.group(2)


@pytest.fixture
def arabic_default_app(make_app, database):
    app = make_app(database, DEFAULT_LOCALE="ar")
    with app.app_context():
        yield app


def test_a_first_visit_follows_accept_language_then_the_default(arabic_default_app):
    client = arabic_default_app.test_client()
    assert _lang(client.get("/login")) == ("ar", "rtl")
    assert _lang(client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"})) == ("en", "ltr")
    assert _lang(client.get("/login", headers={"Accept-Language": "fr-FR"})) == ("ar", "rtl")


def test_the_arabic_page_is_translated(arabic_default_app):
    html = arabic_default_app.test_client().get("/login").get_data(as_text=True)
    assert "تسجيل الدخول" in html


def test_lang_switches_and_is_remembered_on_the_user(signed_in, app):
    editor = signed_in("editor")
    assert _lang(editor.get("/")) == ("en", "ltr")
    assert _lang(editor.get("/guarantees?lang=ar")) == ("ar", "rtl")
    assert _lang(editor.get("/")) == ("ar", "rtl")
    assert db.session.get(User, editor.user.id).locale == "ar"
    # Another browser: the user's choice follows them over the browser's preference.
    other = app.test_client()
    page = other.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    other.post("/login", data={"csrf_token": csrf_from(page), "username": editor.user.username,
                               "password": f"pw-{editor.user.username}"})  # fmt: skip
    assert _lang(other.get("/", headers={"Accept-Language": "en"})) == ("ar", "rtl")


def test_an_unknown_language_changes_nothing(signed_in):
    editor = signed_in("editor")
    assert _lang(editor.get("/?lang=xx")) == ("en", "ltr")
    assert _lang(editor.get("/?lang=<script>")) == ("en", "ltr")
    assert db.session.get(User, editor.user.id).locale is None


def test_a_letters_lang_is_the_letters_not_the_interfaces(signed_in):
    editor = signed_in("editor")
    editor.get("/letters/sessions/1?lang=ar")  # whatever the page answers, the interface keeps its language
    assert _lang(editor.get("/")) == ("en", "ltr")
    assert db.session.get(User, editor.user.id).locale is None


def test_a_default_locale_the_register_does_not_speak_is_refused(monkeypatch):
    monkeypatch.setenv("DEFAULT_LOCALE", "fr")
    with pytest.raises(ValueError, match="DEFAULT_LOCALE"):
        Config()
