"""The letters as the bank receives them: printed to PDF by Chromium, their text read back."""

import io
import re
import unicodedata

import pytest
from pypdf import PdfReader

from guarantees.extensions import db
from guarantees.models import GuaranteeAction
from guarantees.services import actions, guarantees
from guarantees.web.formatting import hijri
from tests.browser.conftest import add_riyad_bank

# The guarantee these tests extend expires on 2026-06-01: the live server's day is fixed before that.
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("live_before_expiry")]
GUARANTEE = {
    "raw_supplier_name": "Lana Medical Company",
    "raw_bank_name": "Riyad Bank",
    "amount": "25200",
    "expiry_date": "2026-06-01",
    "contract_number": "C/0016/40",
}


def _issue() -> tuple[int, str, str]:
    """A guarantee at Riyad Bank (in the dictionary, with its address), extended; the action, reference, day."""
    add_riyad_bank()
    db.session.commit()
    guarantee = guarantees.create({**GUARANTEE, "guarantee_number": "PDF-1"}, user="tester")
    action = actions.extend(guarantee.id, user="clerk")
    stored = db.session.get(GuaranteeAction, action.id)
    return stored.id, stored.reference, stored.issued_at.date()


def pdf_pages(page, url: str) -> list[str]:
    """The text of each page of `url` printed to PDF (A4, the page's own @page margins), Arabic forms folded."""
    page.goto(url)
    page.emulate_media(media="print")
    reader = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True, print_background=True)))
    for sheet in reader.pages:
        assert (round(float(sheet.mediabox.width)), round(float(sheet.mediabox.height))) == (595, 842)  # A4
    return [unicodedata.normalize("NFKC", sheet.extract_text() or "") for sheet in reader.pages]


def pdf_text(page, url: str) -> str:
    """The text of a one-page letter printed to PDF."""
    pages = pdf_pages(page, url)
    assert len(pages) == 1  # one letter, one page
    return pages[0]


def on_a_line(expected: str, text: str) -> bool:
    """Every word and number of `expected` on one line of `text` or two adjacent ones (a wrapped phrase). The
    extracted Arabic lines keep each word whole but put a line's runs in visual order, so order is not checked."""
    words = re.findall(r"\d+|[^\W\d_]+", unicodedata.normalize("NFKC", expected))
    lines = text.splitlines()
    return any(all(w in " ".join(lines[i : i + 2]) for w in words) for i in range(len(lines)))


def test_arabic_and_english_letters_print_with_reference_dates_words_and_bank(sign_in, live_server, in_app):
    action_id, reference, day = in_app(_issue)
    page = sign_in("clerk")
    english = pdf_text(page, f"{live_server.url}/letters/actions/{action_id}?lang=en")
    for expected in (reference, day.isoformat(), hijri(day, "en"), "Riyad Bank", "25,200.00 SAR", "Finance Department"):
        assert expected in english, (expected, english)
    arabic = pdf_text(page, f"{live_server.url}/letters/actions/{action_id}")
    assert reference in arabic and day.isoformat() in arabic, arabic
    for expected in (hijri(day, "ar"), "بنك الرياض", "فقط خمسة وعشرون ألفاً ومئتا ريال سعودي لا غير"):
        assert on_a_line(expected, arabic), (expected, arabic)
    assert not on_a_line("خمسة وعشرون ألفاً ومئتا", english)


def test_a_batch_prints_one_letter_per_page(sign_in, live_server, in_app):
    def two_issued() -> tuple[int, list[str]]:
        ids = [guarantees.create({**GUARANTEE, "guarantee_number": n}, user="tester").id for n in ("PDF-2", "PDF-3")]
        session = actions.start_session(ids, "release", user="clerk")
        actions.issue_session(session.id, user="chief")
        found = db.session.query(GuaranteeAction).filter_by(action_session_id=session.id).order_by(GuaranteeAction.id)
        return session.id, [a.reference for a in found]

    session_id, references = in_app(two_issued)
    pages = pdf_pages(sign_in("clerk"), f"{live_server.url}/letters/sessions/{session_id}?lang=en")
    assert len(pages) == 2 and all(reference in text for reference, text in zip(references, pages, strict=True))
