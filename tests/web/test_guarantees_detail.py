"""One guarantee: the page, click-to-edit fields with optimistic concurrency, and extension/release/reduction."""

import json
import re

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Guarantee, GuaranteeAction, GuaranteeEdit
from guarantees.services import actions
from guarantees.services import guarantees as service
from tests.web.conftest import csrf_from

# The guarantees these tests extend expire on 2026-06-01: the register's day is fixed before that.
pytestmark = pytest.mark.usefixtures("before_expiry")

SCRIPT = "<script>alert(1)</script>"


def current(guarantee_id: int) -> Guarantee:
    db.session.expire_all()
    return db.session.get(Guarantee, guarantee_id)


def toast_of(response) -> dict:
    return json.loads(response.headers["HX-Trigger"])["toast"]


def test_page_shows_every_field_and_is_a_fragment_for_htmx(viewer, make_guarantee):
    guarantee = make_guarantee("OG/CC056181", raw_supplier_name="مؤسسة لانا الطبية", po_number="421378")
    page = viewer.get(f"/guarantees/{guarantee.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "OG/CC056181" in html
    assert "مؤسسة لانا الطبية" in html and "421378" in html and "25,200.00" in html
    assert 'id="field-raw_supplier_name"' in html and 'dir="auto"' in html
    part = viewer.get(f"/guarantees/{guarantee.id}", htmx=True)
    fragment = part.get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith('<article id="guarantee"')
    assert "HX-Request" in part.headers["Vary"]


def test_missing_guarantee_is_404(viewer):
    assert viewer.get("/guarantees/999999").status_code == 404
    assert viewer.get("/guarantees/999999", htmx=True).status_code == 404
    assert viewer.get("/guarantees/999999/fields/comment").status_code == 404


def test_viewers_get_no_edit_controls(viewer, make_guarantee):
    guarantee = make_guarantee("V-1")
    html = viewer.get(f"/guarantees/{guarantee.id}").get_data(as_text=True)
    assert "/fields/comment/edit" not in html and "Issue extension" not in html
    assert "cannot issue letters" not in html and "not issue letters" in html


def test_detail_escapes_names(editor, make_guarantee):
    guarantee = make_guarantee("XSS-1", raw_supplier_name=SCRIPT, comment=SCRIPT)
    for path in (f"/guarantees/{guarantee.id}", f"/guarantees/{guarantee.id}?view=legacy"):
        html = editor.get(path).get_data(as_text=True)
        assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_edit_form_fragment_targets_itself(editor, make_guarantee):
    guarantee = make_guarantee("ED-1", comment="first")
    response = editor.get(f"/guarantees/{guarantee.id}/fields/comment/edit", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'hx-target="this"' in html and 'hx-swap="outerHTML"' in html and "data-inline-edit" in html
    assert f'hx-put="/guarantees/{guarantee.id}/fields/comment"' in html
    assert 'name="version" value="1"' in html and 'value="first"' in html and "data-cancel" in html
    cancel = editor.get(f"/guarantees/{guarantee.id}/fields/comment", htmx=True).get_data(as_text=True)
    assert "first" in cancel and "<form" not in cancel


def test_edit_without_htmx_shows_the_page_with_the_form(editor, make_guarantee):
    guarantee = make_guarantee("ED-2")
    html = editor.get(f"/guarantees/{guarantee.id}/fields/comment/edit").get_data(as_text=True)
    assert "<html" in html and "data-inline-edit" in html
    assert editor.get(f"/guarantees/{guarantee.id}/fields/comment").status_code == 303


def test_unknown_field_is_404(editor, make_guarantee):
    guarantee = make_guarantee("ED-3")
    assert editor.get(f"/guarantees/{guarantee.id}/fields/status/edit", htmx=True).status_code == 404
    assert editor.get(f"/guarantees/{guarantee.id}/fields/version/edit", htmx=True).status_code == 404
    response = editor.client.put(
        f"/guarantees/{guarantee.id}/fields/guarantee_number",
        data={"value": "NEW", "version": 1},
        headers={"X-CSRFToken": editor.token, "HX-Request": "true"},
    )
    assert response.status_code == 404


def put(client, guarantee_id, field, value, version):
    return client.client.put(
        f"/guarantees/{guarantee_id}/fields/{field}",
        data={"value": value, "version": version},
        headers={"X-CSRFToken": client.token, "HX-Request": "true"},
    )


def test_saving_a_field_returns_it_read_only_with_the_new_version_everywhere(editor, make_guarantee):
    guarantee = make_guarantee("SV-1", amount="100")
    response = put(editor, guarantee.id, "amount", "1,250.5", 1)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<dd id="field-amount"') and "1,250.50" in html
    # Out of band: the header, every hidden version input, and the timeline with the edit.
    assert 'id="guarantee-header" hx-swap-oob="true"' in html and "version 2" in html
    assert 'value="2" class="guarantee-version" hx-swap-oob="outerHTML:input.guarantee-version"' in html
    assert 'id="history"' in html and '<del dir="auto">100.00</del>' in html
    assert toast_of(response) == {"message": "Amount saved.", "level": "success"}
    saved = current(guarantee.id)
    assert str(saved.amount) == "1250.50" and saved.version == 2
    edit = db.session.scalar(sa.select(GuaranteeEdit))
    assert (edit.field, edit.old_value, edit.new_value, edit.edited_by) == (
        "amount",
        "100.00",
        "1250.50",
        "editor-user",
    )


def test_saving_the_same_value_changes_nothing(editor, make_guarantee):
    guarantee = make_guarantee("SV-2", comment="same")
    response = put(editor, guarantee.id, "comment", "same", 1)
    assert response.status_code == 200 and toast_of(response)["message"] == "Nothing changed."
    assert current(guarantee.id).version == 1


def test_a_bad_value_is_refused_inline(editor, make_guarantee):
    guarantee = make_guarantee("BAD-1")
    response = put(editor, guarantee.id, "amount", "abc", 1)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html and "data-inline-edit" in html
    assert 'class="error" role="alert"' in html and "Amount:" in html and 'value="abc"' in html
    assert toast_of(response)["level"] == "error"
    for field, value, message in (
        ("expiry_date", "31/02/2026", "Expiry date"),
        ("currency", "RIYAL", "three-letter"),
        ("raw_supplier_name", "", "cannot be emptied"),
        ("related_to", "friendship", "Related to"),
    ):
        response = put(editor, guarantee.id, field, value, 1)
        assert response.status_code == 422 and message in response.get_data(as_text=True), field
    assert current(guarantee.id).version == 1


def test_a_missing_version_is_refused(editor, make_guarantee):
    guarantee = make_guarantee("BAD-2")
    response = put(editor, guarantee.id, "comment", "x", "")
    assert response.status_code == 422 and "missing its version" in response.get_data(as_text=True)


def test_a_stale_version_is_a_conflict_explained_with_the_current_value(editor, make_guarantee):
    guarantee = make_guarantee("CF-1", comment="theirs")
    service.update(guarantee.id, {"comment": "someone else's"}, expected_version=1, user="other")
    response = put(editor, guarantee.id, "comment", "mine", 1)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "<html" not in html
    assert "changed by someone else" in html and "Current value: someone else&#39;s." in html
    assert 'value="mine"' in html and 'name="version" value="2"' in html
    assert "Current value: someone else's." in toast_of(response)["message"]
    assert current(guarantee.id).comment == "someone else's"
    assert put(editor, guarantee.id, "comment", "mine", 2).status_code == 200


def test_locked_fields_are_read_only_with_the_reason(editor, make_guarantee):
    guarantee = make_guarantee("LK-1")
    actions.extend(guarantee.id, user="tester")
    html = editor.get(f"/guarantees/{guarantee.id}").get_data(as_text=True)
    assert "locked: it has an issued extension letter" in html
    assert "/fields/raw_supplier_name/edit" not in html and "/fields/comment/edit" in html
    response = editor.get(f"/guarantees/{guarantee.id}/fields/raw_supplier_name/edit", htmx=True)
    assert response.status_code == 409 and "cannot change" in toast_of(response)["message"]
    response = editor.get(f"/guarantees/{guarantee.id}/fields/raw_supplier_name/edit")
    assert response.status_code == 303 and "cannot change" in editor.get(response.headers["Location"]).get_data(
        as_text=True
    )
    version = current(guarantee.id).version
    response = put(editor, guarantee.id, "raw_supplier_name", "Someone New", version)
    assert response.status_code == 422 and "cannot change because it has an issued extension letter" in (
        response.get_data(as_text=True)
    )
    assert put(editor, guarantee.id, "comment", "still editable", version).status_code == 200


def test_released_guarantee_is_read_only_and_says_released(editor, make_guarantee):
    guarantee = make_guarantee("LK-2")
    actions.release(guarantee.id, user="tester")
    html = editor.get(f"/guarantees/{guarantee.id}").get_data(as_text=True)
    assert "locked: released" in html and "/edit" not in html and "Issue extension" not in html
    assert "has been released. A release is final" in html


def test_plain_post_saves_and_redirects(editor, make_guarantee):
    guarantee = make_guarantee("PP-1")
    response = editor.post(f"/guarantees/{guarantee.id}/fields/comment", data={"value": "by form", "version": 1})
    assert response.status_code == 303 and response.headers["Location"] == f"/guarantees/{guarantee.id}"
    assert "Comment saved." in editor.get(f"/guarantees/{guarantee.id}").get_data(as_text=True)
    response = editor.post(f"/guarantees/{guarantee.id}/fields/amount", data={"value": "x", "version": 2})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" in html and 'name="value" value="x"' in html and "Amount:" in html


def write_requests(guarantee_id: int) -> list[tuple[str, str, dict]]:
    return [
        ("GET", f"/guarantees/{guarantee_id}/fields/comment/edit", {}),
        ("PUT", f"/guarantees/{guarantee_id}/fields/comment", {"value": "x", "version": 1}),
        ("POST", f"/guarantees/{guarantee_id}/fields/comment", {"value": "x", "version": 1}),
        ("POST", f"/guarantees/{guarantee_id}/extend", {"version": 1}),
        ("POST", f"/guarantees/{guarantee_id}/reduce", {"version": 1, "new_amount": "1"}),
        ("POST", f"/guarantees/{guarantee_id}/release", {"version": 1}),
    ]


def test_every_write_is_refused_to_viewers(viewer, make_guarantee):
    guarantee = make_guarantee("RO-1")
    for method, path, data in write_requests(guarantee.id):
        headers = {"X-CSRFToken": viewer.token}
        response = viewer.client.open(path, method=method, data=data, headers=headers)
        assert response.status_code == 403, (method, path)
    saved = current(guarantee.id)
    assert saved.version == 1 and saved.comment is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GuaranteeAction)) == 0


def test_every_write_sends_anonymous_users_to_sign_in(client, make_guarantee):
    guarantee = make_guarantee("RO-2")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    for method, path, data in write_requests(guarantee.id):
        response = client.open(path, method=method, data=data, headers={"X-CSRFToken": token})
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"], (method, path)
    assert current(guarantee.id).version == 1


def test_every_write_needs_the_csrf_token(editor, make_guarantee):
    guarantee = make_guarantee("RO-3")
    for method, path, data in write_requests(guarantee.id):
        if method == "GET":
            continue
        response = editor.client.open(path, method=method, data=data, headers={"HX-Request": "true"})
        assert response.status_code == 400, (method, path)
    assert current(guarantee.id).version == 1


def test_extension_defaults_to_a_year_later_and_rerenders_the_guarantee(editor, make_guarantee):
    guarantee = make_guarantee("EX-1", expiry_date="2026-06-01")
    html = editor.get(f"/guarantees/{guarantee.id}").get_data(as_text=True)
    assert 'name="new_expiry" value="2027-06-01"' in html
    assert "must be later than the current expiry, 2026-06-01" in html and "plus one year" in html
    response = editor.confirmed(f"/guarantees/{guarantee.id}/extend", data={"version": 1, "notes": "yearly"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<article id="guarantee"')
    assert "<html" not in html and "Extension" in html and '<ins dir="auto">2027-06-01</ins>' in html
    assert toast_of(response)["message"] == "Extension issued."
    assert current(guarantee.id).expiry_date.isoformat() == "2027-06-01"


def test_extension_to_an_earlier_date_is_refused_inline(editor, make_guarantee):
    guarantee = make_guarantee("EX-2", expiry_date="2026-06-01")
    response = editor.post(
        f"/guarantees/{guarantee.id}/extend", data={"version": 1, "new_expiry": "2026-05-01"}, htmx=True
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "<html" not in html
    assert "is not after the current expiry 2026-06-01" in html and 'value="2026-05-01"' in html
    assert "is not after" in toast_of(response)["message"]
    response = editor.post(f"/guarantees/{guarantee.id}/extend", data={"version": 1, "new_expiry": "soon"}, htmx=True)
    assert response.status_code == 422 and "Expiry date" in response.get_data(as_text=True)
    assert current(guarantee.id).expiry_date.isoformat() == "2026-06-01"


def test_reduction_must_lower_the_amount_and_stay_positive(editor, make_guarantee):
    guarantee = make_guarantee("RD-1", amount="1000")
    html = editor.get(f"/guarantees/{guarantee.id}").get_data(as_text=True)
    assert "more than zero and less than the current 1,000.00 SAR" in html
    for amount, status in (("1500", 409), ("0", 409), ("abc", 422), ("", 422)):
        response = editor.post(
            f"/guarantees/{guarantee.id}/reduce", data={"version": 1, "new_amount": amount}, htmx=True
        )
        assert response.status_code == status, amount
    response = editor.confirmed(
        f"/guarantees/{guarantee.id}/reduce", data={"version": 1, "new_amount": "400"}, htmx=True
    )
    assert response.status_code == 200 and toast_of(response)["message"] == "Reduction issued."
    assert str(current(guarantee.id).amount) == "400.00"


def test_release_once_then_nothing_more(editor, make_guarantee):
    guarantee = make_guarantee("RL-1")
    html = editor.get(f"/guarantees/{guarantee.id}").get_data(as_text=True)
    assert "released once" in html and "no extension, no reduction, no second release" in html
    response = editor.confirmed(f"/guarantees/{guarantee.id}/release", data={"version": 1}, htmx=True)
    assert response.status_code == 200 and "has been released" in response.get_data(as_text=True)
    version = current(guarantee.id).version
    for path in ("release", "extend"):
        response = editor.post(f"/guarantees/{guarantee.id}/{path}", data={"version": version}, htmx=True)
        assert response.status_code == 409 and "has been released" in toast_of(response)["message"], path
    stale = editor.post(f"/guarantees/{guarantee.id}/release", data={"version": 1}, htmx=True)
    assert stale.status_code == 409 and "changed by someone else" in toast_of(stale)["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GuaranteeAction)) == 1


def test_actions_without_htmx_redirect_with_a_flash(editor, make_guarantee):
    guarantee = make_guarantee("NJ-1")
    response = editor.confirmed(f"/guarantees/{guarantee.id}/extend", data={"version": 1})
    assert response.status_code == 303 and response.headers["Location"] == f"/guarantees/{guarantee.id}"
    assert "Extension issued." in editor.get(f"/guarantees/{guarantee.id}").get_data(as_text=True)
    refused = editor.post(f"/guarantees/{guarantee.id}/extend", data={"version": 1})
    assert refused.status_code == 409 and "<html" in refused.get_data(as_text=True)


def test_actions_on_a_missing_guarantee_are_404(editor):
    for path in ("extend", "release", "reduce"):
        assert editor.post(f"/guarantees/999999/{path}", data={"version": 1}).status_code == 404


def test_raw_legacy_view_shows_every_column(editor, make_guarantee):
    guarantee = make_guarantee("LG-1")
    response = editor.get(f"/guarantees/{guarantee.id}?view=legacy", htmx=True)
    html = response.get_data(as_text=True)
    assert "<html" not in html and html.lstrip().startswith('<section id="history"')
    for column in ("session_id", "raw_supplier_name", "normalized_supplier", "decision_result", "record_type",
                   "migrated_guarantee_id", "import_batch_id"):  # fmt: skip
        assert f'<th scope="col">{column}</th>' in html
    assert re.search(r"<td dir=\"auto\">import</td>", html)


def test_a_long_timeline_opens_on_its_newest_entries(viewer, make_guarantee, monkeypatch):
    from guarantees.web import guarantees as pages

    monkeypatch.setattr(pages, "TIMELINE_SHOWN", 3)
    guarantee = make_guarantee("LONG-1")
    for step in range(5):
        service.update(guarantee.id, {"comment": f"note {step}"}, expected_version=1 + step, user="clerk")
    html = viewer.get(f"/guarantees/{guarantee.id}").get_data(as_text=True)
    shown = [step for step in range(5) if f"note {step}</ins>" in html]
    assert shown == [2, 3, 4] and "Imported" not in html
    assert "Show the 3 earlier entries" in html
    link = re.search(r'hx-get="([^"]*history=all[^"]*)"', html).group(1).replace("&amp;", "&")
    fragment = viewer.get(link, htmx=True).get_data(as_text=True)
    assert "<html" not in fragment and "Imported" in fragment
    assert [step for step in range(5) if f"note {step}</ins>" in fragment] == [0, 1, 2, 3, 4]
    assert "earlier entr" not in fragment


def test_hostile_action_forms_are_refused_and_write_nothing(editor, make_guarantee):
    guarantee = make_guarantee("HA-1", amount="1000", expiry_date="2027-01-01")
    for path, data, message in (
        ("extend", {"version": "abc", "new_expiry": "2028-01-01"}, "missing its version"),
        ("extend", {"version": "1" * 40, "new_expiry": "2028-01-01"}, "missing its version"),
        ("extend", {"version": 1, "new_expiry": "9" * 200}, "Expiry date"),
        ("reduce", {"version": 1, "new_amount": "1e999"}, "Amount"),
        ("reduce", {"version": 1, "new_amount": "NaN"}, "Amount"),
        ("release", {"version": 1, "notes": "n" * 5000}, "Notes"),
    ):
        response = editor.post(f"/guarantees/{guarantee.id}/{path}", data=data, htmx=True)
        assert response.status_code == 422 and message in response.get_data(as_text=True), (path, data)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GuaranteeAction)) == 0
    assert current(guarantee.id).version == 1


def test_hostile_field_edits_are_refused(editor, make_guarantee):
    guarantee = make_guarantee("HF-1")
    for field, value in (("amount", "1" * 5000), ("issue_date", "0000-00-00"), ("comment", "c" * 5000)):
        assert put(editor, guarantee.id, field, value, 1).status_code == 422, field
    assert put(editor, guarantee.id, "comment", "ok", "9" * 30).status_code == 422
    assert current(guarantee.id).version == 1


def test_garbage_view_parameters_show_the_timeline(viewer, make_guarantee):
    guarantee = make_guarantee("GV-1")
    response = viewer.get(f"/guarantees/{guarantee.id}?view=%00&history=%F0%9F%92%A3")
    assert response.status_code == 200 and "GV-1" in response.get_data(as_text=True)
