"""The bank's answer on the guarantee page, the dashboard's worklist, the list's filter and the admin's setting."""

import io
from datetime import date

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import BankAnswer, Guarantee
from guarantees.services import actions, bank_answers, settings, voids

pytestmark = pytest.mark.usefixtures("before_expiry", "issue_clock")


@pytest.fixture
def extended(make_guarantee):
    g = make_guarantee("WB-1")
    return g.id, actions.extend(g.id, user="clerk").id


def test_the_page_shows_each_letter_waiting_then_confirmed(editor, extended, app):
    gid, action_id = extended
    app.config["TODAY"] = date(2026, 1, 18)
    html = editor.get(f"/guarantees/{gid}").get_data(as_text=True)
    assert 'id="bank-letters"' in html and 'data-waiting="3"' in html and "waiting for the bank since 3 days" in html
    response = editor.post(
        f"/bank-answers/actions/{action_id}/answer",
        data={"answer_date": "2026-01-17", "bank_reference": "RB/2026/55", "granted_expiry": "2027-04-30"},
        htmx=True,
    )
    assert response.status_code == 204 and response.headers["HX-Refresh"] == "true"
    db.session.expire_all()
    assert db.session.get(Guarantee, gid).expiry_date == date(2027, 4, 30)
    html = editor.get(f"/guarantees/{gid}").get_data(as_text=True)
    assert "confirmed by the bank" in html and "RB/2026/55" in html and "not the date asked" in html
    assert "The bank&#39;s answer" in html or "The bank's answer" in html  # the timeline entry
    # a second answer is refused with the reason, nothing changed
    again = editor.post(
        f"/bank-answers/actions/{action_id}/answer",
        data={"answer_date": "2026-01-17", "bank_reference": "other"},
        htmx=True,
    )
    assert again.status_code == 409 and "already recorded" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BankAnswer)) == 1


def test_bad_answers_are_refused_inline(editor, extended):
    _gid, action_id = extended
    cases = [
        ({"answer_date": "2026-13-40", "bank_reference": "R"}, 422),
        ({"answer_date": "2026-01-16", "bank_reference": "R"}, 422),  # after today
        ({"answer_date": "2026-01-15", "bank_reference": ""}, 422),
        ({"answer_date": "2026-01-15", "bank_reference": "R", "granted_expiry": "2026-05-01"}, 422),
    ]
    for data, status in cases:
        response = editor.post(f"/bank-answers/actions/{action_id}/answer", data=data, htmx=True)
        assert response.status_code == status, (data, response.status_code)
        assert 'id="bank-letters"' in response.get_data(as_text=True) and 'role="alert"' in response.get_data(
            as_text=True
        )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BankAnswer)) == 0


def test_answer_with_the_banks_letter(editor, extended, app, tmp_path):
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "files")
    gid, action_id = extended
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    response = editor.post(
        f"/bank-answers/actions/{action_id}/answer",
        data={"answer_date": "2026-01-15", "bank_reference": "R", "file": (io.BytesIO(pdf), "letter.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    html = editor.get(f"/guarantees/{gid}").get_data(as_text=True)
    answer = db.session.scalar(sa.select(BankAnswer))
    assert answer.attachment_id and f"/attachments/{answer.attachment_id}" in html


def test_a_hidden_answer_letter_is_named_to_editors_only(editor, viewer, extended):
    from guarantees.services import attachments

    gid, action_id = extended
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    editor.post(
        f"/bank-answers/actions/{action_id}/answer",
        data={"answer_date": "2026-01-15", "bank_reference": "R", "file": (io.BytesIO(pdf), "secret-scan.pdf")},
        content_type="multipart/form-data",
    )
    answer = db.session.scalar(sa.select(BankAnswer))
    attachments.hide(answer.attachment_id, reason="scanned the wrong letter", user="editor-user")
    assert "secret-scan.pdf" in editor.get(f"/guarantees/{gid}").get_data(as_text=True)
    seen = viewer.get(f"/guarantees/{gid}").get_data(as_text=True)
    assert "secret-scan.pdf" not in seen and f"/attachments/{answer.attachment_id}" not in seen


def test_viewers_read_but_do_not_answer(viewer, extended):
    gid, action_id = extended
    html = viewer.get(f"/guarantees/{gid}").get_data(as_text=True)
    assert 'id="bank-letters"' in html and "Record the answer" not in html
    response = viewer.post(
        f"/bank-answers/actions/{action_id}/answer", data={"answer_date": "2026-01-15", "bank_reference": "R"}
    )
    assert response.status_code == 403


def test_answer_needs_the_csrf_token(editor, extended):
    _gid, action_id = extended
    response = editor.post(
        f"/bank-answers/actions/{action_id}/answer",
        data={"answer_date": "2026-01-15", "bank_reference": "R"},
        csrf=False,
    )
    assert response.status_code == 400


def test_dashboard_worklist_and_list_filter(editor, make_guarantee, app):
    waiting = make_guarantee("WB-W")
    answered = make_guarantee("WB-A")
    make_guarantee("WB-N")
    actions.extend(waiting.id, user="clerk")
    done = actions.extend(answered.id, user="clerk")
    bank_answers.record(done.id, answer_date=date(2026, 1, 15), bank_reference="R", user="clerk")
    app.config["TODAY"] = date(2026, 1, 25)
    html = editor.get("/").get_data(as_text=True)
    card = html[html.index('id="awaiting-bank"') :]
    card = card[: card.index("</section>")]
    assert "WB-W" in card and "WB-A" not in card and "/guarantees?awaiting=bank" in card
    assert '<td class="num">10</td>' in card
    listed = editor.get("/guarantees?awaiting=bank").get_data(as_text=True)
    assert "WB-W" in listed and "WB-A" not in listed and "WB-N" not in listed
    assert 'data-filter="awaiting"' in listed
    bad = editor.get("/guarantees?awaiting=nonsense").get_data(as_text=True)
    assert "Ignored an unknown worklist." in bad and "WB-N" in bad


def test_admin_sets_how_long_a_letter_may_wait(admin, editor):
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert 'id="bank-answers"' in page and 'value="14"' in page
    response = admin.post("/bank-answers/settings", data={"wait_days": "21"})
    assert response.status_code == 303
    assert settings.bank_wait_days() == 21
    admin.post("/bank-answers/settings", data={"wait_days": "0"})
    assert settings.bank_wait_days() == 21
    assert editor.post("/bank-answers/settings", data={"wait_days": "5"}).status_code == 403


def test_the_letters_read_in_arabic(editor, extended, app):
    gid, action_id = extended
    voids.prepare(action_id, reason="خطأ في التاريخ", user="someone")
    app.config["TODAY"] = date(2026, 1, 20)
    html = editor.get(f"/guarantees/{gid}?lang=ar").get_data(as_text=True)
    assert "الخطابات وردود البنك" in html and "بانتظار البنك منذ 5 أيام" in html
    assert "إصدار الإلغاء" in html and "خطأ في التاريخ" in html
    dashboard = editor.get("/").get_data(as_text=True)
    assert "خطابات بانتظار رد البنك" in dashboard
