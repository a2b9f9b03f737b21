"""The paste box of today's page: preview on the import preview page, confirm into the day's pasted-rows batch,
refusals in place, roles and CSRF, Arabic."""

from __future__ import annotations

import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Guarantee, ImportBatch
from guarantees.services.paste import MAX_TEXT_BYTES
from tests.web.conftest import csrf_from

TEXT = (
    "BANK GUARANTEE NUMBER\tSUPPLIER\tBANK NAME\tAMOUNT\tEXPIRY DATE\r\n"
    "JLG1\tAcme Trading\tRiyad Bank\t1,000.00\t01/06/2026\r\n"
    "JLG2\tشركة النخبة\tالبنك الأهلي\t2,500\t\r\n"
    "JLG3\tNo Bank Co\t\t300\t\r\n"
)


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def previewed(client, text=TEXT) -> str:
    response = client.post("/batches/today/paste", data={"rows": text})
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]
    return response.headers["Location"]


def test_the_box_is_on_todays_page_for_editors_only(editor, viewer):
    html = editor.get("/batches/today").get_data(as_text=True)
    assert 'id="paste-box"' in html and 'name="rows"' in html and "header row" in html
    html = viewer.get("/batches/today").get_data(as_text=True)
    assert 'id="paste-box"' in html and 'name="rows"' not in html
    assert viewer.post("/batches/today/paste", data={"rows": TEXT}).status_code == 403
    assert count(ImportBatch) == 0


def test_preview_then_confirm_adds_the_valid_rows_to_the_days_pasted_batch(editor):
    location = previewed(editor)
    assert location.startswith("/imports/")
    html = editor.get(location).get_data(as_text=True)
    assert "Preview of pasted rows" in html and "Add 2 rows to today's batch" in html
    assert "JLG1" in html and "شركة النخبة" in html and "bank: required for a new guarantee" in html
    assert 'id="map-supplier"' in html and "no-header-warning" not in html
    assert count(Guarantee) == 0
    token = location.rsplit("/", 1)[1]
    response = editor.post(f"/imports/{token}/confirm")
    assert response.status_code == 303 and response.headers["Location"] == "/batches/today"
    batch = db.session.scalar(sa.select(ImportBatch))
    assert (batch.batch_type, batch.total_records) == ("text_paste", 2)
    html = editor.get("/batches/today").get_data(as_text=True)
    assert "Pasted rows added to today" in html and "batch: 2 new, 0 updated, 0 unchanged, 1 rejected." in html
    assert "2 rows pasted today" in html and f'href="/batches/{batch.id}"' in html
    # the kept paste is gone once imported
    assert editor.get(location).status_code == 404


def test_a_second_paste_joins_the_same_batch(editor):
    for text in (TEXT, "BG NO\tSUPPLIER\tBANK\tAMOUNT\r\nJLG9\tBeta\tSNB\t10\r\n"):
        token = previewed(editor, text).rsplit("/", 1)[1]
        assert editor.post(f"/imports/{token}/confirm").status_code == 303
    assert count(ImportBatch) == 1
    assert db.session.scalar(sa.select(ImportBatch.total_records)) == 3


def test_htmx_preview_goes_to_the_preview_page_and_a_refusal_stays_in_the_box(editor):
    response = editor.post("/batches/today/paste", data={"rows": TEXT}, htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/imports/")
    response = editor.post("/batches/today/paste", data={"rows": "JLG1\nJLG2\n"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html
    assert 'id="paste-box"' in html and "single column" in html and "JLG1\nJLG2" in html
    assert 'aria-invalid="true"' in html


def test_empty_and_oversized_pastes_are_refused_by_the_form(editor):
    response = editor.post("/batches/today/paste", data={"rows": "  \r\n"})
    assert response.status_code == 422 and "Paste the rows to preview first" in response.get_data(as_text=True)
    response = editor.post("/batches/today/paste", data={"rows": "a" * (MAX_TEXT_BYTES + 1)}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "larger than 2 MB" in html and "aaaa" not in html


def test_without_csrf_nothing_is_kept(editor, tmp_path):
    assert editor.post("/batches/today/paste", data={"rows": TEXT}, csrf=False).status_code == 400
    pending = tmp_path / "uploads" / "pending"
    assert not pending.exists() or not any(pending.iterdir())


def test_without_a_header_the_preview_warns_and_numbers_rows_as_pasted(editor):
    html = editor.get(previewed(editor, "JLG1\tAcme\tRiyad Bank\t100\r\nJLG2\tBeta\r\n")).get_data(as_text=True)
    assert 'id="no-header-warning"' in html and "the import template's order" in html
    assert '<option value="Column B" selected>Column B</option>' in html
    assert '<td class="num"><bdi>1</bdi></td>' in html and '<td class="num"><bdi>2</bdi></td>' in html


def test_discarding_the_pasted_rows_goes_back_to_todays_page(editor):
    token = previewed(editor).rsplit("/", 1)[1]
    response = editor.post(f"/imports/{token}/discard")
    assert response.status_code == 303 and response.headers["Location"] == "/batches/today"
    assert count(ImportBatch) == 0 and count(Guarantee) == 0


def test_the_box_and_its_preview_in_arabic(editor):
    html = editor.get("/batches/today?lang=ar").get_data(as_text=True)
    assert 'dir="rtl"' in html and "لصق صفوف" in html and "معاينة الصفوف المُلصقة" in html
    response = editor.client.post(
        "/batches/today/paste", data={"rows": " ", "csrf_token": csrf_from(html)}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422 and "الصق الصفوف المراد معاينتها أولًا" in response.get_data(as_text=True)
    html = editor.get(previewed(editor)).get_data(as_text=True)
    assert "معاينة الصفوف المُلصقة" in html and "إضافة الصفوف (2) إلى دفعة اليوم" in html


def test_a_large_paste_previews_and_imports_as_jobs_when_a_worker_runs(app, editor):
    from guarantees.services import jobs

    app.config.update(JOBS="worker", JOBS_INLINE_ROWS=5)
    text = "BG NO\tSUPPLIER\tBANK\tAMOUNT\r\n" + "".join(f"G{n}\tAcme\tSNB\t{n + 1}00\r\n" for n in range(8))
    response = editor.post("/batches/today/paste", data={"rows": text})
    assert response.status_code == 303 and response.headers["Location"].startswith("/imports/jobs/")
    waiting = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "Reading the pasted rows" in waiting
    assert jobs.work(once=True) == 1
    db.session.remove()
    token = editor.get(response.headers["Location"]).headers["Location"].rsplit("/", 1)[1]
    assert "Preview of pasted rows" in editor.get(f"/imports/{token}").get_data(as_text=True)
    confirm = editor.post(f"/imports/{token}/confirm")
    assert confirm.headers["Location"].startswith("/imports/jobs/")
    assert jobs.work(once=True) == 1
    db.session.remove()
    assert editor.get(confirm.headers["Location"]).headers["Location"] == "/batches/today"
    assert "batch: 8 new" in editor.get("/batches/today").get_data(as_text=True)
    batch = db.session.scalar(sa.select(ImportBatch))
    assert (batch.batch_type, batch.total_records) == ("text_paste", 8)
