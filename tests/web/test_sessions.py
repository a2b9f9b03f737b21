"""Server-side sessions: the cookie carries a token only; sign-out, timeouts, password, role and account changes end
sessions in the database, so a copy of the cookie opens nothing afterwards; admins see and end sessions."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models.base import utcnow
from guarantees.models.session import UserSession
from tests.web.conftest import Client, csrf_from


def cookie_of(client) -> str:
    return client.client.get_cookie("session").value


def replay(app, cookie: str):
    """A fresh browser that presents a copied session cookie: what it gets at the dashboard."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get("/")


def signed_out(response) -> bool:
    return response.status_code in (302, 303) and "/login" in response.headers["Location"]


def sessions_of(user_id: int) -> list[UserSession]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user_id)))


def second_client(app, user) -> Client:
    """The same account signed in from another browser."""
    return Client(app.test_client(), user).sign_in()


def move_back(user_id: int, **columns: timedelta) -> None:
    """Pretend time passed: move a user's stored session times back (instead of sleeping)."""
    for row in sessions_of(user_id):
        for name, delta in columns.items():
            setattr(row, name, getattr(row, name) - delta)
    db.session.commit()


def test_the_cookie_names_no_user_only_a_session_token(app, editor):
    with editor.client.session_transaction() as payload:
        content = dict(payload)
    assert "_user_id" not in content and set(content) <= {"sid", "csrf_token", "lang", "_flashes"}
    (row,) = sessions_of(editor.user.id)
    assert len(content["sid"]) >= 43 and row.id != content["sid"]  # only its SHA-256 is stored
    assert len(row.id) == 64 and row.ended_at is None and row.ip == "127.0.0.1"
    assert "remember_token" not in {cookie.key for cookie in editor.client._cookies.values()}


def test_a_cookie_copied_before_sign_out_is_refused_after_it(app, editor):
    copied = cookie_of(editor)
    assert replay(app, copied).status_code == 200  # the copy works while the session is open
    assert editor.post("/logout").status_code == 303
    assert signed_out(replay(app, copied))
    assert signed_out(editor.get("/"))
    (row,) = sessions_of(editor.user.id)
    assert row.ended_reason == "logout" and row.ended_at is not None


def test_a_session_idle_too_long_ends(app, editor):
    assert editor.get("/").status_code == 200
    move_back(editor.user.id, last_seen_at=timedelta(minutes=29), created_at=timedelta(minutes=29))
    assert editor.get("/").status_code == 200
    move_back(editor.user.id, last_seen_at=timedelta(minutes=31))
    assert signed_out(editor.get("/"))
    (row,) = sessions_of(editor.user.id)
    assert row.ended_reason == "idle"


def test_a_session_ends_at_its_maximum_age_however_active(app, editor):
    move_back(editor.user.id, expires_at=timedelta(hours=11, minutes=59))  # expires in a minute
    assert editor.get("/").status_code == 200
    move_back(editor.user.id, expires_at=timedelta(minutes=2))
    assert signed_out(editor.get("/"))
    assert sessions_of(editor.user.id)[0].ended_reason == "expired"


def test_the_timeouts_are_settings(app, editor):
    (row,) = sessions_of(editor.user.id)
    assert row.expires_at - row.created_at == timedelta(hours=12)
    app.config["SESSION_IDLE_MINUTES"] = 5
    move_back(editor.user.id, last_seen_at=timedelta(minutes=6))
    assert signed_out(editor.get("/"))


def test_last_seen_is_written_at_most_once_a_minute(app, editor):
    (before,) = sessions_of(editor.user.id)
    seen = before.last_seen_at
    writes = []

    def listener(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("UPDATE USER_SESSIONS"):
            writes.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        for _ in range(3):
            assert editor.get("/").status_code == 200
        assert writes == [] and sessions_of(editor.user.id)[0].last_seen_at == seen
        move_back(editor.user.id, last_seen_at=timedelta(minutes=2))
        writes.clear()
        assert editor.get("/").status_code == 200
        assert editor.get("/").status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert len(writes) == 1
    assert utcnow() - sessions_of(editor.user.id)[0].last_seen_at < timedelta(seconds=30)


def test_a_password_change_ends_the_other_sessions_but_this_one(app, editor):
    other = second_client(app, editor.user)
    response = editor.post(
        "/account/password",
        {"current": "pw-editor-user", "new": "a new passphrase 2026", "again": "a new passphrase 2026"},
    )
    assert response.status_code == 303
    assert editor.get("/").status_code == 200
    assert signed_out(other.get("/"))
    reasons = sorted(row.ended_reason or "open" for row in sessions_of(editor.user.id))
    assert reasons == ["open", "password"]


@pytest.mark.parametrize(
    ("path", "data", "reason"),
    [("role", {"role": "viewer"}, "role"), ("active", {"active": "0"}, "disabled")],
)
def test_a_role_change_or_disabling_ends_every_session_of_the_account(app, admin, signed_in, path, data, reason):
    clerk = signed_in("editor", "clerk")
    elsewhere = second_client(app, clerk.user)
    copied = cookie_of(clerk)
    assert admin.post(f"/admin/users/{clerk.user.id}/{path}", data, htmx=True).status_code == 200
    assert signed_out(clerk.get("/")) and signed_out(elsewhere.get("/")) and signed_out(replay(app, copied))
    assert {row.ended_reason for row in sessions_of(clerk.user.id)} == {reason}
    assert admin.get("/").status_code == 200  # the admin's own session is untouched


def test_the_same_role_again_ends_nothing(app, admin, signed_in):
    clerk = signed_in("editor", "clerk")
    assert admin.post(f"/admin/users/{clerk.user.id}/role", {"role": "editor"}, htmx=True).status_code == 200
    assert clerk.get("/").status_code == 200


def test_an_admin_sees_a_users_open_sessions_and_ends_one(app, admin, signed_in):
    clerk = signed_in("editor", "clerk")
    clerk.client.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    second = Client(app.test_client(), clerk.user)
    second.client.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    second.sign_in()
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "Sessions: 2" in page and "10.9.9.9" in page
    row = next(r for r in sessions_of(clerk.user.id) if r.ip == "10.9.9.9")
    assert row.id in page
    response = admin.post(f"/admin/users/{clerk.user.id}/sessions/end", {"session": row.id}, htmx=True)
    assert response.status_code == 200 and "Sessions: 1" in response.get_data(as_text=True)
    assert signed_out(second.get("/")) and clerk.get("/").status_code == 200
    assert admin.post(f"/admin/users/{clerk.user.id}/sessions/end", {}).status_code == 303
    assert signed_out(clerk.get("/"))
    assert {r.ended_reason for r in sessions_of(clerk.user.id)} == {"admin"}


def test_ending_a_session_of_another_account_or_a_bad_id_changes_nothing(app, admin, signed_in):
    clerk = signed_in("editor", "clerk")
    other = signed_in("viewer", "other")
    (theirs,) = sessions_of(other.user.id)
    assert (
        admin.post(f"/admin/users/{clerk.user.id}/sessions/end", {"session": theirs.id}, htmx=True).status_code == 404
    )
    assert (
        admin.post(f"/admin/users/{clerk.user.id}/sessions/end", {"session": "x' OR 1=1"}, htmx=True).status_code == 422
    )
    assert admin.post("/admin/users/99999/sessions/end", {}).status_code == 404
    assert clerk.get("/").status_code == 200 and other.get("/").status_code == 200


def test_viewers_and_editors_cannot_see_or_end_sessions(app, editor, viewer):
    (row,) = sessions_of(viewer.user.id)
    for client in (editor, viewer):
        assert client.get("/admin/users").status_code == 403
        assert client.post(f"/admin/users/{viewer.user.id}/sessions/end", {"session": row.id}).status_code == 403
        assert client.post(f"/admin/users/{editor.user.id}/sessions/end", {}).status_code == 403
    assert viewer.get("/").status_code == 200 and editor.get("/").status_code == 200


def test_a_session_of_a_disabled_account_opens_nothing_even_if_still_open(app, editor):
    db.session.execute(sa.text("UPDATE users SET active = :no WHERE id = :id"), {"no": False, "id": editor.user.id})
    db.session.commit()
    assert signed_out(editor.get("/"))
    assert sessions_of(editor.user.id)[0].ended_reason == "disabled"


def test_a_forged_or_unknown_token_opens_nothing(app, editor):
    thief = app.test_client()
    with thief.session_transaction() as session:
        session["sid"] = "A" * 43
    assert signed_out(thief.get("/"))
    with thief.session_transaction() as session:
        session["sid"] = sessions_of(editor.user.id)[0].id  # the stored hash is not a token
    assert signed_out(thief.get("/"))
    with thief.session_transaction() as session:
        session["sid"] = {"not": "a string"}
    assert signed_out(thief.get("/"))


def test_signing_in_again_makes_a_new_session_and_csrf_secret(app, make_user):
    make_user("clerk", "editor")
    client = app.test_client()

    def sign_in():
        token = csrf_from(client.get("/login").get_data(as_text=True))
        data = {"csrf_token": token, "username": "clerk", "password": "pw-clerk"}
        assert client.post("/login", data=data).status_code == 303
        page_token = csrf_from(client.get("/").get_data(as_text=True))
        with client.session_transaction() as session:
            return page_token, session["sid"], session["csrf_token"]

    token, first, secret = sign_in()
    client.post("/logout", data={"csrf_token": token})
    _, second, renewed = sign_in()
    assert second != first and renewed != secret
