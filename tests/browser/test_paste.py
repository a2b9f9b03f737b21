"""Real-browser paste entry: rows of a real workbook pasted from the clipboard into today's page, previewed on the
import preview page and confirmed into the day's pasted-rows batch; a refusal shown in the box, in Arabic."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from guarantees.extensions import db
from guarantees.models import Guarantee, ImportBatch
from tests.browser.conftest import wait_for_htmx, wait_until_processed
from tests.conftest import shared_fixture
from tests.importer.test_paste import clipboard_text

pytestmark = pytest.mark.browser


def test_paste_real_rows_preview_and_confirm(sign_in, live_server, in_app, shot):
    text = clipboard_text(shared_fixture("xlsx", "Approved-BG.xlsx"), rows=5)
    page = sign_in("clerk")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(f"{live_server.url}/batches/today")
    wait_until_processed(page, "#paste-form")
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    box = page.locator("#paste-rows")
    box.focus()
    page.keyboard.press("Control+V")
    expect(box).to_have_value(text.replace("\r\n", "\n"))  # a textarea keeps its line ends as LF
    page.get_by_role("button", name="Preview the pasted rows").click()
    page.wait_for_url(re.compile(r"/imports/[0-9a-f]{32}$"))
    wait_for_htmx(page)
    expect(page.locator("h1")).to_have_text("Preview of pasted rows")
    expect(page.locator("#map-guarantee_number")).to_have_value(re.compile("GUARANTEE", re.IGNORECASE))
    expect(page.locator("#preview-rows tbody tr")).to_have_count(5)
    expect(page.locator("#preview-rows")).to_contain_text("MD2227800026")
    shot(page, "preview")
    page.get_by_role("button", name="Add 5 rows to today's batch").click()
    page.wait_for_url(f"{live_server.url}/batches/today")
    expect(page.locator("#paste-batch")).to_contain_text("5 rows pasted today")

    def stored():
        batch = db.session.scalar(sa.select(ImportBatch))
        numbers = db.session.scalars(sa.select(Guarantee.guarantee_number).order_by(Guarantee.id)).all()
        return batch.batch_type, batch.total_records, numbers

    kind, total, numbers = in_app(stored)
    assert (kind, total, len(numbers)) == ("text_paste", 5, 5) and "MD2227800026" in numbers


def test_a_paste_that_cannot_be_read_says_why_in_the_box_in_arabic(sign_in, live_server):
    page = sign_in("clerk")
    page.goto(f"{live_server.url}/batches/today?lang=ar")
    wait_until_processed(page, "#paste-form")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.fill("#paste-rows", "JLG1\nJLG2\n")
    page.get_by_role("button", name="معاينة الصفوف المُلصقة").click()
    expect(page.locator("#paste-error")).to_contain_text("عمود واحد")
    expect(page.locator("#paste-rows")).to_have_value("JLG1\nJLG2\n")
    assert re.search(r"/batches/today", page.url)
