"""The dashboard: totals, expiries, review, today's batch, recent actions and the expiry chart."""

import re
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from guarantees.clock import today
from guarantees.extensions import db
from guarantees.repositories import dashboard
from guarantees.services import actions

SCRIPT = "<script>alert(1)</script>"


def in_days(days: int) -> str:
    return (today() + timedelta(days=days)).isoformat()


def test_empty_register(viewer):
    response = viewer.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert "The register is empty." in html and "Nothing entered by hand today." in html and "<svg" in html


def test_totals_expiries_review_and_links(viewer, make_guarantee):
    make_guarantee("D-1", expiry_date=in_days(10), amount="100")
    make_guarantee("D-2", expiry_date=in_days(45), amount="200")
    make_guarantee("D-3", expiry_date=in_days(80), amount="300")
    make_guarantee("D-4", expiry_date=in_days(-5), amount="400")
    released = make_guarantee("D-5", expiry_date=in_days(20), amount="500")
    actions.release(released.id, user="tester")
    assert dashboard.attention_counts(30) == {
        "expiring": {30: 1, 60: 2, 90: 3},
        "expired": 1,
        "to_extend": 1,
        "needs_review": 5,
    }
    html = viewer.get("/").get_data(as_text=True)
    assert 'href="/guarantees?status=active&amp;days=30"' in html
    assert 'href="/guarantees?match=needs_review"' in html and "5 guarantees whose supplier or bank" in html
    totals = {total.status: (total.count, total.amounts) for total in dashboard.status_totals()}
    assert totals == {
        "active": (3, {"SAR": Decimal("600.00")}),
        "expired": (1, {"SAR": Decimal("400.00")}),
        "released": (1, {"SAR": Decimal("500.00")}),
    }
    assert re.search(
        r'badge-active">active</span></a></td>\s*<td class="num"><a href="/guarantees\?status=active">3</a>', html
    )
    assert 'href="/guarantees?status=expired"' in html and "badge-expired" in html
    assert "600.00 SAR" in html and "400.00 SAR" in html and "500.00 SAR" in html
    assert 'href="/batches/today"' in html and "5 entries today" in html


def test_recent_actions_link_to_the_guarantee_and_escape_names(viewer, make_guarantee):
    guarantee = make_guarantee("RA-1", raw_supplier_name=SCRIPT, expiry_date=in_days(30))
    actions.extend(guarantee.id, user="clerk")
    html = viewer.get("/").get_data(as_text=True)
    assert f'href="/guarantees/{guarantee.id}">RA-1</a>' in html
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_only_the_last_ten_actions_are_listed(make_guarantee):
    for number in range(12):
        actions.extend(make_guarantee(f"TEN-{number}", expiry_date=in_days(30)).id, user="clerk")
    recent = dashboard.recent_actions()
    assert len(recent) == 10 and recent[0].guarantee_number == "TEN-11"


def test_expiry_chart_counts_active_guarantees_per_month(viewer, make_guarantee):
    first = today().replace(day=1)
    make_guarantee("CH-1", expiry_date=first.isoformat())
    make_guarantee("CH-2", expiry_date=first.isoformat())
    make_guarantee("CH-3", expiry_date=(first + timedelta(days=40)).isoformat())
    make_guarantee("CH-4", expiry_date=(first + timedelta(days=400)).isoformat())
    months = dashboard.expiry_by_month()
    assert len(months) == 12 and months[0]["start"] == first
    assert months[0]["count"] == 2 and sum(month["count"] for month in months) == 3
    html = viewer.get("/").get_data(as_text=True)
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert svg.count("<rect") == 12 and "<script" not in svg and 'role="img"' in svg


def test_dashboard_takes_few_queries_whatever_the_size(viewer, make_guarantee):
    counts = []
    for batch in range(2):
        for number in range(1 + batch * 8):
            actions.extend(make_guarantee(f"QD-{batch}-{number}", expiry_date=in_days(30)).id, user="clerk")
        db.session.expire_all()
        seen = {"n": 0}

        def listener(*_args, seen=seen):
            seen["n"] += 1

        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert viewer.get("/").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        counts.append(seen["n"])
    # the user, the totals (2), the attention counts, the two worklists, today's batch, the recent actions, the
    # chart, the last digest, the alert thresholds (and BEGIN on SQLite)
    assert counts[0] == counts[1] <= 13


def test_dashboard_varies_on_hx_request(viewer):
    response = viewer.get("/", htmx=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]


def test_anonymous_goes_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unexpected_parameters_are_ignored(viewer):
    assert viewer.get("/?page=99999999999999999999&q=%00").status_code == 200


def test_worklists_most_urgent_first_each_a_link_to_its_list(viewer, editor, make_guarantee):
    make_guarantee("W-60", expiry_date=in_days(60))
    make_guarantee("W-5", expiry_date=in_days(5))
    make_guarantee("W-FAR", expiry_date=in_days(200))
    prepared = make_guarantee("W-PREP", expiry_date=in_days(3))
    actions.start_session([prepared.id], "extension", user="clerk")  # a draft extension: prepared, not to do
    make_guarantee("W-OLD", expiry_date=in_days(-40))
    make_guarantee("W-NEW", expiry_date=in_days(-1))
    assert [g.guarantee_number for g in dashboard.to_extend(90)] == ["W-5", "W-60"]
    assert [g.guarantee_number for g in dashboard.expired_not_released()] == ["W-OLD", "W-NEW"]
    assert dashboard.attention_counts(90)["to_extend"] == 2

    html = viewer.get("/").get_data(as_text=True)
    to_extend = html[html.index('id="to-extend"') : html.index('id="expired"')]
    assert 'href="/guarantees?days=90&amp;todo=extend"' in to_extend
    assert to_extend.index("W-5") < to_extend.index("W-60") and "W-PREP" not in to_extend and "W-FAR" not in to_extend
    listed = viewer.get("/guarantees?days=90&todo=extend", htmx=True).get_data(as_text=True)
    assert "W-5" in listed and "W-60" in listed and "W-PREP" not in listed and "W-FAR" not in listed
    expired = html[html.index('id="expired"') : html.index('id="awaiting-bank"')]
    assert expired.index("W-OLD") < expired.index("W-NEW") and 'href="/guarantees?status=expired"' in expired
