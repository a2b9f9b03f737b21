"""Real-browser checks of the import flow, the action session page's inline swaps, and the printed letters."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from guarantees.extensions import db
from guarantees.models import GuaranteeAction, ImportBatch, LetterPrint
from guarantees.services import actions, guarantees
from tests.browser.conftest import add_riyad_bank, wait_for_htmx
from tests.conftest import shared_fixture

# The guarantees these tests extend expire on 2026-06-01: the live server's day is fixed before that.
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("live_before_expiry")]
A4_WIDTH_PX = 210 / 25.4 * 96  # CSS pixels at 96 per inch
A4_HEIGHT_PX = 297 / 25.4 * 96


def enter(number: str, **fields) -> int:
    data = {
        "guarantee_number": number,
        "raw_supplier_name": "Lana Medical Company",
        "raw_bank_name": "Riyad Bank",
        "amount": "25200",
        "expiry_date": "2026-06-01",
        "contract_number": "C/0016/40",
        "type": "FINAL",
        **fields,
    }
    return guarantees.create(data, user="tester").id


def drafts(*numbers: str, user: str = "clerk") -> int:
    """A session of draft extensions for new guarantees; its id."""
    return actions.start_session([enter(number) for number in numbers], "extension", user=user).id


def issued(*numbers: str) -> int:
    session_id = drafts(*numbers, user="someone")
    actions.issue_session(session_id, user="chief")
    return session_id


def test_import_a_real_workbook_through_the_ui(sign_in, live_server, in_app, shot):
    workbook = shared_fixture("xlsx", "Approved-BG.xlsx")
    page = sign_in("clerk")
    page.get_by_role("link", name="Import").click()
    expect(page.locator("#upload-limits")).to_contain_text("MB")
    page.set_input_files("#file", str(workbook))
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url(re.compile(r"/imports/[0-9a-f]{32}$"))
    wait_for_htmx(page)
    expect(page.locator("h1")).to_contain_text("Approved-BG.xlsx")
    expect(page.locator("#map-guarantee_number")).to_have_value(re.compile(r"GUARANTEE", re.IGNORECASE))
    rows = page.locator("#preview-rows tbody tr")
    expect(rows.first).to_be_visible()
    shot(page, "preview")

    # The filter swaps only the table (htmx) and keeps the address.
    page.locator("#preview-rows").get_by_role("link", name=re.compile(r"^Errors")).click()
    expect(page).to_have_url(re.compile(r"outcome=error"))
    expect(page.locator("#preview-rows")).to_contain_text("No rows to show here.")
    page.locator("#preview-rows").get_by_role("link", name=re.compile(r"^New")).click()
    expect(page.locator("#preview-rows tbody tr").first).to_contain_text("New")
    expect(page.locator("#mapping")).to_be_visible()

    page.locator("#confirm").get_by_role("button", name=re.compile(r"^Import \d+ rows")).click()
    page.wait_for_url(re.compile(r"/batches/\d+$"))
    expect(page.locator(".flashes")).to_contain_text("Imported Approved-BG.xlsx")
    expect(page.locator("#batch-rows")).to_contain_text("OG/CC056181")
    shot(page, "batch")
    batches = in_app(lambda: db.session.scalars(sa.select(ImportBatch)).all())
    assert [(b.batch_type, b.filename, b.created_by) for b in batches] == [
        ("excel_import", "Approved-BG.xlsx", "clerk")
    ]
    assert page.url.endswith(f"/batches/{batches[0].id}")


def test_a_bad_file_is_refused_on_the_upload_page(sign_in, live_server, tmp_path):
    bad = tmp_path / "list.xlsx"
    bad.write_text("number,amount\nX1,10\n", encoding="utf-8")
    page = sign_in("clerk")
    page.goto(f"{live_server.url}/imports/new")
    page.set_input_files("#file", str(bad))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.locator("#upload-error")).to_contain_text("not an Excel workbook")
    expect(page.locator("#file")).to_be_visible()


def test_session_page_swaps_rows_and_counts_in_place(sign_in, live_server, in_app, shot):
    session_id = in_app(drafts, "BR-1", "BR-2")
    page = sign_in("clerk")
    page.goto(f"{live_server.url}/actions/{session_id}")
    wait_for_htmx(page)
    first, second = in_app(lambda: db.session.scalars(sa.select(GuaranteeAction.id).order_by(GuaranteeAction.id)).all())
    row = page.locator(f"#action-{first}")

    # A refused date comes back into the row (422), with the reason.
    row.locator("input[name=new_expiry]").fill("2026-05-01")
    row.get_by_role("button", name="Change").click()
    expect(page.locator(f"#action-{first} .error")).to_contain_text("moves the expiry forward")
    expect(page.locator(f"#action-{first} input[name=new_expiry]")).to_have_attribute("aria-invalid", "true")

    page.locator(f"#action-{first} input[name=new_expiry]").fill("2027-12-31")
    page.locator(f"#action-{first}").get_by_role("button", name="Change").click()
    expect(page.locator(f"#action-{first} .error")).to_have_count(0)
    expect(page.locator("#toasts")).to_contain_text("2027-12-31")

    # Removing a draft takes its row away and updates the counts out of band.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f"#action-{second}").get_by_role("button", name="Remove").click()
    expect(page.locator(f"#action-{second}")).to_have_count(0)
    expect(page.locator('#session-summary [data-count="drafts"]')).to_have_text("1")
    expect(page.locator("#session-summary")).to_contain_text("Issue all (1)")
    shot(page, "session")
    dates = in_app(lambda: [a.new_expiry_date.isoformat() for a in db.session.scalars(sa.select(GuaranteeAction))])
    assert dates == ["2027-12-31"]


def test_arabic_letter_layout(sign_in, live_server, in_app, shot):
    in_app(add_riyad_bank)
    session_id = in_app(issued, "JLG6900350", "JLG6900351")
    page = sign_in("auditor")
    page.add_init_script("window.print = function () { window.__printed = (window.__printed || 0) + 1; };")
    page.goto(f"{live_server.url}/actions/{session_id}")
    page.get_by_role("link", name="Print all letters", exact=True).click()
    page.wait_for_url(re.compile(rf"/letters/sessions/{session_id}$"))

    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    letters = page.locator("article.letter")
    expect(letters).to_have_count(2)
    first = letters.first
    for text in ("المحترمين", "بنك الرياض", "مركز تمويل التجارة", "طلب تمديد الضمان البنكي رقم", "JLG6900350",
                 "العائد للعقد رقم", "2027-06-01", "ضمان نهائي", "25,200.00", "ريال سعودي"):  # fmt: skip
        expect(first).to_contain_text(text)

    # An A4 sheet on screen, right to left: the bank's name starts on the right, the honorific sits on the left.
    box = first.bounding_box()
    assert abs(box["width"] - A4_WIDTH_PX) < 2 and box["height"] >= A4_HEIGHT_PX - 2
    assert first.evaluate("el => getComputedStyle(el).direction") == "rtl"
    bank = first.locator(".to strong").bounding_box()
    honorific = first.locator(".honorific").bounding_box()
    assert honorific["x"] + honorific["width"] <= bank["x"]
    assert bank["x"] + bank["width"] > box["x"] + box["width"] * 0.6
    assert first.evaluate("el => getComputedStyle(el).breakAfter") == "page"
    shot(page, "letters")

    # Paper: one A4 page per letter.
    pdf = page.pdf(prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 2
    assert re.search(rb"/MediaBox\s*\[0 0 59[45]\.\d+ 841\.\d+\]", pdf)

    # Viewing the letters recorded nothing; printing them to PDF did (printing from the browser's menu counts).
    page.get_by_role("button", name="Print").click()
    page.wait_for_function("() => window.__printed === 1")  # the dialog opens once the print is recorded
    expect(page.locator("#print-refused")).to_be_hidden()

    def logged():
        return [(p.printed_by, p.language, len(p.action_ids)) for p in db.session.scalars(sa.select(LetterPrint))]

    for _ in range(100):
        if len(in_app(logged)) == 2:
            break
        page.wait_for_timeout(50)
    assert in_app(logged) == [("auditor", "ar", 2)] * 2
