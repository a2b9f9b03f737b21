"""Real-browser checks of notes and attachments: a note added inline (no reload), a PDF uploaded and previewed in
the page, an image previewed, and a refused file's message shown in place."""

import pytest
from playwright.sync_api import expect

from guarantees.services import guarantees
from tests.browser.conftest import wait_for_htmx, wait_until_processed
from tests.sample_files import exe_bytes, pdf_bytes, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("live_before_expiry")]


@pytest.fixture(autouse=True)
def store(live_server, tmp_path):
    live_server.app.config["ATTACHMENTS_DIR"] = str(tmp_path / "attachments")


def enter(number: str) -> int:
    data = {
        "guarantee_number": number,
        "raw_supplier_name": "Lana Medical Company",
        "raw_bank_name": "Riyad Bank",
        "amount": "25200",
        "expiry_date": "2026-06-01",
    }
    return guarantees.create(data, user="tester").id


def open_guarantee(sign_in, live_server, gid: int):
    page = sign_in("clerk")
    page.goto(f"{live_server.url}/guarantees/{gid}")
    wait_for_htmx(page)
    page.evaluate("window.samePage = true")  # gone if the page reloads
    return page


def test_a_note_is_added_inline(sign_in, live_server, in_app, shot):
    gid = in_app(enter, "BN-1")
    page = open_guarantee(sign_in, live_server, gid)
    wait_until_processed(page, "#notes form")
    page.fill("#note-body", "اتصلنا بالبنك\nThe bank will answer on Sunday")
    page.click("#add-note")
    thread = page.locator("#notes .notes-thread li")
    expect(thread).to_have_count(1)
    expect(thread.first).to_contain_text("The bank will answer on Sunday")
    expect(thread.first).to_contain_text("clerk")
    expect(page.locator("#note-body")).to_have_value("")
    assert page.evaluate("window.samePage") is True
    wait_until_processed(page, "#notes form")
    page.click("#add-note")  # empty: the browser's own check keeps it from being sent
    expect(thread).to_have_count(1)
    shot(page, "note")


def test_a_pdf_is_uploaded_and_previewed_in_the_page(sign_in, live_server, in_app, shot):
    gid = in_app(enter, "BN-2")
    page = open_guarantee(sign_in, live_server, gid)
    wait_until_processed(page, "#attachments form")
    page.set_input_files(
        "#attachment-file", {"name": "خطاب البنك.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}
    )
    page.click("#upload-attachment")
    item = page.locator("#attachments .attachment").first
    expect(item).to_contain_text("خطاب البنك.pdf")
    expect(item).to_contain_text("clerk")
    assert page.evaluate("window.samePage") is True
    with page.expect_response(lambda r: r.url.endswith("/preview")) as previewed:
        item.locator("summary", has_text="Preview").click()
    answer = previewed.value
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith("inline;")
    frame = item.locator("iframe")
    expect(frame).to_be_visible()
    inner = frame.element_handle().content_frame()
    # A frame the policies refused would hold Chromium's error page instead (chrome-error://, text/html).
    assert inner.url.endswith("/preview")
    assert inner.evaluate("() => document.contentType") == "application/pdf"
    shot(page, "pdf-preview")


def test_an_image_is_previewed_and_a_program_refused_in_place(sign_in, live_server, in_app, shot):
    gid = in_app(enter, "BN-3")
    page = open_guarantee(sign_in, live_server, gid)
    wait_until_processed(page, "#attachments form")
    page.set_input_files("#attachment-file", {"name": "scan.png", "mimeType": "image/png", "buffer": png_bytes(40, 30)})
    page.click("#upload-attachment")
    item = page.locator("#attachments .attachment").first
    expect(item).to_contain_text("scan.png")
    item.locator("summary", has_text="Preview").click()
    image = item.locator("img")
    expect(image).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth === 40", arg=image.element_handle())
    wait_until_processed(page, "#attachments form")
    page.set_input_files(
        "#attachment-file", {"name": "invoice.pdf", "mimeType": "application/pdf", "buffer": exe_bytes()}
    )
    page.click("#upload-attachment")
    expect(page.locator("#attachments [role=alert]")).to_contain_text("is a program, not a document")
    expect(page.locator("#attachments .attachment")).to_have_count(1)
    shot(page, "refused")
