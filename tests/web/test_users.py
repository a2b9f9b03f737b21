"""The staff accounts page: admins only, CSRF, a new account, roles, disabling; bad input answered in place."""

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import User


def count_users() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_the_accounts_page_is_for_admins_only(editor, viewer):
    assert editor.get("/admin/users").status_code == 403
    assert viewer.get("/admin/users").status_code == 403
    assert editor.post("/admin/users", {"username": "x", "role": "admin", "password": "long-enough"}).status_code == 403
    assert editor.post("/admin/users/1/role", {"role": "admin"}).status_code == 403
    assert count_users() == 2


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_admin_area_opens_on_the_accounts(admin):
    response = admin.get("/admin")
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/users")


def test_create_an_account_with_a_role(admin):
    page = admin.get("/admin/users").get_data(as_text=True)
    assert page.count('<tr id="user-') == 1 and 'name="csrf_token"' in page
    assert '<option selected value="viewer">Viewer</option>' in page  # labels from the domain
    response = admin.post("/admin/users", {"username": "clerk", "role": "editor", "password": "clerk-password-1"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/users")
    created = db.session.scalar(sa.select(User).where(User.username == "clerk"))
    assert created.role == "editor" and created.active
    assert created.password_hash != "clerk-password-1" and created.check_password("clerk-password-1")
    assert "Account clerk created." in admin.get("/admin/users").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"username": "CLERK", "role": "viewer", "password": "clerk-password-1"}, "exists already"),
        ({"username": "other", "role": "viewer", "password": "short"}, 'aria-invalid="true"'),
        ({"username": "other", "role": "owner", "password": "long-enough-pw"}, "Not a valid choice"),
        ({"username": "", "role": "viewer", "password": "long-enough-pw"}, 'aria-invalid="true"'),
        ({"username": "x" * 500, "role": "viewer", "password": "long-enough-pw"}, 'aria-invalid="true"'),
    ],
)
def test_a_refused_account_is_answered_in_place(admin, make_user, data, says):
    make_user("clerk", "editor")
    response = admin.post("/admin/users", data)
    assert response.status_code == 422 and says in response.get_data(as_text=True)
    assert count_users() == 2


def test_change_a_role_and_disable_an_account(admin, make_user):
    clerk = make_user("clerk", "editor")
    response = admin.post(f"/admin/users/{clerk.id}/role", {"role": "viewer"}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith(f'<tr id="user-{clerk.id}"') and "<html" not in body
    assert "clerk is now Viewer." in response.headers["HX-Trigger"]
    response = admin.post(f"/admin/users/{clerk.id}/active", {"active": "0"}, htmx=True)
    assert response.status_code == 200 and "disabled" in response.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(User, clerk.id)
    assert (stored.role, stored.active) == ("viewer", False)
    assert not stored.is_active  # Flask-Login refuses to sign in an inactive user


def test_the_last_admin_keeps_the_role(admin):
    me = db.session.scalar(sa.select(User).where(User.username == "admin-user"))
    response = admin.post(f"/admin/users/{me.id}/role", {"role": "viewer"}, htmx=True)
    assert response.status_code == 422 and "at least one active admin" in response.get_data(as_text=True)
    plain = admin.post(f"/admin/users/{me.id}/active", {"active": "0"})
    assert plain.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, me.id).role == "admin" and db.session.get(User, me.id).active


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("role", {"role": "owner"}),
        ("role", {}),
        ("active", {"active": "maybe"}),
        ("active", {}),
    ],
)
def test_bad_values_leave_the_account_as_it_was(admin, make_user, path, data):
    clerk = make_user("clerk", "editor")
    response = admin.post(f"/admin/users/{clerk.id}/{path}", data, htmx=True)
    assert response.status_code == 422 and response.get_data(as_text=True).startswith(f'<tr id="user-{clerk.id}"')
    assert "error" in response.headers["HX-Trigger"]
    db.session.expire_all()
    stored = db.session.get(User, clerk.id)
    assert (stored.role, stored.active) == ("editor", True)


@pytest.mark.parametrize("user_id", ["9999", "99999999999999999999", str(2**31)])
def test_unknown_or_impossible_ids_are_not_found(admin, user_id):
    assert admin.post(f"/admin/users/{user_id}/role", {"role": "viewer"}, htmx=True).status_code == 404
    assert admin.post(f"/admin/users/{user_id}/active", {"active": "0"}).status_code == 404
    assert admin.post("/admin/users/abc/role", {"role": "viewer"}).status_code == 404


def test_account_writes_need_the_csrf_token(admin, make_user):
    clerk = make_user("clerk", "editor")
    data = {"username": "x", "role": "viewer", "password": "long-enough"}
    assert admin.post("/admin/users", data, csrf=False).status_code == 400
    assert admin.post(f"/admin/users/{clerk.id}/role", {"role": "admin"}, csrf=False).status_code == 400
    assert admin.post(f"/admin/users/{clerk.id}/active", {"active": "0"}, csrf=False).status_code == 400
    db.session.expire_all()
    assert count_users() == 2 and db.session.get(User, clerk.id).role == "editor"


def test_names_are_escaped(admin, make_user):
    make_user("<b>bold</b>", "viewer")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
