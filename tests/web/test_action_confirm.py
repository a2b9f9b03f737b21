"""Through the pages: the confirmation before anything irreversible (one action, issue all, a release), four-eyes on
the guarantee page, the admin's override of the expired rule, bulk extensions that leave guarantees out, and the
date and amount rules of the entry form and the inline edit."""

import json
import re
from datetime import date

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import ActionSession, Bank, Guarantee, GuaranteeAction
from guarantees.services import actions
from guarantees.services import guarantees as service
from tests.web.conftest import confirmation_form

# The register's day: 2026-01-15, before the default guarantees expire (2026-06-01).
pytestmark = pytest.mark.usefixtures("before_expiry")


def current(guarantee_id: int) -> Guarantee:
    db.session.expire_all()
    return db.session.get(Guarantee, guarantee_id)


def issued_count() -> int:
    db.session.expire_all()
    query = sa.select(sa.func.count()).select_from(GuaranteeAction).where(GuaranteeAction.action_status == "issued")
    return db.session.scalar(query)


def toast_of(response) -> dict:
    return json.loads(response.headers["HX-Trigger"])["toast"]


def add_riyad_bank() -> None:
    db.session.add(Bank(official_name="Riyad Bank", official_name_en="Riyad Bank", address_line_1="PO Box 22622"))
    db.session.commit()


def test_a_release_is_confirmed_first_and_says_what_will_be_sent(editor, make_guarantee):
    g = make_guarantee("CR-1", amount="25200")
    page = editor.get(f"/guarantees/{g.id}").get_data(as_text=True)
    assert "hx-confirm" not in page and 'id="confirm-release"' in page and 'id="issue-release"' in page
    response = editor.post(f"/guarantees/{g.id}/release", data={"version": 1, "notes": "closed"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert response.headers["HX-Retarget"] == "#confirm-release" and response.headers["HX-Reswap"] == "innerHTML"
    assert html.lstrip().startswith('<section class="confirm card" id="confirm-box-release" data-confirm')
    assert "Issue this release letter? A release is final." in html
    assert "1 letter will be sent to the bank:" in html and "Release" in html
    assert "Riyad Bank</bdi> · 1 letter" in html and "25,200.00 SAR" in html and "CR-1" in html
    assert 'data-warning="no-address"' in html and 'data-warning="expired"' not in html
    assert 'data-return-focus="issue-release"' in html and "autofocus" in html
    assert f'href="/guarantees/{g.id}" data-confirm-cancel' in html and "Confirm and issue" in html
    assert current(g.id).status == "active" and issued_count() == 0
    action, fields = confirmation_form(html)
    assert action == f"/guarantees/{g.id}/release" and fields["notes"] == "closed" and fields["version"] == "1"
    done = editor.post(action, data=fields, htmx=True)
    assert done.status_code == 200 and toast_of(done)["message"] == "Release issued."
    assert current(g.id).status == "released" and issued_count() == 1


def test_without_javascript_the_confirmation_is_part_of_the_whole_page(editor, make_guarantee):
    g = make_guarantee("CR-2")
    response = editor.post(f"/guarantees/{g.id}/extend", data={"version": 1})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert re.search(r'<div id="confirm-extension" class="confirm-slot">\s*<section class="confirm card"', html)
    assert "Issue this extension letter?" in html and "2027-06-01" in html
    action, fields = confirmation_form(html)
    assert fields["new_expiry"] == "2027-06-01"
    done = editor.post(action, data=fields)
    assert done.status_code == 303 and done.headers["Location"] == f"/guarantees/{g.id}"
    assert current(g.id).expiry_date == date(2027, 6, 1)


def test_a_confirmation_no_longer_true_is_refused(editor, make_guarantee):
    g = make_guarantee("CR-3")
    action, fields = confirmation_form(editor.post(f"/guarantees/{g.id}/extend", data={"version": 1}).get_data(True))
    # someone edits the guarantee in between: the version the confirmation carries is stale
    service.update(g.id, {"comment": "changed"}, expected_version=1, user="other")
    stale = editor.post(action, data=fields, htmx=True)
    assert stale.status_code == 409 and "changed by someone else" in toast_of(stale)["message"]
    # a confirmation whose date was altered is not the one shown: shown again, with the reason
    fields = {**fields, "version": 2, "new_expiry": "2028-01-01"}
    again = editor.post(action, data=fields, htmx=True)
    html = again.get_data(as_text=True)
    assert again.status_code == 409 and "What you confirmed has changed" in html and "2028-01-01" in html
    assert issued_count() == 0
    _action, fresh = confirmation_form(html)
    assert editor.post(action, data=fresh, htmx=True).status_code == 200
    assert current(g.id).expiry_date == date(2028, 1, 1)


def test_issue_all_is_confirmed_with_banks_totals_and_warnings(app, editor, make_guarantee):
    add_riyad_bank()
    ids = [
        make_guarantee("IA-1", amount="1000").id,
        make_guarantee("IA-2", amount="500.25").id,
        make_guarantee("IA-3", amount="300", currency="USD", raw_bank_name="Alinma Bank", expiry_date="2026-02-01").id,
    ]
    session = actions.start_session(ids, "extension", user="preparer")
    app.config["TODAY"] = date(2026, 2, 10)  # IA-3 has expired since its draft was made
    page = editor.get(f"/actions/{session.id}").get_data(as_text=True)
    assert 'id="issue-all"' in page and f'hx-post="/actions/{session.id}/issue"' in page
    response = editor.post(f"/actions/{session.id}/issue", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["HX-Retarget"] == "#confirm-session"
    assert "Issue all 3 letters of this session?" in html and "3 letters will be sent to the banks:" in html
    assert "Alinma Bank</bdi> · 1 letter" in html and "Riyad Bank</bdi> · 2 letters" in html
    assert "1,500.25 SAR" in html and "300.00 USD" in html
    assert 'data-warning="expired"' in html and "IA-3</bdi> (expired on 2026-02-01)" in html
    assert 'data-warning="no-address"' in html and 'data-warning="past-date"' not in html
    action, fields = confirmation_form(html)
    refused = editor.post(action, data=fields)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "IA-3: Guarantee IA-3 expired on 2026-02-01" in text
    assert "Nothing was issued" in text and issued_count() == 0
    # IA-3 is taken out: the confirmation shown before is no longer what would be sent
    (ia3,) = [a for a in db.session.scalars(sa.select(GuaranteeAction)) if a.guarantee_number == "IA-3"]
    actions.remove_draft(ia3.id, user="preparer")
    stale = editor.post(action, data=fields)
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "What you confirmed has changed" in html and "<html" in html
    assert "2 letters will be sent" in html and 'data-warning="no-address"' not in html
    action, fields = confirmation_form(html)
    done = editor.post(action, data=fields)
    assert done.status_code == 303 and issued_count() == 2
    assert db.session.get(ActionSession, session.id).is_locked


def test_four_eyes_turns_a_direct_release_into_a_draft_that_another_person_issues(
    app, editor, signed_in, make_guarantee
):
    app.config["FOUR_EYES"] = True
    g = make_guarantee("FE-1")
    page = editor.get(f"/guarantees/{g.id}").get_data(as_text=True)
    assert "Prepare release" in page and "each letter below is prepared as a draft" in page
    response = editor.post(f"/guarantees/{g.id}/release", data={"version": 1}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<article id="guarantee"')
    assert toast_of(response)["message"] == (
        "Release prepared as a draft: another editor or administrator must issue it (four-eyes rule)."
    )
    assert current(g.id).status == "active" and issued_count() == 0
    (draft,) = db.session.scalars(sa.select(GuaranteeAction)).all()
    assert "A draft release prepared by editor-user" in html and f"session {draft.action_session_id}" in html
    assert "someone other than editor-user, who prepared it, must issue it" in html
    assert 'data-rule="preparer"' in html and f'id="issue-draft-{draft.id}"' not in html
    path = f"/guarantees/{g.id}/drafts/{draft.id}/issue"
    refused = editor.post(path, htmx=True)
    assert refused.status_code == 409 and "Four-eyes rule: editor-user prepared this" in toast_of(refused)["message"]
    assert editor.confirmed(path).status_code == 409 and issued_count() == 0

    second = signed_in("editor", "second-editor")
    page = second.get(f"/guarantees/{g.id}").get_data(as_text=True)
    assert f'id="issue-draft-{draft.id}"' in page and "Issue this release" in page
    assert 'data-rule="preparer"' not in page
    whole = second.post(path).get_data(as_text=True)  # without JavaScript: the page, the confirmation in its slot
    assert "<html" in whole and re.search(rf'id="confirm-draft-{draft.id}" class="confirm-slot">\s*<section', whole)
    confirm = second.post(path, htmx=True)
    assert confirm.status_code == 200 and confirm.headers["HX-Retarget"] == f"#confirm-draft-{draft.id}"
    assert "Issue this release letter?" in confirm.get_data(as_text=True)
    done = second.confirmed(path, htmx=True)
    assert done.status_code == 200 and toast_of(done)["message"] == "Release issued."
    assert current(g.id).status == "released"
    issued = db.session.get(GuaranteeAction, draft.id)
    assert (issued.action_status, issued.created_by, issued.issued_by) == ("issued", "editor-user", "second-editor")
    assert "Drafts waiting to be issued" not in second.get(f"/guarantees/{g.id}").get_data(as_text=True)
    assert second.post(f"/guarantees/{g.id}/drafts/999999/issue").status_code == 404


def test_four_eyes_off_issues_directly_after_the_confirmation(editor, make_guarantee):
    g = make_guarantee("FE-2")
    assert "Issue release" in editor.get(f"/guarantees/{g.id}").get_data(as_text=True)
    assert editor.confirmed(f"/guarantees/{g.id}/release", data={"version": 1}).status_code == 303
    assert current(g.id).status == "released"


def test_only_an_admin_may_extend_an_expired_guarantee_and_the_reason_is_on_the_history(admin, editor, make_guarantee):
    g = make_guarantee("OV-1", expiry_date="2026-01-01")
    page = editor.get(f"/guarantees/{g.id}").get_data(as_text=True)
    assert 'data-warning="expired"' in page and "a bank does not extend a lapsed guarantee" in page
    assert 'name="override_reason"' not in page
    refused = editor.post(f"/guarantees/{g.id}/extend", data={"version": 1}, htmx=True)
    assert refused.status_code == 409 and "expired on 2026-01-01" in toast_of(refused)["message"]
    sneaked = editor.post(f"/guarantees/{g.id}/extend", data={"version": 1, "override_reason": "me"}, htmx=True)
    assert sneaked.status_code == 409 and "Only an administrator" in toast_of(sneaked)["message"]

    page = admin.get(f"/guarantees/{g.id}").get_data(as_text=True)
    assert 'name="override_reason"' in page and "As an administrator you may extend it anyway" in page
    data = {"version": 1, "override_reason": "Riyad Bank letter 77 agreed"}
    confirm = admin.post(f"/guarantees/{g.id}/extend", data=data, htmx=True).get_data(as_text=True)
    assert "Override reason" in confirm and "Riyad Bank letter 77 agreed" in confirm
    assert 'data-warning="expired"' in confirm and "override: Riyad Bank letter 77 agreed" in confirm
    done = admin.confirmed(f"/guarantees/{g.id}/extend", data=data, htmx=True)
    assert done.status_code == 200 and current(g.id).expiry_date == date(2027, 1, 1)
    history = admin.get(f"/guarantees/{g.id}").get_data(as_text=True)
    assert re.search(r"data-override>override: Riyad Bank letter 77 agreed</div>", history)


def test_a_new_expiry_in_the_past_is_refused_in_place(admin, make_guarantee):
    g = make_guarantee("PD-1", expiry_date="2025-06-01")
    data = {"version": 1, "new_expiry": "2026-01-10", "override_reason": "bank agreed"}
    response = admin.post(f"/guarantees/{g.id}/extend", data=data, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "2026-01-10 is not after today, 2026-01-15" in html
    assert 'value="2026-01-10"' in html and issued_count() == 0


def test_extend_selected_on_the_list_says_which_were_left_out(editor, make_guarantee):
    ok = make_guarantee("BL-1")
    lapsed = make_guarantee("BL-2", expiry_date="2026-01-01")
    released = make_guarantee("BL-3")
    actions.release(released.id, user="clerk")
    data = {"ids": [ok.id, lapsed.id, released.id], "action": "extension"}
    response = editor.post("/guarantees/bulk", data=data)
    assert response.status_code == 303 and response.headers["Location"].startswith("/actions/")
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 guarantees were left out of the extension: BL-2 (expired: a bank does not extend a lapsed " in page
    assert "BL-3 (released: a release is final)" in page
    drafts = db.session.scalars(sa.select(GuaranteeAction).where(GuaranteeAction.action_status == "draft")).all()
    assert [d.guarantee_number for d in drafts] == ["BL-1"]
    refused = editor.post("/guarantees/bulk", data={"ids": [lapsed.id], "action": "extension"})
    assert refused.status_code == 303
    assert "1 guarantee was left out of the extension: BL-2" in editor.get("/guarantees").get_data(as_text=True)


def test_extend_all_of_a_batch_leaves_out_the_expired(app, editor):
    from tests.web.test_batches import imported_batch

    rows = [
        ["BANK GUARANTEE NUMBER", "SUPPLIER", "BANK NAME", "AMOUNT", "EXPIRY DATE"],
        ["XB-1", "Lana", "Riyad Bank", 100, "2026-06-01"],
        ["XB-2", "Lana", "Riyad Bank", 100, "2026-01-10"],
    ]
    batch = imported_batch(rows=rows)
    response = editor.post(f"/batches/{batch.id}/actions", data={"do": "extend_all"})
    assert response.status_code == 303
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 draft action prepared." in page
    assert "1 guarantee was left out of the extension: XB-2 (expired: a bank does not extend a lapsed" in page


def test_the_entry_form_refuses_an_expiry_before_the_issue_and_a_missing_amount(editor):
    entry = {"guarantee_number": "EN-1", "raw_supplier_name": "Lana", "raw_bank_name": "Riyad Bank", "amount": "10"}
    page = editor.get("/batches/today").get_data(as_text=True)
    assert "After the issue date." in page and "More than zero." in page
    response = editor.post("/batches/today", {**entry, "issue_date": "2026-12-01", "expiry_date": "2020-01-01"}, True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="entry-expiry_date-error"' in html
    assert "The expiry date 2020-01-01 is not after the issue date 2026-12-01" in html
    missing = editor.post("/batches/today", {**entry, "amount": ""}, htmx=True)
    text = missing.get_data(as_text=True)
    assert missing.status_code == 422 and 'id="entry-amount-error"' in text and "Amount is required" in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Guarantee)) == 0


def test_an_inline_edit_of_either_date_is_refused_in_place(editor, make_guarantee):
    g = make_guarantee("IE-1", issue_date="2026-01-01", expiry_date="2027-01-01")
    for field, value in (("expiry_date", "2025-12-01"), ("issue_date", "2027-02-01")):
        response = editor.client.put(
            f"/guarantees/{g.id}/fields/{field}",
            data={"value": value, "version": 1},
            headers={"X-CSRFToken": editor.token, "HX-Request": "true"},
        )
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and "is not after the issue date" in html, field
        assert f'value="{value}"' in html
    assert current(g.id).version == 1
