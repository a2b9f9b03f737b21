"""The security audit log: a row for each sign-in (success, failure, refusal), sign-out, session ended, account
change, password change or reset and export; append-only in the database itself; an admin page with filters."""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models.audit import SecurityEvent
from guarantees.models.session import UserSession
from guarantees.services import audit
from guarantees.services.transaction import unit_of_work
from tests.migrations.test_triggers import refused
from tests.web.conftest import csrf_from


def events(kind: str | None = None) -> list[SecurityEvent]:
    db.session.expire_all()
    query = sa.select(SecurityEvent).order_by(SecurityEvent.id)
    if kind:
        query = query.where(SecurityEvent.kind == kind)
    return list(db.session.scalars(query))


def attempt(client, username: str, password: str, ip: str):
    client.environ_base["REMOTE_ADDR"] = ip
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "username": username, "password": password})


def test_sign_ins_and_their_failures_are_recorded_with_name_and_address(app, make_user):
    make_user("clerk", "editor")
    client = app.test_client()
    assert attempt(client, "clerk", "wrong", "10.0.0.7").status_code == 401
    assert attempt(client, "ghost", "wrong", "10.0.0.7").status_code == 401
    assert attempt(client, "clerk", "pw-clerk", "10.0.0.8").status_code == 303
    failed = events("sign_in_failed")
    assert [(e.username, e.ip, e.detail["reason"]) for e in failed] == [
        ("clerk", "10.0.0.7", "password"),
        ("ghost", "10.0.0.7", "unknown"),
    ]
    (success,) = events("sign_in")
    assert (success.username, success.actor, success.ip) == ("clerk", "clerk", "10.0.0.8")
    for _ in range(6):  # the sixth is refused
        attempt(client, "nobody", "guess", "10.0.0.9")
    (refusal,) = events("sign_in_refused")
    assert refusal.username == "nobody" and refusal.ip == "10.0.0.9" and refusal.detail["wait"] > 0


def test_sign_out_and_sessions_ended_are_recorded_with_why(app, editor, admin):
    move = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == editor.user.id)).one()
    move.last_seen_at -= timedelta(hours=1)
    db.session.commit()
    assert editor.get("/").status_code == 302
    assert admin.post("/logout").status_code == 303
    ended = events("session_ended")
    assert [(e.username, e.actor, e.detail["reason"]) for e in ended] == [("editor-user", None, "idle")]
    (out,) = events("sign_out")
    assert (out.username, out.actor, out.detail["reason"]) == ("admin-user", "admin-user", "logout")


def test_account_changes_are_recorded(app, admin):
    assert (
        admin.post("/admin/users", {"username": "clerk", "role": "editor", "password": "clerk-password-1"}).status_code
        == 303
    )
    clerk = next(e for e in events("account_created"))
    assert (clerk.username, clerk.actor, clerk.detail) == ("clerk", "admin-user", {"role": "editor"})
    user_id = db.session.scalar(sa.text("SELECT id FROM users WHERE username = 'clerk'"))
    admin.post(f"/admin/users/{user_id}/role", {"role": "viewer"}, htmx=True)
    admin.post(f"/admin/users/{user_id}/active", {"active": "0"}, htmx=True)
    admin.post(f"/admin/users/{user_id}/active", {"active": "1"}, htmx=True)
    admin.post(f"/admin/users/{user_id}/password", {}, htmx=True)
    kinds = [(e.kind, e.username, e.actor) for e in events() if e.kind != "sign_in"]
    assert kinds == [
        ("account_created", "clerk", "admin-user"),
        ("role_changed", "clerk", "admin-user"),
        ("account_disabled", "clerk", "admin-user"),
        ("account_enabled", "clerk", "admin-user"),
        ("password_reset", "clerk", "admin-user"),
    ]
    assert events("role_changed")[0].detail == {"old": "editor", "new": "viewer"}
    assert events("password_reset")[0].detail == {"temporary": True}
    assert all(e.ip == "127.0.0.1" for e in events())


def test_a_password_change_and_an_export_are_recorded(app, editor):
    new = "another long passphrase"
    editor.post("/account/password", {"current": "pw-editor-user", "new": new, "again": new})
    (changed,) = events("password_changed")
    assert (changed.username, changed.actor) == ("editor-user", "editor-user")
    assert editor.get("/guarantees/export?q=JLG&sort=number").status_code == 200
    (export,) = events("export")
    assert export.actor == "editor-user" and export.detail["rows"] == 0
    assert "q=JLG" in export.detail["what"] and "csrf" not in export.detail["what"]


def test_every_export_is_recorded_with_what_it_took_out(app, admin, make_guarantee):
    make_guarantee("EXP-1")
    for url in ("/reports/bank.xlsx?bank=Riyad", "/bank-answers/export.xlsx?state=waiting", "/admin/banks/export"):
        assert admin.get(url).status_code == 200, url
    sources = [(e.detail["source"], e.actor) for e in events("export")]
    assert sources == [("report", "admin-user"), ("bank_answers", "admin-user"), ("banks", "admin-user")]
    report = events("export")[0]
    assert isinstance(report.detail["rows"], int)
    assert "table=bank" in report.detail["what"] and "bank=Riyad" in report.detail["what"]
    page = admin.get("/admin/audit?kind=export").get_data(as_text=True)
    assert "a report" in page and "the bank dictionary" in page and "the banks&#39; answers" in page


def test_the_command_line_is_recorded_without_an_actor(runner):
    result = runner.invoke(
        args=["users", "create", "chief", "--role", "admin", "--password-stdin"], input="pw-chief-2026\n"
    )
    assert result.exit_code == 0
    (created,) = events("account_created")
    assert (created.username, created.actor, created.ip) == ("chief", None, None)


def test_the_log_is_append_only_even_with_plain_sql(app):
    with unit_of_work() as session:
        audit.record(session, "sign_in", username="clerk", actor="clerk", ip="10.0.0.1")
    assert refused("UPDATE security_events SET username = 'someone else'")
    assert refused("UPDATE security_events SET at = :at", at=datetime(2020, 1, 1))
    assert refused("DELETE FROM security_events")
    assert not refused(
        "INSERT INTO security_events (at, kind, username) VALUES (:at, 'sign_in', 'x')", at=datetime(2026, 1, 1)
    )
    assert [e.username for e in events()] == ["clerk", "x"]
    first = events()[0].id
    db.session.rollback()  # no lock of this session's reads in the way of the statements below
    # Nor replaced (SQLite: INSERT OR REPLACE deletes the old row first) or emptied (PostgreSQL: TRUNCATE).
    if db.engine.dialect.name == "sqlite":
        replace = "INSERT OR REPLACE INTO security_events (id, at, kind, username) VALUES (:id, :at, 'sign_in', 'y')"
        assert refused(replace, id=first, at=datetime(2026, 1, 1))
    else:
        assert refused("TRUNCATE security_events")
    assert [e.username for e in events()] == ["clerk", "x"]


def test_an_unknown_kind_is_a_programming_error(app):
    with pytest.raises(ValueError), unit_of_work() as session:
        audit.record(session, "coffee_break", username=None, actor=None)


def _log(kind: str, username: str, at: datetime, actor: str | None = None) -> None:
    with unit_of_work() as session:
        audit.record(session, kind, username=username, actor=actor).at = at


@pytest.fixture
def logged(app):
    """Events on three days (UTC, the tests' time zone is the server's: the dates are chosen far from midnight)."""
    _log("sign_in", "clerk", datetime(2026, 1, 10, 12))
    _log("sign_in_failed", "clerk", datetime(2026, 1, 11, 12))
    _log("role_changed", "clerk", datetime(2026, 1, 12, 12), actor="chief")
    _log("sign_in", "auditor", datetime(2026, 1, 12, 13))
    app.config["APP_TIMEZONE"] = "UTC"


def rows(page: str) -> list[str]:
    import re

    return re.findall(r'<tr data-kind="([a-z_]+)">', page)


def test_the_admin_page_lists_the_log_newest_first_with_filters(admin, logged):
    page = admin.get("/admin/audit").get_data(as_text=True)
    # The admin's own sign-in (now) first, then the fixture's, newest first.
    assert rows(page) == ["sign_in", "sign_in", "role_changed", "sign_in_failed", "sign_in"]
    assert rows(admin.get("/admin/audit?kind=role_changed").get_data(as_text=True)) == ["role_changed"]
    assert rows(admin.get("/admin/audit?user=CHIEF").get_data(as_text=True)) == ["role_changed"]  # who acted
    assert rows(admin.get("/admin/audit?user=clerk").get_data(as_text=True)) == [
        "role_changed", "sign_in_failed", "sign_in",
    ]  # fmt: skip
    window = admin.get("/admin/audit?since=2026-01-11&until=2026-01-11").get_data(as_text=True)
    assert rows(window) == ["sign_in_failed"]
    arabic_digits = admin.get("/admin/audit?since=٢٠٢٦-٠١-١٢&until=2026-01-12").get_data(as_text=True)
    assert rows(arabic_digits) == ["sign_in", "role_changed"]
    bad = admin.get("/admin/audit?kind=nonsense&since=yesterday&page=abc")
    assert bad.status_code == 200 and "Ignored an unknown kind of event." in bad.get_data(as_text=True)
    table = admin.get("/admin/audit?kind=sign_in_failed", htmx=True).get_data(as_text=True)
    assert table.lstrip().startswith('<div id="audit-table">') and "<html" not in table


def test_the_log_is_paged(admin):
    for number in range(55):
        _log("sign_in_failed", f"guess{number:02d}", datetime(2026, 1, 1) + timedelta(minutes=number))
    first = admin.get("/admin/audit?kind=sign_in_failed").get_data(as_text=True)
    assert len(rows(first)) == 50 and "guess54" in first and "guess04" not in first
    second = admin.get("/admin/audit?kind=sign_in_failed&page=2").get_data(as_text=True)
    assert len(rows(second)) == 5 and "guess00" in second


def test_only_admins_read_the_log(editor, viewer, client):
    assert editor.get("/admin/audit").status_code == 403
    assert viewer.get("/admin/audit").status_code == 403
    response = client.get("/admin/audit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_names_in_the_log_are_escaped(admin):
    _log("sign_in_failed", "<script>alert(1)</script>", datetime(2026, 1, 1))
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
