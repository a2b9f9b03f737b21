"""Printing is a POST, in a real browser: opening or reloading a letter page records nothing; the Print button
records one print (with the CSRF token) and only then opens the print dialog; a refused record prints nothing;
printing from the browser's menu records once; a draft preview prints without a record."""

import time

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from guarantees.extensions import db
from guarantees.models import LetterPrint
from guarantees.services import actions, guarantees
from tests.browser.conftest import add_riyad_bank

pytestmark = pytest.mark.browser
COUNT_PRINTS = """() => {
  window.__printed = 0;
  window.print = function () { window.__printed += 1; };
}"""


def session_of(*numbers: str, issue: bool = True) -> int:
    """An action session extending new guarantees (expiring far ahead), issued unless issue=False; its id."""
    ids = [
        guarantees.create(
            {
                "guarantee_number": number,
                "raw_supplier_name": "Lana Medical Company",
                "raw_bank_name": "Riyad Bank",
                "amount": "25200",
                "expiry_date": "2035-06-01",
            },
            user="tester",
        ).id
        for number in numbers
    ]
    session = actions.start_session(ids, "extension", user="someone")
    if issue:
        actions.issue_session(session.id, user="chief")
    return session.id


def recorded() -> list[tuple]:
    return [
        (p.printed_by, p.language, len(p.action_ids), p.action_session_id)
        for p in db.session.scalars(sa.select(LetterPrint).order_by(LetterPrint.id))
    ]


def wait_for(check, seconds: float = 10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_viewing_records_nothing_and_each_button_print_records_once(sign_in, live_server, in_app):
    in_app(add_riyad_bank)
    session_id = in_app(session_of, "PR-1", "PR-2")
    page = sign_in("auditor")
    page.add_init_script(f"({COUNT_PRINTS})()")
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.goto(f"{live_server.url}/letters/sessions/{session_id}")
    page.reload()
    page.goto(f"{live_server.url}/letters/sessions/{session_id}?lang=en")
    expect(page.locator("article.letter")).to_have_count(2)
    assert in_app(recorded) == [] and posts == []

    page.get_by_role("button", name="Print").click()
    page.wait_for_function("() => window.__printed === 1")
    assert in_app(recorded) == [("auditor", "en", 2, session_id)]  # recorded before the dialog opened
    assert posts == [f"{live_server.url}/letters/sessions/{session_id}/prints"]

    page.get_by_role("button", name="Print").click()
    page.wait_for_function("() => window.__printed === 2")
    assert len(in_app(recorded)) == 2

    # The browser's own menu (or Ctrl+P): beforeprint records it, once.
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    wait_for(lambda: len(in_app(recorded)) == 3)
    time.sleep(0.3)
    assert len(in_app(recorded)) == 3 and page.evaluate("window.__printed") == 2
    expect(page.locator("#print-refused")).to_be_hidden()


def test_a_refused_record_prints_nothing_and_says_so(sign_in, live_server, in_app):
    session_id = in_app(session_of, "PR-3")
    page = sign_in("clerk")
    page.add_init_script(f"({COUNT_PRINTS})()")
    page.goto(f"{live_server.url}/letters/sessions/{session_id}")
    page.route("**/prints", lambda route: route.fulfill(status=503, body="down"))
    page.get_by_role("button", name="Print").click()
    expect(page.locator("#print-refused")).to_be_visible()
    expect(page.locator("#print-refused")).to_contain_text("nothing was printed")
    assert page.evaluate("window.__printed") == 0 and in_app(recorded) == []
    expect(page.get_by_role("button", name="Print")).to_be_enabled()

    page.unroute("**/prints")  # the server answers again: the next click records and prints
    page.get_by_role("button", name="Print").click()
    page.wait_for_function("() => window.__printed === 1")
    expect(page.locator("#print-refused")).to_be_hidden()
    assert in_app(recorded) == [("clerk", "ar", 1, session_id)]


def test_a_draft_preview_prints_without_a_record(sign_in, live_server, in_app):
    session_id = in_app(session_of, "PR-4", issue=False)
    page = sign_in("clerk")
    page.add_init_script(f"({COUNT_PRINTS})()")
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.goto(f"{live_server.url}/letters/sessions/{session_id}")
    expect(page.locator("article.letter.draft")).to_have_count(1)
    page.get_by_role("button", name="Print").click()
    page.wait_for_function("() => window.__printed === 1")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    time.sleep(0.3)
    assert posts == [] and in_app(recorded) == []


def test_the_real_print_dialog_records_once(sign_in, live_server, in_app):
    """Without a stand-in for window.print: the button's own beforeprint is not counted a second time."""
    session_id = in_app(session_of, "PR-5")
    page = sign_in("clerk")
    page.goto(f"{live_server.url}/letters/sessions/{session_id}")
    page.get_by_role("button", name="Print").click()
    wait_for(lambda: in_app(recorded))
    expect(page.get_by_role("button", name="Print")).to_be_enabled()
    time.sleep(0.5)
    assert in_app(recorded) == [("clerk", "ar", 1, session_id)]
