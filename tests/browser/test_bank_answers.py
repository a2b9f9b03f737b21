"""Real-browser checks: confirming an extension with the expiry the bank granted instead of the one asked, and a
void prepared by one editor and issued by another, each signed in in a browser of their own."""

from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from guarantees.extensions import db
from guarantees.models import Guarantee, GuaranteeAction, User
from guarantees.services import actions, guarantees
from tests.browser.conftest import CDN, wait_for_htmx, wait_until_processed

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("live_before_expiry", "issue_clock")]


def entered(number: str, action: str) -> tuple[int, int]:
    """A guarantee (expiry 2026-06-01) with one issued action: (guarantee id, action id)."""
    data = {
        "guarantee_number": number,
        "raw_supplier_name": "Lana Medical Company",
        "raw_bank_name": "Riyad Bank",
        "amount": "25200",
        "expiry_date": "2026-06-01",
    }
    guarantee_id = guarantees.create(data, user="tester").id
    issued = (
        actions.extend(guarantee_id, user="clerk")
        if action == "extension"
        else actions.release(guarantee_id, user="clerk")
    )
    return guarantee_id, issued.id


def second_editor() -> None:
    user = User(username="checker", role="editor", active=True)
    user.set_password("pw-checker")
    db.session.add(user)
    db.session.commit()


def open_guarantee(page, live_server, guarantee_id: int) -> None:
    page.goto(f"{live_server.url}/guarantees/{guarantee_id}")
    wait_for_htmx(page)
    wait_until_processed(page, "#bank-letters form")


def test_confirming_an_extension_with_another_date(sign_in, live_server, in_app, shot):
    guarantee_id, action_id = in_app(entered, "WB-1", "extension")
    page = sign_in("clerk")
    open_guarantee(page, live_server, guarantee_id)
    letter = page.locator(f"[data-letter='{action_id}']")
    expect(letter).to_contain_text("waiting for the bank since 0 days")
    letter.get_by_text("Record the bank's answer").click()
    page.fill(f"#answer-date-{action_id}", "2026-01-15")
    page.fill(f"#bank-reference-{action_id}", "RB/TF/2026/118")
    granted = page.locator(f"#granted-expiry-{action_id}")
    expect(granted).to_have_value("2027-06-01")  # the date asked, by default
    granted.fill("2027-03-31")
    page.click(f"#record-answer-{action_id}")
    expect(page.locator(".flashes")).to_contain_text("The bank's answer was recorded.")
    answer = page.locator(f"[data-letter='{action_id}'] .answer")
    expect(answer).to_contain_text("confirmed by the bank")
    expect(answer).to_contain_text("RB/TF/2026/118")
    expect(answer).to_contain_text("not the date asked")
    expect(page.locator("#history .kind-answer")).to_contain_text("The bank's answer")
    shot(page, "answer-granted-another-date")
    assert in_app(lambda: db.session.get(Guarantee, guarantee_id).expiry_date) == date(2027, 3, 31)


def test_voiding_with_a_second_editor(sign_in, live_server, in_app, browser, shot):
    guarantee_id, release_id = in_app(entered, "WB-2", "release")
    in_app(second_editor)
    page = sign_in("clerk")
    open_guarantee(page, live_server, guarantee_id)
    letter = page.locator(f"[data-letter='{release_id}']")
    letter.get_by_text("Void this release").click()
    page.fill(f"#void-reason-{release_id}", "Sent in error: the project is not finished")
    page.click(f"#prepare-void-{release_id}")
    expect(page.locator(".flashes")).to_contain_text("another editor or administrator must issue it")
    expect(page.locator(".pending-void")).to_contain_text("You prepared this void")
    expect(page.locator(".pending-void button", has_text="Issue the void")).to_have_count(0)

    # the second editor, in a browser of their own
    context = browser.new_context()
    other = context.new_page()
    other.route(CDN, lambda route: route.abort())
    other.set_default_timeout(10_000)
    other.goto(f"{live_server.url}/login")
    other.fill("#username", "checker")
    other.fill("#password", "pw-checker")
    other.click("button[type=submit]")
    other.wait_for_url(f"{live_server.url}/")
    open_guarantee(other, live_server, guarantee_id)
    other.on("dialog", lambda dialog: dialog.accept())  # "Issue this void? ... cannot be undone."
    other.locator(".pending-void button", has_text="Issue the void").click()
    expect(other.locator(".flashes")).to_contain_text("The void was issued")
    voided = other.locator(f"[data-letter='{release_id}']")
    expect(voided.locator("del")).to_contain_text("Release")
    expect(voided).to_contain_text("Sent in error: the project is not finished")
    expect(other.locator("#history strong del")).to_have_text("Release")  # the timeline strikes it through too
    shot(other, "voided-release")
    context.close()

    status = in_app(lambda: db.session.get(Guarantee, guarantee_id).status)
    void = in_app(
        lambda: db.session.scalar(
            sa.select(GuaranteeAction.issued_by).where(GuaranteeAction.voids_action_id == release_id)
        )
    )
    assert (status, void) == ("active", "checker")
