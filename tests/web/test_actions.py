"""Action session pages: the list, one session's drafts (remove, change a date), issuing them all, four eyes."""

import json
import re

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import ActionSession, Guarantee, GuaranteeAction
from guarantees.services import actions
from tests.web.conftest import csrf_from
from tests.web.test_batches import guarantee, imported_batch

# The guarantees these tests extend expire on 2026-06-01: the register's day is fixed before that.
pytestmark = pytest.mark.usefixtures("before_expiry")


def drafts_session(*numbers, action_type="extension", user="editor-user") -> ActionSession:
    """A session of drafts for new guarantees with these numbers (expiry 2026-06-01)."""
    imported_batch(*numbers)
    ids = [guarantee(number).id for number in numbers]
    return actions.start_session(ids, action_type, user=user)


def session_actions(session_id: int) -> list[GuaranteeAction]:
    db.session.expire_all()
    query = sa.select(GuaranteeAction).where(GuaranteeAction.action_session_id == session_id)
    return db.session.scalars(query.order_by(GuaranteeAction.id)).unique().all()


def test_list_shows_status_counts_dates_and_who(editor):
    draft = drafts_session("L1", "L2")
    issued = drafts_session("L3")
    actions.issue_session(issued.id, user="chief")
    response = editor.get("/actions")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert f'href="/actions/{draft.id}"' in html and f'href="/actions/{issued.id}"' in html
    assert "badge-draft" in html and "badge-issued" in html and "chief" in html and "editor-user" in html
    only_drafts = editor.get("/actions?status=draft", htmx=True).get_data(as_text=True)
    assert "<html" not in only_drafts and f'href="/actions/{draft.id}"' in only_drafts
    assert f'href="/actions/{issued.id}"' not in only_drafts
    only_issued = editor.get("/actions?status=issued").get_data(as_text=True)
    assert f'href="/actions/{draft.id}"' not in only_issued and f'href="/actions/{issued.id}"' in only_issued


def test_session_page_shows_drafts_with_their_controls(app, editor):
    session = drafts_session("S1", "S2")
    response = editor.get(f"/actions/{session.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert "S1" in html and "S2" in html and 'value="2027-06-01"' in html
    assert "/actions/drafts/" in html and "Issue all (2)" in html
    assert f"/letters/sessions/{session.id}" in html and "Four-eyes" not in html
    fragment = editor.get(f"/actions/{session.id}", htmx=True).get_data(as_text=True)
    assert "<html" not in fragment and 'id="session-actions"' in fragment
    assert editor.get("/actions/999999").status_code == 404


def test_viewer_sees_no_controls(viewer):
    session = drafts_session("VC1")
    html = viewer.get(f"/actions/{session.id}").get_data(as_text=True)
    assert "VC1" in html and "Issue all" not in html and 'name="new_expiry"' not in html and "Remove" not in html


def test_remove_a_draft(editor):
    session = drafts_session("R1", "R2")
    first, second = session_actions(session.id)
    response = editor.post(f"/actions/drafts/{first.id}/remove")
    assert response.status_code == 303 and response.headers["Location"] == f"/actions/{session.id}"
    assert [a.id for a in session_actions(session.id)] == [second.id]
    assert db.session.get(ActionSession, session.id).total_actions == 1

    fragment = editor.post(f"/actions/drafts/{second.id}/remove", htmx=True)
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in text
    assert 'id="session-summary"' in text and 'hx-swap-oob="true"' in text and 'data-count="drafts">0<' in text
    assert json.loads(fragment.headers["HX-Trigger"])["toast"]["level"] == "success"
    assert session_actions(session.id) == []
    assert editor.post(f"/actions/drafts/{second.id}/remove").status_code == 404


def test_change_a_draft_date(editor):
    session = drafts_session("D1")
    (draft,) = session_actions(session.id)
    response = editor.post(f"/actions/drafts/{draft.id}/date", data={"new_expiry": "2027-12-31"})
    assert response.status_code == 303
    assert session_actions(session.id)[0].new_expiry_date.isoformat() == "2027-12-31"

    fragment = editor.post(f"/actions/drafts/{draft.id}/date", data={"new_expiry": "2028-01-15"}, htmx=True)
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in text
    assert text.strip().startswith(f'<tr id="action-{draft.id}"') and 'value="2028-01-15"' in text
    assert "2028-01-15" in json.loads(fragment.headers["HX-Trigger"])["toast"]["message"]


def test_a_refused_date_is_explained_inline(editor):
    session = drafts_session("DE1")
    (draft,) = session_actions(session.id)
    fragment = editor.post(f"/actions/drafts/{draft.id}/date", data={"new_expiry": "2026-05-01"}, htmx=True)
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 422 and "<html" not in text and text.strip().startswith("<tr")
    assert 'class="error"' in text and "moves the expiry forward" in text and 'aria-invalid="true"' in text
    page = editor.post(f"/actions/drafts/{draft.id}/date", data={"new_expiry": "not a date"})
    assert page.status_code == 422 and "<html" in page.get_data(as_text=True)
    assert session_actions(session.id)[0].new_expiry_date.isoformat() == "2027-06-01"
    assert editor.post("/actions/drafts/999999/date", data={"new_expiry": "2030-01-01"}).status_code == 404


def test_release_drafts_have_no_date_to_change(editor):
    session = drafts_session("RD1", action_type="release")
    (draft,) = session_actions(session.id)
    assert 'name="new_expiry"' not in editor.get(f"/actions/{session.id}").get_data(as_text=True)
    response = editor.post(f"/actions/drafts/{draft.id}/date", data={"new_expiry": "2030-01-01"})
    assert response.status_code == 422 and "Only an extension" in response.get_data(as_text=True)


def test_extend_all_from_a_batch_then_issue_all(editor):
    batch = imported_batch("F1", "F2")
    started = editor.post(f"/batches/{batch.id}/actions", data={"do": "extend_all"})
    session_path = started.headers["Location"]
    assert session_path.startswith("/actions/")
    session_id = int(session_path.rsplit("/", 1)[1])
    issued = editor.confirmed(f"{session_path}/issue")
    assert issued.status_code == 303 and issued.headers["Location"] == session_path
    db.session.expire_all()
    for number in ("F1", "F2"):
        found = guarantee(number)
        assert found.expiry_date.isoformat() == "2027-06-01" and found.is_locked
    assert {(a.action_status, a.is_locked) for a in session_actions(session_id)} == {("issued", True)}
    session = db.session.get(ActionSession, session_id)
    assert session.is_locked and session.issued_actions == 2 and session.issued_by == "editor-user"

    page = editor.get(session_path).get_data(as_text=True)
    assert "2 actions issued" in page and "Print all letters" in page and "Issue all" not in page
    assert page.count("/letters/actions/") == 2
    # An issued session no longer changes.
    first = session_actions(session_id)[0]
    refused = editor.post(f"/actions/drafts/{first.id}/remove")
    assert refused.status_code == 422 and "can no longer change" in refused.get_data(as_text=True)
    row = editor.post(f"/actions/drafts/{first.id}/remove", htmx=True)
    text = row.get_data(as_text=True)
    assert row.status_code == 422 and text.strip().startswith(f'<tr id="action-{first.id}"')
    assert "can no longer change" in text and "<html" not in text
    again = editor.post(f"{session_path}/issue")
    assert again.status_code == 422 and "locked" in again.get_data(as_text=True)


def test_a_refusal_issues_nothing(editor):
    session = drafts_session("N1", "N2")
    actions.release(guarantee("N2").id, user="someone")
    response = editor.confirmed(f"/actions/{session.id}/issue")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "N2" in html and "Nothing was issued" in html and "<html" in html
    db.session.expire_all()
    assert guarantee("N1").expiry_date.isoformat() == "2026-06-01"
    assert {a.action_status for a in session_actions(session.id)} == {"draft"}
    fragment = editor.confirmed(f"/actions/{session.id}/issue", htmx=True)
    assert fragment.status_code == 422 and 'id="session-summary"' in fragment.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)


def test_four_eyes(app, editor, signed_in):
    app.config["FOUR_EYES"] = True
    session = drafts_session("FE1", user=editor.user.username)
    html = editor.get(f"/actions/{session.id}").get_data(as_text=True)
    assert 'data-rule="four-eyes"' in html and "someone other than editor-user" in html
    refused = editor.post(f"/actions/{session.id}/issue")
    assert refused.status_code == 422 and "Four-eyes rule" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert guarantee("FE1").expiry_date.isoformat() == "2026-06-01"
    second = signed_in("editor", "second-editor")
    assert second.confirmed(f"/actions/{session.id}/issue").status_code == 303
    db.session.expire_all()
    assert guarantee("FE1").expiry_date.isoformat() == "2027-06-01"
    assert db.session.get(ActionSession, session.id).issued_by == "second-editor"


def test_writes_are_refused_to_viewers_anonymous_and_without_csrf(app, editor, viewer):
    session = drafts_session("W1")
    (draft,) = session_actions(session.id)
    writes = [
        (f"/actions/{session.id}/issue", {}),
        (f"/actions/drafts/{draft.id}/remove", {}),
        (f"/actions/drafts/{draft.id}/date", {"new_expiry": "2030-01-01"}),
    ]
    anonymous = app.test_client()
    token = csrf_from(anonymous.get("/login").get_data(as_text=True))
    for path, data in writes:
        assert viewer.post(path, data=data).status_code == 403
        assert editor.post(path, data=data, csrf=False).status_code == 400
        response = anonymous.post(path, data={**data, "csrf_token": token})
        assert response.status_code == 303 and "/login" in response.headers["Location"]
    assert anonymous.get(f"/actions/{session.id}").headers["Location"].startswith("/login")
    (unchanged,) = session_actions(session.id)
    assert unchanged.action_status == "draft" and unchanged.new_expiry_date.isoformat() == "2027-06-01"
    assert editor.post("/actions/999999/issue").status_code == 404


def test_session_content_is_escaped(editor):
    rows = [
        ["BANK GUARANTEE NUMBER", "SUPPLIER", "BANK NAME", "AMOUNT", "EXPIRY DATE"],
        ["XS1", "<script>s</script>", "B", 100, "2026-06-01"],
    ]
    imported_batch(rows=rows)
    session = actions.start_session([guarantee("XS1").id], "extension", user="u", description="<i>desc</i>")
    html = editor.get(f"/actions/{session.id}").get_data(as_text=True)
    assert "&lt;script&gt;s&lt;/script&gt;" in html and "<script>s" not in html and "<i>desc</i>" not in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Guarantee)) == 1


def test_hostile_list_parameters_are_explained(editor):
    drafts_session("HL1")
    response = editor.get("/actions?status=%3Cx%3E&page=99999999999999999999", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Ignored an unknown status." in html and "Ignored page=" in html
    assert "<x>" not in html


def test_hostile_ids_are_404(editor):
    huge = "99999999999999999999"
    assert editor.get(f"/actions/{huge}").status_code == 404
    assert editor.post(f"/actions/{huge}/issue").status_code == 404
    assert editor.post(f"/actions/drafts/{huge}/remove").status_code == 404
    assert editor.post(f"/actions/drafts/{huge}/date", data={"new_expiry": "2030-01-01"}).status_code == 404


def test_a_hostile_date_is_refused(editor):
    session = drafts_session("HD1")
    (draft,) = session_actions(session.id)
    for value in ("9" * 500, "2030-02-30", "2030-01-01\x00x"):
        assert editor.post(f"/actions/drafts/{draft.id}/date", data={"new_expiry": value}).status_code == 422
    assert session_actions(session.id)[0].new_expiry_date.isoformat() == "2027-06-01"


def test_a_status_filter_answers_200_and_marks_its_button(editor):
    drafts_session("SF1")
    for status in ("draft", "issued"):
        response = editor.get(f"/actions?status={status}")
        assert response.status_code == 200
        assert re.search(rf'status={status}"[^>]*aria-current="true"', response.get_data(as_text=True))
