"""The alerts in the app: the header's unread count, the notifications page (marked read when opened), the alert
settings, each user's e-mail address, and the dashboard's line on the last digest."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from guarantees import clock
from guarantees.extensions import db
from guarantees.models import Notification, User
from guarantees.services import alerts, notifications, settings


@pytest.fixture
def today(app) -> date:
    """The register's day (clock.today(): a suite may fix it), which the services' own rules compare with."""
    return clock.today()


def unread(user_id: int) -> int:
    query = sa.select(sa.func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    return db.session.scalar(query)


def test_the_header_counts_unread_notifications_and_opening_them_marks_them_read(today, signed_in, make_guarantee):
    editor, other = signed_in("editor"), signed_in("editor", "second-editor")
    assert ">Notifications</a>" in editor.get("/").get_data(as_text=True)
    make_guarantee("N-1", expiry_date=(today + timedelta(days=3)).isoformat())
    make_guarantee("N-2", expiry_date=(today - timedelta(days=1)).isoformat())
    alerts.send(today)
    assert "Notifications (2)" in editor.get("/").get_data(as_text=True)

    page = editor.get("/notifications").get_data(as_text=True)
    assert "3 days left" in page and "expired, not released" in page and page.count(">new</span>") == 2
    assert "Notifications (2)" not in page and unread(editor.user.id) == 0
    assert unread(other.user.id) == 2  # per user: the other editor's are untouched
    again = editor.get("/notifications").get_data(as_text=True)
    assert ">new</span>" not in again and "N-1" in again
    assert ">Notifications</a>" in editor.get("/").get_data(as_text=True)


def test_the_notifications_page_is_per_user_newest_first_and_paged(
    today, signed_in, make_guarantee, viewer, monkeypatch
):
    editor = signed_in("editor")
    make_guarantee("P-1", expiry_date=(today + timedelta(days=20)).isoformat())
    alerts.send(today)
    alerts.send(today + timedelta(days=14))  # 6 days left: the 7-day threshold, announced later
    assert "No notifications yet." in viewer.get("/notifications").get_data(as_text=True)  # viewers get none
    page = editor.get("/notifications").get_data(as_text=True)
    assert page.index("6 days left") < page.index("20 days left")
    monkeypatch.setattr(notifications, "PER_PAGE", 1)
    fragment = editor.get("/notifications?page=2", htmx=True)
    html = fragment.get_data(as_text=True).strip()
    assert fragment.status_code == 200 and html.startswith('<div id="notifications-table">')
    assert "20 days left" in html and "6 days left" not in html and "Page 2 of 2" in html
    bad = editor.get("/notifications?page=zero").get_data(as_text=True)
    assert 'class="flash flash-error"' in bad and "6 days left" in bad


def test_admins_set_the_alert_thresholds_and_recipients(admin, editor):
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert 'value="90, 60, 30, 7"' in page
    refused = admin.post("/admin/settings/alerts", {"thresholds": "90, soon", "recipients": "editors"})
    assert refused.status_code == 422 and "“soon” is not a number of days" in refused.get_data(as_text=True)
    data = {"thresholds": "45 15", "recipients": "list", "addresses": "a@example.org, B@example.org"}
    assert admin.post("/admin/settings/alerts", data).status_code == 303
    chosen = settings.alert_settings()
    assert chosen == settings.AlertSettings((45, 15), "list", ("a@example.org", "b@example.org"))
    assert editor.post("/admin/settings/alerts", data).status_code == 403


def test_admins_set_a_users_address_on_the_accounts_page(admin, make_user):
    clerk = make_user("clerk", "editor")
    response = admin.post(f"/admin/users/{clerk.id}/email", {"email": " Clerk@Example.org "}, htmx=True)
    assert response.status_code == 200 and 'value="clerk@example.org"' in response.get_data(as_text=True)
    refused = admin.post(f"/admin/users/{clerk.id}/email", {"email": "not an address"}, htmx=True)
    assert refused.status_code == 422 and "is not an e-mail address" in refused.headers["HX-Trigger"]
    db.session.expire_all()
    assert db.session.get(User, clerk.id).email == "clerk@example.org"
    assert admin.post(f"/admin/users/{clerk.id}/email", {"email": ""}).status_code == 303
    db.session.expire_all()
    assert db.session.get(User, clerk.id).email is None


def test_the_dashboard_says_when_the_last_digest_ran(today, viewer):
    assert "The alert digest has not run yet." in viewer.get("/").get_data(as_text=True)
    alerts.send(today)
    assert "Last alert digest: " in viewer.get("/").get_data(as_text=True)
