"""The letters as the bank receives them: printed to PDF by Chromium, their text read back."""

import io
import re
import unicodedata

import pytest
from pypdf import PdfReader

from guarantees.extensions import db
from guarantees.models import GuaranteeAction
from guarantees.models.dictionary import Bank
from guarantees.services import actions, guarantees
from guarantees.web.formatting import hijri

pytestmark = pytest.mark.browser


def _issue() -> tuple[int, str, str]:
    """A guarantee at Riyad Bank (in the dictionary, with its address), extended; the action, reference, day."""
    db.session.add(
        Bank(
            official_name="بنك الرياض",
            official_name_ar="بنك الرياض",
            official_name_en="Riyad Bank",
            address_line_1="ص.ب. 22622، الرياض 11416",
            department="مركز تمويل التجارة",
        )
    )
    db.session.commit()
    data = {
        "guarantee_number": "PDF-1",
        "raw_supplier_name": "Lana Medical Company",
        "raw_bank_name": "Riyad Bank",
        "amount": "25200",
        "expiry_date": "2026-06-01",
        "contract_number": "C/0016/40",
    }
    action = actions.extend(guarantees.create(data, user="tester").id, user="clerk")
    stored = db.session.get(GuaranteeAction, action.id)
    return stored.id, stored.reference, stored.issued_at.date()


def pdf_text(page, url: str) -> str:
    """The text of `url` printed to PDF (A4, the page's own @page margins), Arabic forms folded to letters."""
    page.goto(url)
    page.emulate_media(media="print")
    data = page.pdf(prefer_css_page_size=True, print_background=True)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1  # one letter, one page
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = "\n".join(p.extract_text() or "" for p in reader.pages)
    return unicodedata.normalize("NFKC", text)


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
