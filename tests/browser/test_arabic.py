"""The main pages in Arabic, in a real browser: right-to-left, no interface text left in English, a screenshot each.

Screenshots go to test-artifacts/screenshots/ar-<page>.png (kept by CI as artifacts), with two English ones to
compare. A Latin word on an Arabic page counts as untranslated unless it is data: a word of any text value in the
database (supplier and bank names, numbers, user names ...), of the uploaded workbook, or a code (SAR, PDF ...).
"""

import html as htmllib
import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from guarantees.clock import today
from guarantees.extensions import db
from guarantees.models import Guarantee, User
from guarantees.services import actions, guarantees
from tests.browser.conftest import ARTIFACTS, add_riyad_bank, wait_for_htmx
from tests.conftest import build_xlsx

pytestmark = pytest.mark.browser
SCREENSHOTS = ARTIFACTS / "screenshots"
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]{2,}")
CODES = {"sar", "usd", "eur", "gbp", "pdf", "xlsx", "xls", "csv", "htmx", "english", "iban", "swift", "id"}
WORKBOOK_NAME = "ضمانات للتمديد يناير 2026.xlsx"


def enter(number: str, **fields) -> int:
    data = {
        "guarantee_number": number,
        "raw_supplier_name": "Lana Medical Company",
        "raw_bank_name": "Riyad Bank",
        "amount": "25200",
        "expiry_date": (today() + timedelta(days=40)).isoformat(),
        "contract_number": "C/0016/40",
        "type": "FINAL",
        **fields,
    }
    return guarantees.create(data, user="clerk").id


def register() -> dict:
    """A small register: an admin, guarantees of both scripts, one with a long history, a session of drafts."""
    chief = User(username="chief", role="admin", active=True)
    chief.set_password("pw-chief")
    db.session.add(chief)
    add_riyad_bank()
    db.session.commit()
    long = enter("LG-2025/0042", raw_supplier_name="مؤسسة لانا الطبية", amount="1300000")
    for changes in ({"comment": "First review: amounts checked"}, {"contract_number": "C/0016/41"}):
        version = db.session.get(Guarantee, long).version
        guarantees.update(long, changes, expected_version=version, user="clerk")
    actions.reduce(long, "1250000.50", user="clerk", notes="Partial delivery accepted")
    actions.extend(long, user="chief")
    db.session.remove()
    for number, supplier, bank in (
        ("BG-7781", "Gulf Supplies Est.", "Saudi National Bank"),
        ("BG-7782", "شركة الخليج للتوريدات", "البنك الأهلي السعودي"),
        ("BG-7783", "Al Noor Trading", "Riyad Bank"),
    ):
        enter(number, raw_supplier_name=supplier, raw_bank_name=bank)
    session_id = actions.start_session([enter("BG-7790"), enter("BG-7791")], "extension", user="clerk").id
    return {"guarantee": long, "session": session_id}


def workbook(folder: Path) -> Path:
    """A workbook with Arabic headers: one update of a known guarantee, one new row, one refused date."""
    path = folder / WORKBOOK_NAME
    path.write_bytes(
        build_xlsx(
            [
                ["رقم الضمان", "المورد", "البنك", "المبلغ", "تاريخ الانتهاء"],
                ["BG-7781", "Gulf Supplies Est.", "Saudi National Bank", 30000, "2027-03-31"],
                ["BG-9001", "مؤسسة النور", "مصرف الراجحي", 5000, "2027-01-15"],
                ["BG-9002", "مؤسسة النور", "مصرف الراجحي", 7000, "قريباً"],
            ]
        )
    )
    return path


def data_words(database: str, *extra: str) -> set[str]:
    """The Latin words of every text value in the database, of the extra texts, and the allowed codes."""
    words = set(CODES)
    with sqlite3.connect(database) as con:
        for (table,) in con.execute("select name from sqlite_master where type = 'table'"):
            for column in [row[1] for row in con.execute(f'pragma table_info("{table}")')]:
                query = f'select distinct "{column}" from "{table}" where typeof("{column}") = \'text\''
                for (value,) in con.execute(query):
                    words.update(w.lower() for w in LATIN_WORD.findall(value or ""))
    for text in extra:
        words.update(w.lower() for w in LATIN_WORD.findall(text))
    return words


def visible_text(page_html: str) -> str:
    """The text a person reads: the page without scripts, styles and tags, and the readable attributes."""
    page_html = re.sub(r"(?is)<(script|style|template)\b.*?</\1>", " ", page_html)
    page_html = re.sub(r"(?is)<!--.*?-->", " ", page_html)
    readable = re.findall(r"""(?is)\b(?:title|placeholder|aria-label|alt)\s*=\s*["']([^"']*)["']""", page_html)
    text = re.sub(r"(?s)<[^>]+>", " ", page_html)
    return htmllib.unescape(text + " " + " ".join(readable))


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_the_main_pages_read_in_arabic(sign_in, live_server, in_app, tmp_path):
    made = in_app(register)
    upload = workbook(tmp_path)
    database = live_server.app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    page = sign_in("chief")
    page.goto(f"{live_server.url}/?lang=ar")
    wait_for_htmx(page)

    # The import preview: upload through the form (its button speaks Arabic now).
    page.goto(f"{live_server.url}/imports/new")
    page.set_input_files("#file", str(upload))
    page.locator("form[enctype] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/imports/[0-9a-f]{32}$"))
    preview = page.url.removeprefix(live_server.url)

    pages = {
        "dashboard": "/",
        "list": "/guarantees",
        "guarantee": f"/guarantees/{made['guarantee']}",
        "batch": "/batches/today",
        "import-preview": preview,
        "session": f"/actions/{made['session']}",
        "review": "/review",
        "admin": "/admin/banks",
        "users": "/admin/users",
    }
    known = data_words(database, WORKBOOK_NAME, "Sheet1", "chief clerk auditor")
    untranslated = {}
    for name, path in pages.items():
        page.goto(f"{live_server.url}{path}")
        wait_for_htmx(page)
        html = page.locator("html")
        expect(html).to_have_attribute("lang", "ar")
        expect(html).to_have_attribute("dir", "rtl")
        words = sorted({w for w in LATIN_WORD.findall(visible_text(page.content())) if w.lower() not in known})
        if words:
            untranslated[name] = words
        screenshot(page, f"ar-{name}")
    assert not untranslated, f"interface words left in English: {untranslated}"


def test_diffs_read_from_the_old_value_to_the_new_in_either_direction(sign_in, live_server, in_app):
    made = in_app(register)
    page = sign_in("clerk")
    for lang, old_side in (("ar", "right"), ("en", "left")):
        page.goto(f"{live_server.url}/guarantees/{made['guarantee']}?lang={lang}")
        change = (
            page.locator("#history .change").filter(has=page.locator("del", has_text=re.compile(r"1,?300,?000"))).first
        )
        old, arrow, new = (change.locator(s).bounding_box() for s in ("del", ".arrow", "ins"))
        if old_side == "right":
            assert new["x"] < arrow["x"] < old["x"], "in Arabic the old value is on the right, the new on the left"
        else:
            assert old["x"] < arrow["x"] < new["x"]
        transform = change.locator(".arrow").evaluate("e => getComputedStyle(e).transform")
        assert (transform != "none") == (lang == "ar"), "the arrow points to the new value"


def test_english_screenshots_for_comparison(sign_in, live_server, in_app):
    made = in_app(register)
    page = sign_in("chief")
    page.goto(f"{live_server.url}/?lang=en")
    wait_for_htmx(page)
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    screenshot(page, "en-dashboard")
    page.goto(f"{live_server.url}/guarantees/{made['guarantee']}")
    wait_for_htmx(page)
    expect(page.locator("#history .change").first).to_be_visible()
    screenshot(page, "en-guarantee")
