"""Passwords: a user changes their own; an admin resets one (shown once) and the user must change it at the next
sign-in, every page leading to the form until done; the rules hold everywhere."""

import re

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import User
from tests.web.conftest import HTMX, csrf_from

NEW = "a long new passphrase"


def sign_in(client, username: str, password: str):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "username": username, "password": password})


def stored(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def change(client, current: str, new: str, again: str | None = None):
    return client.post("/account/password", {"current": current, "new": new, "again": new if again is None else again})


def test_every_page_offers_the_password_form(editor):
    page = editor.get("/").get_data(as_text=True)
    assert 'href="/account/password"' in page
    form = editor.get("/account/password")
    assert form.status_code == 200 and 'autocomplete="current-password"' in form.get_data(as_text=True)


def test_a_user_changes_their_own_password(app, editor):
    assert change(editor, "pw-editor-user", NEW).status_code == 303
    assert "Your password was changed." in editor.get("/").get_data(as_text=True)
    assert stored(editor.user.id).check_password(NEW)
    assert sign_in(app.test_client(), "editor-user", "pw-editor-user").status_code == 401
    assert sign_in(app.test_client(), "editor-user", NEW).status_code == 303


@pytest.mark.parametrize(
    ("current", "new", "again", "says"),
    [
        ("wrong-password", NEW, None, "The current password is not right."),
        ("pw-editor-user", NEW, NEW + "x", "The two new passwords differ."),
        ("pw-editor-user", "short", None, "at least 12"),
        ("pw-editor-user", "Password1234!", None, "most common"),
        ("pw-editor-user", "qwertyuiop12", None, "most common"),
        ("pw-editor-user", "EDITOR-USER", None, "at least 12"),
        ("pw-editor-user", "Editor-User-2026", None, "cannot be the username"),
    ],
)
def test_a_refused_change_says_why_and_changes_nothing(editor, current, new, again, says):
    response = change(editor, current, new, again)
    assert response.status_code == 422
    assert says.replace("at least 12", "A password has 12 to 200 characters.") in response.get_data(as_text=True)
    assert stored(editor.user.id).check_password("pw-editor-user")


def test_the_password_cannot_be_the_username(app, admin, make_user):
    make_user("treasury-clerk", "editor")
    response = admin.post("/admin/users", {"username": "supervisor01", "role": "viewer", "password": "SUPERVISOR01"})
    assert response.status_code == 422 and "cannot be the username" in response.get_data(as_text=True)


def test_failed_current_passwords_are_throttled_like_sign_ins(editor):
    answers = [change(editor, "guess-guess-guess", NEW).status_code for _ in range(6)]
    assert answers == [422] * 5 + [429]
    assert change(editor, "pw-editor-user", NEW).status_code == 429
    assert stored(editor.user.id).check_password("pw-editor-user")


def temporary_of(html: str) -> str | None:
    found = re.search(r"<code data-temporary-password[^>]*>([^<]+)</code>", html)
    return found.group(1) if found else None


def test_an_admin_reset_is_shown_once_and_must_be_changed_at_the_next_sign_in(app, admin, signed_in):
    clerk = signed_in("editor", "clerk")
    response = admin.post(f"/admin/users/{clerk.user.id}/password", {})
    assert response.status_code == 200
    temporary = temporary_of(response.get_data(as_text=True))
    assert temporary and len(temporary) >= 12
    assert temporary not in admin.get("/admin/users").get_data(as_text=True)  # shown only that once
    with admin.client.session_transaction() as session:
        assert temporary not in str(dict(session))  # never in a cookie
    assert stored(clerk.user.id).must_change_password
    # The clerk's session ended; the old password no longer works; the temporary one leads to the form.
    assert clerk.get("/").status_code == 302
    browser = app.test_client()
    assert sign_in(browser, "clerk", "pw-clerk").status_code == 401
    signed = sign_in(browser, "clerk", temporary)
    assert signed.status_code == 303 and signed.headers["Location"] == "/account/password"
    for path in ("/", "/guarantees", "/admin/users", "/notifications"):
        response = browser.get(path)
        assert response.status_code in (302, 303) and response.headers["Location"] == "/account/password", path
    token = csrf_from(browser.get("/account/password").get_data(as_text=True))
    htmx = browser.get("/guarantees", headers=HTMX)
    assert htmx.headers["HX-Redirect"] == "/account/password"
    assert browser.post("/batches/today", data={"csrf_token": token}).headers["Location"] == "/account/password"
    page = browser.get("/account/password").get_data(as_text=True)
    assert "choose your own to continue" in page
    data = {"csrf_token": token, "current": temporary, "new": NEW, "again": NEW}
    assert browser.post("/account/password", data=data).status_code == 303
    assert browser.get("/").status_code == 200
    assert not stored(clerk.user.id).must_change_password


def test_an_admin_can_type_the_new_password(app, admin, make_user):
    clerk = make_user("clerk", "editor")
    response = admin.post(f"/admin/users/{clerk.id}/password", {"password": "given by the admin"}, htmx=True)
    assert response.status_code == 200 and temporary_of(response.get_data(as_text=True)) is None
    assert "must be changed at the next sign-in" in response.headers["HX-Trigger"]
    account = stored(clerk.id)
    assert account.check_password("given by the admin") and account.must_change_password


@pytest.mark.parametrize("password", ["too-short", "password1234", "CLERK-CLERK-"])
def test_a_typed_reset_follows_the_rules(admin, make_user, password):
    clerk = make_user("clerk", "editor")
    response = admin.post(f"/admin/users/{clerk.id}/password", {"password": password}, htmx=True)
    assert response.status_code == 422
    assert stored(clerk.id).check_password("pw-clerk") and not stored(clerk.id).must_change_password


def test_an_admin_changes_their_own_password_on_the_password_page(admin):
    me = db.session.scalar(sa.select(User).where(User.username == "admin-user"))
    response = admin.post(f"/admin/users/{me.id}/password", {}, htmx=True)
    assert response.status_code == 422 and "Change password" in response.headers["HX-Trigger"]
    assert not stored(me.id).must_change_password


def test_viewers_and_editors_cannot_reset_passwords(editor, viewer):
    for client in (editor, viewer):
        assert client.post(f"/admin/users/{viewer.user.id}/password", {}).status_code == 403
    assert stored(viewer.user.id).check_password("pw-viewer-user")
