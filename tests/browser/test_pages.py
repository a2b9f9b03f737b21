"""Real-browser checks of what only a browser shows: htmx swaps, keys and focus, toasts, out-of-band updates."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from guarantees.clock import today
from guarantees.extensions import db
from guarantees.models import Guarantee, ImportBatch
from guarantees.services import actions, guarantees
from tests.browser.conftest import wait_for_htmx, wait_until_processed

pytestmark = pytest.mark.browser


def enter(number: str, **fields) -> int:
    data = {
        "guarantee_number": number,
        "raw_supplier_name": "Lana Medical Company",
        "raw_bank_name": "Riyad Bank",
        "amount": "25200",
        "expiry_date": "2026-06-01",
        **fields,
    }
    return guarantees.create(data, user="tester").id


def read(query):
    return db.session.execute(query).all()


def test_sign_in_reaches_the_dashboard(sign_in, in_app, shot):
    start = today()
    for number in range(7):
        in_app(enter, f"DB-{number}", expiry_date=(start + timedelta(days=20 + number * 45)).isoformat())
    later = (start + timedelta(days=400)).isoformat()  # not expired: an expired guarantee is not extended
    in_app(actions.extend, in_app(enter, "DB-X", raw_supplier_name="<b>bold</b>", expiry_date=later), user="clerk")
    page = sign_in("clerk")
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.locator("header.top")).to_contain_text("clerk")
    expect(page.locator(".chart svg rect")).to_have_count(12)
    expect(page.get_by_label("Recent actions").get_by_role("link", name="DB-X")).to_be_visible()
    # its extension letter waits for the bank's answer
    expect(page.get_by_label("Letters awaiting the bank's answer").get_by_role("link", name="DB-X")).to_be_visible()
    expect(page.locator("#recent-title + table")).to_contain_text("<b>bold</b>")  # shown as text, not markup
    shot(page, "dashboard")


def test_offline_the_bundled_htmx_takes_over(offline_page, live_server):
    page = offline_page
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_server.url}/login")
    wait_for_htmx(page)
    assert any(url.endswith("/static/vendor/htmx-2.0.4.min.js") for url in requests)


def test_the_cdn_copy_passes_its_integrity_check_and_no_fallback_loads(served_page, live_server):
    page = served_page
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_server.url}/login")
    wait_for_htmx(page)
    assert any(url.startswith("https://cdn.jsdelivr.net/") for url in requests)
    assert not any(url.endswith("/static/vendor/htmx-2.0.4.min.js") for url in requests)


def test_active_search_swaps_the_table_and_keeps_the_url(sign_in, live_server, in_app, shot):
    in_app(enter, "SRCH-1", raw_supplier_name="مؤسسة لانا الطبية")
    in_app(enter, "OTHER-2", raw_supplier_name="Gulf Supplies")
    page = sign_in("auditor")
    page.goto(f"{live_server.url}/guarantees")
    wait_for_htmx(page)
    expect(page.locator("#results tbody tr")).to_have_count(2)
    page.fill("#q", "لانا")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("SRCH-1")
    expect(page).to_have_url(re.compile(r"/guarantees\?q=%D9%84"))
    page.get_by_role("link", name="Number").click()
    expect(page).to_have_url(re.compile(r"sort=number"))
    expect(page.locator("#results")).to_contain_text("SRCH-1")
    # The next search keeps the sort chosen by the column header.
    page.fill("#q", "")
    expect(page.locator("#results tbody tr")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"/guarantees\?q=&.*sort=number&order=asc$"))
    expect(page.locator("#results tbody tr").first).to_contain_text("OTHER-2")
    shot(page, "search")


def test_inline_edit_enter_saves_and_escape_cancels(sign_in, live_server, in_app, shot):
    guarantee_id = in_app(enter, "EDIT-1", comment="first note")
    page = sign_in("clerk")
    page.goto(f"{live_server.url}/guarantees/{guarantee_id}")
    wait_for_htmx(page)
    comment = page.locator("#field-comment")

    page.get_by_role("link", name="Edit Comment").click()
    field = comment.locator("form[data-inline-edit] input[name=value]")
    expect(field).to_be_focused()
    field.fill("second note")
    field.press("Enter")
    expect(comment.locator("form")).to_have_count(0)
    expect(comment).to_contain_text("second note")
    expect(page.locator("#toasts")).to_contain_text("Comment saved.")
    expect(page.locator("#guarantee-header")).to_contain_text("version 2")
    expect(page.locator("#history .kind-edit")).to_contain_text("second note")
    shot(page, "saved")

    page.get_by_role("link", name="Edit Comment").click()
    field = comment.locator("input[name=value]")
    expect(field).to_be_focused()
    field.fill("never saved")
    field.press("Escape")
    expect(comment.locator("form")).to_have_count(0)
    expect(comment).to_contain_text("second note")

    # Two forms open at once: saving one bumps the version the other holds (out of band), so no false conflict.
    po_field = page.locator("#field-po_number input[name=value]")
    contract_field = page.locator("#field-contract_number input[name=value]")
    page.get_by_role("link", name="Edit PO number").click()
    expect(po_field).to_be_focused()  # swapped in (the rows below have moved) before the next click
    page.get_by_role("link", name="Edit Contract number").click()
    expect(contract_field).to_be_focused()
    po_field.fill("PO-77")
    po_field.press("Enter")
    expect(page.locator("#field-po_number")).to_contain_text("PO-77")
    contract_field.fill("C/99")
    contract_field.press("Enter")
    expect(page.locator("#field-contract_number")).to_contain_text("C/99")
    expect(page.locator("#guarantee-header")).to_contain_text("version 4")
    shot(page, "after-edits")

    saved = in_app(lambda: read(sa.select(Guarantee.comment, Guarantee.po_number, Guarantee.contract_number)))
    assert saved == [("second note", "PO-77", "C/99")]


def test_a_bad_value_is_shown_in_place(sign_in, live_server, in_app):
    guarantee_id = in_app(enter, "EDIT-2")
    page = sign_in("clerk")
    page.goto(f"{live_server.url}/guarantees/{guarantee_id}")
    wait_for_htmx(page)
    page.get_by_role("link", name="Edit Amount").click()
    wait_until_processed(page, "#field-amount form")
    field = page.locator("#field-amount input[name=value]")
    field.fill("twelve")
    field.press("Enter")
    expect(page.locator("#field-amount .error")).to_contain_text("Amount:")
    expect(page.locator("#toasts")).to_contain_text("Amount:")


def test_two_manual_entries_fill_one_daily_batch(sign_in, live_server, in_app, shot):
    page = sign_in("clerk")
    page.goto(f"{live_server.url}/batches/today")
    wait_for_htmx(page)
    expect(page.locator("#todays-batch")).to_contain_text("Nothing entered today yet")
    for number, supplier in (("MAN-1", "Lana Medical Company"), ("man 2", "شركة الخليج")):
        page.fill("#entry-guarantee_number", number)
        page.fill("#entry-raw_supplier_name", supplier)
        page.fill("#entry-raw_bank_name", "Riyad Bank")
        page.fill("#entry-amount", "1,000")
        page.fill("#entry-expiry_date", "2026-06-01")
        page.get_by_role("button", name="Save and enter another").click()
        expect(page.locator("#todays-batch")).to_contain_text(number.upper().replace(" ", ""))
        expect(page.locator("#entry-guarantee_number")).to_have_value("")
    expect(page.locator("#todays-batch .batch-count")).to_have_text("2 entries")
    expect(page.locator("#todays-batch tbody tr")).to_have_count(2)
    expect(page.locator("#toasts")).to_contain_text("Guarantee MAN2 added to today's batch.")
    shot(page, "batch")

    page.fill("#entry-guarantee_number", "MAN-1")
    page.fill("#entry-raw_supplier_name", "Again")
    page.fill("#entry-raw_bank_name", "Again")
    page.fill("#entry-amount", "5")
    page.get_by_role("button", name="Save and enter another").click()
    expect(page.locator("#entry-guarantee_number-error")).to_contain_text("already in the register")
    expect(page.locator("#entry-guarantee_number-error a")).to_have_text("Open that guarantee")

    batches = in_app(lambda: read(sa.select(ImportBatch.batch_type, ImportBatch.total_records)))
    assert batches == [("manual_batch", 2)]


def test_extend_then_release_are_on_the_timeline_and_a_second_release_is_refused(
    sign_in, live_server, in_app, shot, live_before_expiry
):
    guarantee_id = in_app(enter, "ACT-1", expiry_date="2026-06-01")
    page = sign_in("clerk")
    page.goto(f"{live_server.url}/guarantees/{guarantee_id}")
    wait_for_htmx(page)
    expect(page.locator("#new_expiry")).to_have_value("2027-06-01")

    page.get_by_role("button", name="Issue extension").click()
    page.locator("#confirm-extension").get_by_role("button", name="Confirm and issue").click()
    expect(page.locator("#toasts")).to_contain_text("Extension issued.")
    expect(page.locator("#history .kind-action")).to_have_count(1)
    expect(page.locator("#field-expiry_date")).to_contain_text("2027-06-01")

    page.get_by_role("button", name="Issue release").click()
    page.locator("#confirm-release").get_by_role("button", name="Confirm and issue").click()
    expect(page.locator("#toasts")).to_contain_text("Release issued.")
    expect(page.locator("#actions")).to_contain_text("has been released. A release is final")
    expect(page.get_by_role("button", name="Issue release")).to_have_count(0)
    entries = page.locator("#history .kind-action strong")
    expect(entries).to_have_text(["Extension", "Release"])
    shot(page, "timeline")

    page.goto(f"{live_server.url}/guarantees?q=ACT-1")
    wait_for_htmx(page)
    page.get_by_label("Select ACT-1").check()
    page.get_by_role("button", name="Release selected").click()
    expect(page.locator(".flash-error")).to_contain_text("has been released: no further release")
    shot(page, "second-release-refused")


def test_a_long_timeline_opens_on_its_newest_entries_and_loads_the_earlier_ones(
    sign_in, live_server, in_app, monkeypatch
):
    from guarantees.web import guarantees as pages

    monkeypatch.setattr(pages, "TIMELINE_SHOWN", 3)
    guarantee_id = in_app(enter, "LONG-1")
    for step in range(5):
        in_app(guarantees.update, guarantee_id, {"comment": f"note {step}"}, expected_version=1 + step, user="clerk")
    page = sign_in("auditor")
    page.goto(f"{live_server.url}/guarantees/{guarantee_id}")
    wait_for_htmx(page)
    entries, notes = page.locator("#history ol.timeline > li"), page.locator("#history .kind-edit ins")
    expect(entries).to_have_count(3)
    expect(notes).to_have_text(["note 2", "note 3", "note 4"])
    page.get_by_role("link", name="Show the 3 earlier entries").click()
    expect(entries).to_have_count(6)
    expect(notes).to_have_text([f"note {step}" for step in range(5)])
    expect(page.locator("#history .kind-import")).to_have_count(1)
    expect(page.locator("#history")).not_to_contain_text("earlier entr")
