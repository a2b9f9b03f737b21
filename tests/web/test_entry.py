"""Manual entry at /batches/today: the form beside today's batch, filling up as entries are saved."""

import json

import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Guarantee, ImportBatch
from guarantees.models.legacy import ImportedRecord
from tests.web.conftest import csrf_from

ENTRY = {
    "guarantee_number": "mn 100",
    "raw_supplier_name": "Lana Medical Company",
    "raw_bank_name": "Riyad Bank",
    "amount": "25,200",
    "currency": "SAR",
    "issue_date": "2025-01-01",
    "expiry_date": "2026-06-01",
    "contract_number": "C/0016/40",
    "po_number": "421378.0",
    "type": "FINAL",
    "comment": "by hand",
}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_page_shows_the_form_and_an_empty_day(editor):
    response = editor.get("/batches/today")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html and "HX-Request" in response.headers["Vary"]
    assert 'id="entry-form"' in html and 'hx-post="/batches/today"' in html and 'name="guarantee_number"' in html
    assert "Nothing entered today yet" in html


def test_htmx_entry_resets_the_form_and_swaps_the_batch_out_of_band(editor):
    response = editor.post("/batches/today", data=ENTRY, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<form id="entry-form"') and 'value="mn 100"' not in html
    assert '<section id="todays-batch" class="card" aria-labelledby="batch-title" hx-swap-oob="true">' in html
    assert "MN100" in html and "1 entry" in html
    assert json.loads(response.headers["HX-Trigger"])["toast"]["message"] == "Guarantee MN100 added to today's batch."
    saved = db.session.scalar(sa.select(Guarantee))
    assert (saved.guarantee_number, str(saved.amount), saved.po_number, saved.created_by) == (
        "MN100",
        "25200.00",
        "421378",
        "editor-user",
    )


def test_two_entries_make_one_daily_batch(editor):
    editor.post("/batches/today", data=ENTRY, htmx=True)
    response = editor.post("/batches/today", data={**ENTRY, "guarantee_number": "MN-200"}, htmx=True)
    assert "2 entries" in response.get_data(as_text=True)
    assert count(ImportBatch) == 1 and count(Guarantee) == 2
    html = editor.get("/batches/today").get_data(as_text=True)
    assert "MN100" in html and "MN-200" in html and "2 entries" in html
    assert html.index("MN-200") < html.index("MN100")  # newest first


def test_supplier_and_bank_are_accepted_as_aliases(editor):
    data = {"guarantee_number": "AL-1", "supplier": "Alias Supplier", "bank": "Alias Bank", "amount": "10"}
    assert editor.post("/batches/today", data=data, htmx=True).status_code == 200
    saved = db.session.scalar(sa.select(Guarantee))
    assert (saved.raw_supplier_name, saved.raw_bank_name) == ("Alias Supplier", "Alias Bank")


def test_a_number_already_registered_is_answered_inline_with_a_link(editor, make_guarantee):
    existing = make_guarantee("MN100")
    response = editor.post("/batches/today", data=ENTRY, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html
    assert "Guarantee MN100 is already in the register." in html
    assert f'href="/guarantees/{existing.id}"' in html and 'value="mn 100"' in html
    assert json.loads(response.headers["HX-Trigger"])["toast"]["level"] == "error"
    assert count(Guarantee) == 1


def test_missing_or_bad_values_are_refused_inline_and_nothing_is_written(editor):
    for data, message, field in (
        ({**ENTRY, "raw_supplier_name": " "}, "Supplier is required", "raw_supplier_name"),
        ({**ENTRY, "raw_bank_name": ""}, "Bank is required", "raw_bank_name"),
        ({**ENTRY, "guarantee_number": " "}, "Guarantee number is required", "guarantee_number"),
        ({**ENTRY, "amount": "lots"}, "Amount:", "amount"),
        ({**ENTRY, "expiry_date": "13/13/2026"}, "Expiry date:", "expiry_date"),
        ({**ENTRY, "currency": "RIYAL"}, "three-letter", "currency"),
    ):
        response = editor.post("/batches/today", data=data, htmx=True)
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and message in html, message
        assert f'id="entry-{field}-error"' in html and 'aria-invalid="true"' in html
    assert count(Guarantee) == 0 and count(ImportBatch) == 0 and count(ImportedRecord) == 0


def test_plain_form_post_redirects_back_with_a_flash(editor):
    response = editor.post("/batches/today", data=ENTRY)
    assert response.status_code == 303 and response.headers["Location"] == "/batches/today"
    html = editor.get("/batches/today").get_data(as_text=True)
    assert "Guarantee MN100 added to today&#39;s batch." in html and "1 entry" in html
    refused = editor.post("/batches/today", data=ENTRY)
    assert refused.status_code == 422 and "<html" in refused.get_data(as_text=True)


def test_viewers_see_the_batch_but_cannot_enter(viewer):
    html = viewer.get("/batches/today").get_data(as_text=True)
    assert 'id="entry-form"' not in html and "not enter guarantees" in html
    data = {"guarantee_number": "VIEWER-WRITE-1", "supplier": "X", "bank": "Y", "amount": "10"}
    assert viewer.post("/batches/today", data=data).status_code == 403
    assert viewer.post("/batches/today", data=data, htmx=True).status_code == 403
    assert count(Guarantee) == 0 and count(ImportBatch) == 0


def test_entry_needs_a_token_and_a_session(client, editor):
    assert editor.post("/batches/today", data=ENTRY, csrf=False).status_code == 400
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/batches/today", data={**ENTRY, "csrf_token": token})
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    assert client.get("/batches/today").status_code == 302
    assert count(Guarantee) == 0


def test_entry_escapes_what_was_typed(editor):
    script = "<script>alert(1)</script>"
    html = editor.post("/batches/today", data={**ENTRY, "raw_supplier_name": script}, htmx=True).get_data(as_text=True)
    assert script not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    html = editor.post("/batches/today", data={**ENTRY, "raw_supplier_name": script}, htmx=True).get_data(as_text=True)
    assert script not in html and 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in html


def test_the_currency_is_kept_and_defaults_to_sar(editor):
    editor.post("/batches/today", data={**ENTRY, "currency": "usd"}, htmx=True)
    editor.post("/batches/today", data={**ENTRY, "guarantee_number": "MN-2", "currency": ""}, htmx=True)
    currencies = db.session.scalars(sa.select(Guarantee.currency).order_by(Guarantee.id)).all()
    assert currencies == ["USD", "SAR"]


def test_a_busy_day_shows_the_newest_entries_and_links_to_the_whole_batch(editor, make_guarantee, monkeypatch):
    from guarantees.web import entry

    monkeypatch.setattr(entry, "ENTRIES_SHOWN", 2)
    for number in ("BUSY-1", "BUSY-2", "BUSY-3"):
        make_guarantee(number)
    html = editor.get("/batches/today").get_data(as_text=True)
    assert "BUSY-3" in html and "BUSY-2" in html and "BUSY-1" not in html
    assert "The newest 2 entries are shown." in html and "All 3 entries of the batch" in html


def test_every_bad_field_is_explained_at_once(editor):
    data = {**ENTRY, "amount": "lots", "issue_date": "someday", "po_number": "p" * 500}
    response = editor.post("/batches/today", data=data, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("amount", "issue_date", "po_number"):
        assert f'id="entry-{field}-error"' in html, field
    assert count(Guarantee) == 0


def test_hostile_entries_never_fail(editor):
    for data in (
        {"guarantee_number": "\x00" * 10, "supplier": "S", "bank": "B"},
        {**ENTRY, "guarantee_number": "G" * 5000},
        {**ENTRY, "amount": "9" * 5000},
        {**ENTRY, "expiry_date": "99999-01-01"},
        {"unexpected": "field"},
    ):
        assert editor.post("/batches/today", data=data).status_code == 422
    assert count(Guarantee) == 0
