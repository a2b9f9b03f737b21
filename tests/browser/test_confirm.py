"""Real-browser checks of the confirmation before an issue, driven by the keyboard alone: the fragment takes the
focus, Escape and Cancel give it back to the button that asked, Enter confirms."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from guarantees.extensions import db
from guarantees.models import ActionSession, Guarantee, GuaranteeAction
from guarantees.services import actions, guarantees
from tests.browser.conftest import add_riyad_bank, wait_for_htmx, wait_until_processed

# The guarantees here expire on 2026-06-01: the live server's day is fixed before that.
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("live_before_expiry")]


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


def prepared_session() -> int:
    add_riyad_bank()
    ids = [enter("KB-1"), enter("KB-2", amount="1000", raw_bank_name="Alinma Bank")]
    return actions.start_session(ids, "extension", user="preparer").id


def test_issue_all_is_confirmed_with_the_keyboard(sign_in, live_server, in_app, shot):
    session_id = in_app(prepared_session)
    page = sign_in("clerk")
    page.goto(f"{live_server.url}/actions/{session_id}")
    wait_for_htmx(page)
    wait_until_processed(page, f"form[hx-post='/actions/{session_id}/issue']")
    issue_all = page.locator("#issue-all")
    issue_all.focus()
    page.keyboard.press("Enter")

    box = page.locator("#confirm-session [data-confirm]")
    expect(box).to_be_visible()
    expect(box).to_contain_text("Issue all 2 letters of this session?")
    expect(box).to_contain_text("2 letters will be sent to the banks")
    expect(box.locator("[data-confirm-part=banks]")).to_contain_text("Alinma Bank · 1 letter")
    expect(box.locator("[data-confirm-part=banks]")).to_contain_text("Riyad Bank · 1 letter")
    expect(box.locator("[data-confirm-part=totals]")).to_contain_text("26,200.00 SAR")
    expect(box.locator("[data-warning=no-address]")).to_contain_text("Alinma Bank")
    confirm = box.get_by_role("button", name="Confirm and issue")
    expect(confirm).to_be_focused()
    shot(page, "confirm-issue-all")

    # Escape takes the confirmation away and gives the focus back to "Issue all"; nothing was sent.
    page.keyboard.press("Escape")
    expect(page.locator("#confirm-session [data-confirm]")).to_have_count(0)
    expect(issue_all).to_be_focused()
    assert in_app(lambda: db.session.get(ActionSession, session_id).is_locked) is False

    page.keyboard.press("Enter")
    expect(confirm).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/actions/{session_id}")
    expect(page.locator(".flashes")).to_contain_text("2 actions issued")
    expect(page.get_by_role("link", name="Print all letters", exact=True)).to_be_visible()
    statuses = in_app(lambda: db.session.scalars(sa.select(GuaranteeAction.action_status)).all())
    assert statuses == ["issued", "issued"]


def test_a_release_is_confirmed_with_the_keyboard_and_cancel_returns(sign_in, live_server, in_app, shot):
    guarantee_id = in_app(enter, "KB-REL")
    page = sign_in("clerk")
    page.goto(f"{live_server.url}/guarantees/{guarantee_id}")
    wait_for_htmx(page)
    wait_until_processed(page, f"form[hx-post='/guarantees/{guarantee_id}/release']")
    page.locator("#release-notes").focus()
    page.keyboard.type("contract closed")
    page.keyboard.press("Tab")
    release = page.locator("#issue-release")
    expect(release).to_be_focused()
    page.keyboard.press("Enter")

    box = page.locator("#confirm-release [data-confirm]")
    expect(box).to_contain_text("Issue this release letter? A release is final.")
    expect(box).to_contain_text("1 letter will be sent to the bank")
    expect(box).to_contain_text("KB-REL")
    expect(box.locator("[data-confirm-part=totals]")).to_contain_text("25,200.00 SAR")
    expect(box.get_by_role("button", name="Confirm and issue")).to_be_focused()
    shot(page, "confirm-release")

    # Tab to Cancel, Enter: the confirmation goes, the focus returns to the release button, nothing was sent.
    page.keyboard.press("Tab")
    expect(box.get_by_role("link", name="Cancel")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#confirm-release [data-confirm]")).to_have_count(0)
    expect(release).to_be_focused()
    assert in_app(lambda: db.session.get(Guarantee, guarantee_id).status) == "active"

    page.keyboard.press("Enter")
    expect(box.get_by_role("button", name="Confirm and issue")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#toasts")).to_contain_text("Release issued.")
    expect(page.locator("#actions")).to_contain_text("has been released. A release is final")
    assert in_app(lambda: db.session.get(Guarantee, guarantee_id).status) == "released"
    notes = in_app(lambda: db.session.scalars(sa.select(GuaranteeAction.notes)).all())
    assert notes == ["contract closed"]
