"""Batch pages: the list, one batch's rows, and actions started from a batch."""

import re

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import ActionSession, Guarantee, GuaranteeAction, ImportBatch
from guarantees.repositories import batches as repo
from guarantees.services import actions
from guarantees.services import imports as importer
from tests.conftest import build_xlsx as xlsx_bytes
from tests.web.conftest import csrf_from
from tests.web.test_imports import guarantee_rows

# The guarantees these tests extend expire on 2026-06-01: the register's day is fixed before that.
pytestmark = pytest.mark.usefixtures("before_expiry")


def imported_batch(*numbers, filename="list.xlsx", rows=None) -> ImportBatch:
    """Import a small workbook through the service; its batch."""
    result = importer.commit(xlsx_bytes(rows or guarantee_rows(*numbers)), filename, user="importer")
    return db.session.get(ImportBatch, result.batch_id)


def guarantee(number: str) -> Guarantee:
    return db.session.scalar(sa.select(Guarantee).where(Guarantee.guarantee_number == number))


def test_list_shows_type_date_file_user_counts(editor, make_guarantee):
    batch = imported_batch("B1", "B2", filename="monthly-july.xlsx")
    make_guarantee("HAND1")
    response = editor.get("/batches")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert "monthly-july.xlsx" in html and "Excel import" in html and "Manual entry" in html
    assert f'href="/batches/{batch.id}"' in html and "importer" in html
    row = html.split(f'href="/batches/{batch.id}"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r'class="num" dir="auto">2<', row)

    only_excel = editor.get("/batches?type=excel_import", htmx=True).get_data(as_text=True)
    assert "<html" not in only_excel and "monthly-july.xlsx" in only_excel and "Manual entry" not in only_excel
    assert "monthly-july.xlsx" not in editor.get("/batches?type=manual_batch").get_data(as_text=True)
    assert editor.get("/batches?type=nonsense").status_code == 200


def test_list_pages(app, viewer):
    for i in range(3):
        imported_batch(f"PG{i}", filename=f"file-{i}.xlsx")
    page = repo.list_batches(per_page=2)
    assert page.total == 3 and page.pages == 2 and len(page.items) == 2 and page.has_next
    assert repo.list_batches(per_page=2, page=9).page == 2  # clamped
    html = viewer.get("/batches").get_data(as_text=True)
    assert "file-0.xlsx" in html and "file-2.xlsx" in html


def test_batch_page_lists_rows_with_links_outcomes_and_diffs(editor, make_guarantee):
    make_guarantee("OLD1", amount="500.00")
    rows = [
        ["BANK GUARANTEE NUMBER", "SUPPLIER", "BANK NAME", "AMOUNT", "EXPIRY DATE"],
        ["NEW1", "Lana Medical Company", "Riyad Bank", 1000, "2026-06-01"],
        ["OLD1", "", "", 750, ""],
    ]
    batch = imported_batch(rows=rows, filename="updates.xlsx")
    response = editor.get(f"/batches/{batch.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html and "updates.xlsx" in html
    assert f'href="/guarantees/{guarantee("NEW1").id}"' in html and f'href="/guarantees/{guarantee("OLD1").id}"' in html
    assert "badge-created" in html and "badge-updated" in html
    assert '<del dir="auto">500.00</del>' in html and '<ins dir="auto">750.00</ins>' in html
    assert "Lana Medical Company" in html and "Riyad Bank" in html and "1,000.00 SAR" in html
    assert 'name="do" value="extend_all"' in html and 'name="guarantee_id"' in html

    fragment = editor.get(f"/batches/{batch.id}", htmx=True).get_data(as_text=True)
    assert "<html" not in fragment and 'id="batch-rows"' in fragment and "NEW1" in fragment


def test_viewer_sees_no_action_buttons(viewer):
    batch = imported_batch("VW1")
    html = viewer.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert "VW1" in html and 'value="extend_all"' not in html and 'name="guarantee_id"' not in html


def test_unknown_batch_is_404(editor):
    assert editor.get("/batches/999999").status_code == 404
    assert editor.post("/batches/999999/actions", data={"do": "extend_all"}).status_code == 404
    assert editor.get("/batches/today-not-a-number").status_code == 404


def test_extend_all_prepares_a_session_of_drafts(editor):
    batch = imported_batch("EX1", "EX2", "EX3")
    actions.release(guarantee("EX3").id, user="someone")
    response = editor.post(f"/batches/{batch.id}/actions", data={"do": "extend_all"})
    assert response.status_code == 303
    session = db.session.scalars(sa.select(ActionSession)).one()
    assert response.headers["Location"] == f"/actions/{session.id}"
    drafts = db.session.scalars(sa.select(GuaranteeAction).where(GuaranteeAction.action_session_id == session.id)).all()
    assert sorted(a.guarantee_number for a in drafts) == ["EX1", "EX2"]
    assert {a.action_type for a in drafts} == {"extension"} and {a.action_status for a in drafts} == {"draft"}
    assert all(a.new_expiry_date.isoformat() == "2027-06-01" for a in drafts)  # expiry + 1 year
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 draft actions prepared" in page and "1 guarantee was left out" in page


def test_release_selected(editor):
    batch = imported_batch("RS1", "RS2")
    chosen = guarantee("RS2").id
    response = editor.post(f"/batches/{batch.id}/actions", data={"do": "release_selected", "guarantee_id": [chosen]})
    assert response.status_code == 303
    (draft,) = db.session.scalars(sa.select(GuaranteeAction)).all()
    assert draft.guarantee_id == chosen and draft.action_type == "release" and draft.action_status == "draft"
    assert guarantee("RS2").status == "active"  # a draft changes nothing yet


def test_selection_outside_the_batch_is_ignored(editor):
    batch = imported_batch("IN1")
    other = imported_batch("OUT1", filename="other.xlsx")
    assert other.id != batch.id
    response = editor.post(
        f"/batches/{batch.id}/actions", data={"do": "extend_selected", "guarantee_id": [guarantee("OUT1").id]}
    )
    assert response.status_code == 422 and "Select at least one guarantee" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionSession)) == 0


def test_refusals_are_explained_and_write_nothing(editor):
    batch = imported_batch("RF1")
    actions.release(guarantee("RF1").id, user="someone")
    response = editor.post(f"/batches/{batch.id}/actions", data={"do": "extend_all"})
    assert response.status_code == 422
    assert "No guarantee of this batch can be extended" in response.get_data(as_text=True)
    release = {"do": "release_selected", "guarantee_id": [guarantee("RF1").id]}
    refused = editor.post(f"/batches/{batch.id}/actions", data=release)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "released" in html and "<html" in html
    fragment = editor.post(f"/batches/{batch.id}/actions", data=release, htmx=True)
    assert fragment.status_code == 422 and "<html" not in fragment.get_data(as_text=True)
    assert editor.post(f"/batches/{batch.id}/actions", data={"do": "bogus"}).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionSession)) == 0


def test_htmx_start_redirects_the_whole_page(editor):
    batch = imported_batch("HX1")
    response = editor.post(f"/batches/{batch.id}/actions", data={"do": "extend_all"}, htmx=True)
    session = db.session.scalars(sa.select(ActionSession)).one()
    assert response.status_code == 204 and response.headers["HX-Redirect"] == f"/actions/{session.id}"


def test_writes_are_refused_to_viewers_anonymous_and_without_csrf(app, editor, viewer):
    batch = imported_batch("RW1")
    target = f"/batches/{batch.id}/actions"
    assert viewer.post(target, data={"do": "extend_all"}).status_code == 403
    assert editor.post(target, data={"do": "extend_all"}, csrf=False).status_code == 400
    anonymous = app.test_client()
    assert anonymous.get(f"/batches/{batch.id}").headers["Location"].startswith("/login")
    token = csrf_from(anonymous.get("/login").get_data(as_text=True))
    response = anonymous.post(target, data={"do": "extend_all", "csrf_token": token})
    assert response.status_code == 303 and "/login" in response.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionSession)) == 0


def test_batch_content_is_escaped(editor):
    rows = [
        ["BANK GUARANTEE NUMBER", "SUPPLIER", "BANK NAME", "AMOUNT"],
        ["ESC1", "<script>x</script>", "<img src=x>", 100],
    ]
    batch = imported_batch(rows=rows, filename="<b>evil</b>.xlsx")
    html = editor.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    assert "&lt;img src=x&gt;" in html and "<b>evil</b>" not in html


def test_hostile_list_parameters_are_explained(viewer):
    imported_batch("HB1")
    response = viewer.get("/batches?type=%3Cx%3E&page=-7", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Ignored an unknown batch type." in html and "Ignored page=-7" in html
    assert "<x>" not in html


def test_hostile_batch_ids_and_pages(editor):
    batch = imported_batch("HB2")
    assert editor.get("/batches/99999999999999999999").status_code == 404
    assert editor.post("/batches/99999999999999999999/actions", data={"do": "extend_all"}).status_code == 404
    response = editor.get(f"/batches/{batch.id}?page=abc")
    assert response.status_code == 200 and "Ignored page=abc" in response.get_data(as_text=True)
    selected = {"do": "extend_selected", "guarantee_id": ["99999999999999999999", "x"]}
    refused = editor.post(f"/batches/{batch.id}/actions", data=selected)
    assert refused.status_code == 422 and "Select at least one guarantee." in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionSession)) == 0
