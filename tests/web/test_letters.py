"""Letters to the banks: content in Arabic and English, one A4 page per letter, print log (a POST from the Print
button, never a page view), drafts, escaping."""

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import GuaranteeAction, LetterPrint
from guarantees.models.dictionary import Bank
from guarantees.services import actions, letters
from guarantees.services.errors import NotFound, ValidationFailed

# The guarantees these tests extend expire on 2026-06-01: the register's day is fixed before that.
pytestmark = pytest.mark.usefixtures("before_expiry")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def riyad(app):
    """The bank dictionary's entry for Riyad Bank, as the legacy database has it."""
    bank = Bank(
        official_name="بنك الرياض",
        official_name_ar="بنك الرياض",
        official_name_en="Riyad Bank",
        short_code="RJB",
        address_line_1="ص.ب. 22622، الرياض 11416",
        address_line_2="المملكة العربية السعودية",
        contact_email="TFC-LocalLG-Riyadh@riyadbank.com",
        department="مركز تمويل التجارة",
    )
    db.session.add(bank)
    db.session.commit()
    return bank


def issued_session(make_guarantee, *specs, action_type="extension"):
    """Guarantees made from `specs` (dicts of fields), extended (or released) together in an issued session."""
    ids = [make_guarantee(**spec).id for spec in specs]
    session = actions.start_session(ids, action_type, user="clerk")
    actions.issue_session(session.id, user="chief")
    db.session.expire_all()
    return session, db.session.scalars(
        sa.select(GuaranteeAction).where(GuaranteeAction.action_session_id == session.id).order_by(GuaranteeAction.id)
    ).all()


def prints() -> list[LetterPrint]:
    db.session.expire_all()
    return db.session.scalars(sa.select(LetterPrint).order_by(LetterPrint.id)).all()


def record_url(html: str) -> str:
    """The address the page's Print button records a print at."""
    match = re.search(r'<button type="button" data-print[^>]*data-record="([^"]+)" data-lang="(ar|en)"', html)
    assert match, "the Print button records nothing"
    return match.group(1)


def test_arabic_extension_letter(viewer, make_guarantee, riyad):
    _, (action,) = issued_session(make_guarantee, {"number": "JLG6900350", "type": "FINAL"})
    response = viewer.get(f"/letters/actions/{action.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="ar" dir="rtl">' in html and "letter.css" in html
    assert "بنك الرياض" in html and "المحترمين" in html and "مركز تمويل التجارة" in html
    assert "ص.ب. 22622، الرياض 11416" in html and "TFC-LocalLG-Riyadh@riyadbank.com" in html
    assert "الموضوع: طلب تمديد الضمان البنكي رقم" in html and "JLG6900350" in html
    assert "العائد للعقد رقم" in html and "C/0016/40" in html
    assert "2027-06-01" in html and "ضمان نهائي" in html and "25,200.00" in html and "ريال سعودي" in html
    assert "Lana Medical Company" in html and "مدير الإدارة المالية" in html
    assert html.count('<article class="letter"') == 1 and "draft" not in html.split("<article", 1)[1][:40]


def test_english_letter_has_the_same_content(editor, make_guarantee, riyad):
    _, (action,) = issued_session(make_guarantee, {"number": "EN1", "type": "Final"})
    html = editor.get(f"/letters/actions/{action.id}?lang=en").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in html
    assert "Riyad Bank" in html and "مركز تمويل التجارة" in html and "TFC-LocalLG-Riyadh@riyadbank.com" in html
    assert "Request to extend bank guarantee No. (<bdi" in html and "EN1" in html
    assert "related to contract No." in html and "C/0016/40" in html
    assert "2027-06-01" in html and "final (performance) guarantee" in html and "25,200.00 SAR" in html
    assert "Lana Medical Company" in html and "Yours faithfully" in html


def test_a_letters_language_leaves_the_interface_language_alone(editor, make_guarantee, riyad):
    _, (action,) = issued_session(make_guarantee, {"number": "LANG1"})
    editor.get("/?lang=ar")
    english = editor.get(f"/letters/actions/{action.id}?lang=en").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in english
    assert '<div class="screen-toolbar" dir="rtl" lang="ar">' in english  # the toolbar speaks the interface's
    assert '<html lang="ar" dir="rtl">' in editor.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("raw", "words"),
    [("ADVANCED", "ضمان دفعة مقدمة"), ("advance", "ضمان دفعة مقدمة"), ("BID", "ضمان ابتدائي"),
     ("Initial", "ضمان ابتدائي"), ("PERFORMANCE-X", "PERFORMANCE-X")],
)  # fmt: skip
def test_guarantee_type_in_words(editor, make_guarantee, raw, words):
    _, (action,) = issued_session(make_guarantee, {"type": raw})
    assert words in editor.get(f"/letters/actions/{action.id}").get_data(as_text=True)


def test_release_letter_and_purchase_order_reference(editor, make_guarantee, riyad):
    spec = {"number": "PO1", "contract_number": "", "po_number": "421378"}
    _, (action,) = issued_session(make_guarantee, spec, action_type="release")
    html = editor.get(f"/letters/actions/{action.id}").get_data(as_text=True)
    assert "طلب الإفراج عن الضمان البنكي رقم" in html and "العائد لأمر الشراء رقم" in html and "421378" in html
    english = editor.get(f"/letters/actions/{action.id}?lang=en").get_data(as_text=True)
    assert "Request to release bank guarantee No." in english and "related to purchase order No." in english


def test_reduction_letter(editor, make_guarantee):
    guarantee = make_guarantee("RED1")
    action = actions.reduce(guarantee.id, "10000", user="chief")
    html = editor.get(f"/letters/actions/{action.id}").get_data(as_text=True)
    assert "طلب تخفيض قيمة الضمان البنكي رقم" in html and "25,200.00" in html and "10,000.00" in html


def test_bank_outside_the_dictionary_falls_back_to_the_raw_name(editor, make_guarantee):
    _, (action,) = issued_session(make_guarantee, {"raw_bank_name": "Bank Nowhere Ltd"})
    html = editor.get(f"/letters/actions/{action.id}").get_data(as_text=True)
    assert "Bank Nowhere Ltd" in html and "المحترمين" in html


def test_session_letters_one_per_page_and_each_print_recorded(editor, make_guarantee, riyad):
    session, issued = issued_session(make_guarantee, {"number": "SE1"}, {"number": "SE2"}, {"number": "SE3"})
    response = editor.get(f"/letters/sessions/{session.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.count('<article class="letter"') == 3
    assert all(number in html for number in ("SE1", "SE2", "SE3"))
    assert prints() == []  # reading the page records nothing
    assert record_url(html) == f"/letters/sessions/{session.id}/prints"
    answer = editor.post(record_url(html), data={"lang": "ar"})
    assert answer.status_code == 201 and answer.json["letters"] == 3
    (logged,) = prints()
    assert answer.json["recorded"] == logged.id
    assert logged.action_ids == [a.id for a in issued] and logged.action_session_id == session.id
    assert logged.language == "ar" and logged.printed_by == "editor-user" and logged.printed_at is not None
    english = editor.get(f"/letters/sessions/{session.id}?lang=en").get_data(as_text=True)
    assert 'data-lang="en"' in english and len(prints()) == 1
    editor.post(record_url(english), data={"lang": "en"})
    assert [p.language for p in prints()] == ["ar", "en"]
    page = editor.get(f"/actions/{session.id}").get_data(as_text=True)
    assert "Printed letters" in page and "3 letters" in page


def test_reading_a_letter_records_nothing_each_print_one_record(viewer, make_guarantee):
    _, (action,) = issued_session(make_guarantee, {"number": "LOG1"})
    before = {c.name: getattr(action, c.name) for c in GuaranteeAction.__table__.columns}
    version = action.guarantee.version
    for _ in range(3):  # three views, a reload, a link followed from another site
        assert viewer.get(f"/letters/actions/{action.id}").status_code == 200
    cross_site = {"Referer": "https://evil.example/page", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
    assert viewer.client.get(f"/letters/actions/{action.id}?lang=en", headers=cross_site).status_code == 200
    assert prints() == []
    for _ in range(2):  # the Print button, twice: two prints
        assert viewer.post(f"/letters/actions/{action.id}/prints", data={"lang": "ar"}).status_code == 201
    logged = prints()
    assert [(p.action_ids, p.printed_by, p.action_session_id) for p in logged] == [
        ([action.id], "viewer-user", action.action_session_id)
    ] * 2
    db.session.expire_all()
    after = db.session.get(GuaranteeAction, action.id)
    assert {c.name: getattr(after, c.name) for c in GuaranteeAction.__table__.columns} == before
    assert after.guarantee.version == version
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GuaranteeAction)) == 1


def test_a_draft_letter_is_a_marked_preview_and_not_logged(editor, make_guarantee):
    session = actions.start_session([make_guarantee("DR1").id], "extension", user="clerk")
    html = editor.get(f"/letters/sessions/{session.id}").get_data(as_text=True)
    assert '<article class="letter draft"' in html and "Draft — not issued" in html and "DR1" in html
    assert "data-record" not in html and "Each print is recorded" not in html  # printed, never recorded
    (draft,) = db.session.scalars(sa.select(GuaranteeAction)).all()
    assert 'class="letter draft"' in editor.get(f"/letters/actions/{draft.id}").get_data(as_text=True)
    for url in (f"/letters/sessions/{session.id}/prints", f"/letters/actions/{draft.id}/prints"):
        refused = editor.post(url, data={"lang": "ar"})
        assert refused.status_code == 409 and "draft is a preview" in refused.json["error"]
    assert prints() == []


def test_a_print_record_needs_the_csrf_token_and_a_language(editor, make_guarantee):
    session, (action,) = issued_session(make_guarantee, {"number": "CS1"})
    for url in (f"/letters/actions/{action.id}/prints", f"/letters/sessions/{session.id}/prints"):
        assert editor.post(url, data={"lang": "ar"}, csrf=False).status_code == 400
        assert editor.client.post(url, data={"lang": "ar"}, headers={"X-CSRFToken": "forged"}).status_code == 400
        for lang in (None, "", "fr", "AR", "<script>"):
            refused = editor.post(url, data={} if lang is None else {"lang": lang})
            assert refused.status_code == 400 and refused.json["error"], lang
        assert editor.client.get(url).status_code == 405  # a link cannot record a print
    assert prints() == []


def test_the_print_button_carries_what_the_record_needs(viewer, make_guarantee):
    _, (action,) = issued_session(make_guarantee, {"number": "BT1"})
    html = viewer.get(f"/letters/actions/{action.id}?lang=en").get_data(as_text=True)
    assert record_url(html) == f"/letters/actions/{action.id}/prints" and 'data-lang="en"' in html
    assert "Each print is recorded on the guarantees' history." in html
    token = re.search(r'data-csrf="([^"]+)"', html).group(1)
    answer = viewer.client.post(record_url(html), data={"lang": "en"}, headers={"X-CSRFToken": token})
    assert answer.status_code == 201 and [(p.language, p.printed_by) for p in prints()] == [("en", "viewer-user")]


def test_print_css_is_a4_one_letter_per_page_with_logical_properties():
    css = (ROOT / "static" / "css" / "letter.css").read_text(encoding="utf-8")
    assert "@page { size: A4;" in css and "break-after: page" in css
    for physical in (
        "margin-left",
        "margin-right",
        "padding-left",
        "padding-right",
        "text-align: left",
        "text-align: right",
    ):
        assert physical not in css


def test_letters_page_has_no_inline_script(editor, make_guarantee):
    _, (action,) = issued_session(make_guarantee, {})
    html = editor.get(f"/letters/actions/{action.id}").get_data(as_text=True)
    assert "onclick" not in html and "<script>" not in html and "/static/js/letters.js" in html and "data-print" in html


def test_unknown_letters_are_404(editor, make_guarantee):
    assert editor.get("/letters/actions/999999").status_code == 404
    assert editor.get("/letters/sessions/999999").status_code == 404
    assert editor.post("/letters/actions/999999/prints", data={"lang": "ar"}).status_code == 404
    assert editor.post("/letters/sessions/999999/prints", data={"lang": "ar"}).status_code == 404
    assert prints() == []


def test_anonymous_goes_to_sign_in(app, make_guarantee):
    _, (action,) = issued_session(make_guarantee, {})
    response = app.test_client().get(f"/letters/actions/{action.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    anonymous = app.test_client()
    from tests.web.conftest import csrf_from

    token = csrf_from(anonymous.get("/login").get_data(as_text=True))
    posted = anonymous.post(f"/letters/actions/{action.id}/prints", data={"lang": "ar"}, headers={"X-CSRFToken": token})
    assert posted.status_code == 303 and "/login" in posted.headers["Location"]
    assert prints() == []


def test_everything_is_escaped(editor, make_guarantee):
    db.session.add(Bank(official_name="<script>alert('bank')</script>", department="<b>dept</b>"))
    db.session.commit()
    spec = {"raw_bank_name": "<script>alert('bank')</script>", "raw_supplier_name": "<img src=x onerror=alert(1)>"}
    _, (action,) = issued_session(make_guarantee, spec)
    for lang in ("ar", "en"):
        html = editor.get(f"/letters/actions/{action.id}?lang={lang}").get_data(as_text=True)
        assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;bank&#39;)&lt;/script&gt;" in html
        assert "<img src=x" not in html and "<b>dept</b>" not in html


def test_log_print_service_validates_and_writes_one_row(app, make_guarantee):
    _, (action,) = issued_session(make_guarantee, {})
    with pytest.raises(ValidationFailed):
        letters.log_print([action.id], language="fr", user="u")
    with pytest.raises(ValidationFailed):
        letters.log_print([], language="ar", user="u")
    with pytest.raises(NotFound):
        letters.log_print([action.id, 999999], language="ar", user="u")
    with pytest.raises(NotFound):
        letters.log_print([action.id], session_id=999999, language="ar", user="u")
    assert prints() == []
    record = letters.log_print([action.id, action.id], language="en", user="u")
    assert record.action_ids == [action.id] and prints()[0].printed_by == "u"


def test_a_print_shows_on_the_guarantees_timeline(editor, make_guarantee):
    _, (action,) = issued_session(make_guarantee, {"number": "TL1"})
    assert "Letter printed" not in editor.get(f"/guarantees/{action.guarantee_id}").get_data(as_text=True)
    editor.get(f"/letters/actions/{action.id}?lang=en")
    assert "Letter printed" not in editor.get(f"/guarantees/{action.guarantee_id}").get_data(as_text=True)
    editor.post(f"/letters/actions/{action.id}/prints", data={"lang": "en"})
    page = editor.get(f"/guarantees/{action.guarantee_id}").get_data(as_text=True)
    assert "Letter printed" in page and "(English)" in page and f"/letters/actions/{action.id}" in page


def test_hostile_ids_and_languages(editor, make_guarantee):
    for number in ("99999999999999999999", str(2**31), str(2**63), "-1", "0"):
        assert editor.get(f"/letters/actions/{number}").status_code == 404
        assert editor.get(f"/letters/sessions/{number}").status_code == 404
        assert editor.post(f"/letters/actions/{number}/prints", data={"lang": "ar"}).status_code == 404
        assert editor.post(f"/letters/sessions/{number}/prints", data={"lang": "ar"}).status_code == 404
    _, (action,) = issued_session(make_guarantee, {"number": "HL-1", "expiry_date": "2026-06-01"})
    response = editor.get(f"/letters/actions/{action.id}?lang=%3Cscript%3E")
    assert response.status_code == 200 and 'lang="ar"' in response.get_data(as_text=True)


# -- letters fit to send: reference, both dates, the amount in words, letterhead, the bank's address ---------------


def test_an_issued_letter_has_its_reference_both_dates_and_the_amount_in_words(viewer, make_guarantee, riyad):
    from guarantees.web.formatting import hijri

    _, (action,) = issued_session(make_guarantee, {"number": "FIT1"})
    reference = db.session.get(GuaranteeAction, action.id).reference
    issued_on = db.session.get(GuaranteeAction, action.id).issued_at.date()
    arabic = viewer.get(f"/letters/actions/{action.id}").get_data(as_text=True)
    assert f'الرقم: <bdi dir="ltr">{reference}</bdi>' in arabic and reference.startswith("BG/")
    assert f"{issued_on.isoformat()}</bdi>م" in arabic and f"الموافق: <bdi>{hijri(issued_on, 'ar')}</bdi>" in arabic
    assert "(فقط خمسة وعشرون ألفاً ومئتا ريال سعودي لا غير)" in arabic
    assert "الإدارة المالية" in arabic and "Finance Department" in arabic and "مدير الإدارة المالية" in arabic
    english = viewer.get(f"/letters/actions/{action.id}?lang=en").get_data(as_text=True)
    assert f"Our ref.: {reference}" in english and f"Corresponding to: {hijri(issued_on, 'en')}" in english
    assert "Director of Finance" in english and "فقط" not in english


def test_a_draft_letter_has_no_reference_yet(editor, make_guarantee):
    session = actions.start_session([make_guarantee("FIT2").id], "extension", user="clerk")
    html = editor.get(f"/letters/sessions/{session.id}").get_data(as_text=True)
    assert 'الرقم: <bdi dir="ltr">—</bdi>' in html and "BG/" not in html


def test_a_reduction_letter_gives_both_amounts_in_words(editor, make_guarantee):
    action = actions.reduce(make_guarantee("FIT3", amount="1250000.50").id, "1000000", user="chief")
    html = editor.get(f"/letters/actions/{action.id}").get_data(as_text=True)
    assert "(فقط مليون ومئتان وخمسون ألف ريال سعودي وخمسون هللة لا غير)" in html
    assert "(فقط مليون ريال سعودي لا غير)" in html


def test_the_letterhead_and_signatory_come_from_the_settings(editor, make_guarantee):
    from guarantees.services import settings

    settings.save_letterhead(
        {
            "organisation_ar": "مستشفى الملك فيصل",
            "organisation_en": "King Faisal Hospital",
            "department_ar": "إدارة الخزينة",
            "department_en": "Treasury",
            "signatory_ar": "المدير المالي",
            "signatory_en": "Chief Financial Officer",
        },
        user="chief",
    )
    action = actions.release(make_guarantee("FIT4").id, user="chief")
    arabic = editor.get(f"/letters/actions/{action.id}").get_data(as_text=True)
    english = editor.get(f"/letters/actions/{action.id}?lang=en").get_data(as_text=True)
    for html in (arabic, english):
        assert "مستشفى الملك فيصل" in html and "King Faisal Hospital" in html and "إدارة الخزينة" in html
    assert "المدير المالي" in arabic and "Chief Financial Officer" in english and "Director of Finance" not in english


def test_a_bank_without_an_address_is_flagged_before_issuing(editor, make_guarantee, riyad):
    plain = make_guarantee("FIT5", raw_bank_name="Some New Bank")
    known = make_guarantee("FIT6")
    session = actions.start_session([plain.id, known.id], "extension", user="clerk")
    page = editor.get(f"/actions/{session.id}").get_data(as_text=True)
    assert page.count('data-warning="no-address"') == 2  # the summary, and the one draft's row
    assert "1 draft is addressed to a bank with no address" in page
    preview = editor.get(f"/letters/sessions/{session.id}").get_data(as_text=True)
    assert 'data-warning="no-address"' in preview and "1 letter has no address" in preview


def test_the_session_page_shows_each_issued_reference(editor, make_guarantee):
    session, issued = issued_session(make_guarantee, {"number": "FIT7"}, {"number": "FIT8"})
    page = editor.get(f"/actions/{session.id}").get_data(as_text=True)
    for action in issued:
        assert f'<bdi dir="ltr" class="reference">{action.reference}</bdi>' in page
    assert 'data-warning="no-address"' not in page  # issued: nothing left to warn about


def test_the_english_letter_is_set_in_a_latin_face():
    css = (ROOT / "static" / "css" / "letter.css").read_text(encoding="utf-8")
    assert 'html[lang="en"] body.letters { font-family: var(--latin);' in css
    assert '--latin: "Liberation Serif"' in css and '--arabic: "Noto Naskh Arabic"' in css


def test_the_issue_page_warning_for_a_bank_without_an_address(app, make_guarantee, riyad):
    from flask import render_template

    plain, known = make_guarantee("FIT9", raw_bank_name="Some New Bank"), make_guarantee("FIT10")
    with app.test_request_context():
        assert 'data-warning="no-address"' in render_template("letters/_no_address.html", guarantee=plain)
        assert 'data-warning="no-address"' not in render_template("letters/_no_address.html", guarantee=known)


def test_the_guarantee_page_warns_before_a_letter_to_a_bank_without_an_address(editor, make_guarantee, riyad):
    plain, known = make_guarantee("FIT11", raw_bank_name="Some New Bank"), make_guarantee("FIT12")
    assert 'data-warning="no-address"' in editor.get(f"/guarantees/{plain.id}").get_data(as_text=True)
    assert 'data-warning="no-address"' not in editor.get(f"/guarantees/{known.id}").get_data(as_text=True)


def test_the_guarantees_history_shows_the_letters_reference(editor, make_guarantee):
    guarantee = make_guarantee("FIT11")
    action = actions.extend(guarantee.id, user="chief")
    reference = db.session.get(GuaranteeAction, action.id).reference
    page = editor.get(f"/guarantees/{guarantee.id}").get_data(as_text=True)
    assert f"reference {reference}" in page
