"""The Excel import pages: upload, mapping, preview, errors workbook, confirmation, duplicates, bad files."""

import io
import os
import zipfile
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from guarantees.extensions import db
from guarantees.models import Guarantee, ImportBatch, ImportBatchItem
from tests.conftest import shared_fixture
from tests.web.conftest import csrf_from

HEADER = ["BANK GUARANTEE NUMBER", "SUPPLIER", "BANK NAME", "AMOUNT", "EXPIRY DATE", "CONTRACT NO.", "TYPE"]


def guarantee_rows(*numbers, supplier="Lana Medical Company", bank="Riyad Bank"):
    """A title row, the header, and one complete row per number."""
    rows = [["Bank guarantees list"], HEADER]
    for i, number in enumerate(numbers):
        rows.append([number, supplier, bank, 1000 + i, "2026-06-01", f"C/{i:04d}", "FINAL"])
    return rows


def upload(client, data: bytes, name="list.xlsx", **kwargs):
    """POST a workbook to the upload endpoint."""
    files = {"file": (io.BytesIO(data), name)}
    return client.post("/imports", data=files, content_type="multipart/form-data", **kwargs)


def uploaded(client, data: bytes, name="list.xlsx") -> str:
    """Upload a good workbook; the preview page's path."""
    response = upload(client, data, name)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return response.headers["Location"]


def batches_count() -> int:
    """Excel import batches (a guarantee entered by hand makes a manual batch)."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(ImportBatch).where(ImportBatch.batch_type == "excel_import")
    )


def guarantees_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Guarantee))


# -- the upload page ----------------------------------------------------------------------------------------------


def test_upload_page_explains_the_limits_before_upload(app, editor):
    app.config.update(MAX_UPLOAD_BYTES=5 * 1024 * 1024, MAX_IMPORT_ROWS=1234)
    response = editor.get("/imports/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert "5 MB" in html and "1,234" in html
    assert 'accept=".xlsx' in html and 'enctype="multipart/form-data"' in html
    assert "/imports/template.xlsx" in html
    fragment = editor.get("/imports/new", htmx=True).get_data(as_text=True)
    assert "<html" not in fragment and 'name="file"' in fragment


def test_viewer_sees_the_page_but_no_form(viewer):
    html = viewer.get("/imports/new").get_data(as_text=True)
    assert 'name="file"' not in html and "not import" in html


def test_blank_template_downloads_and_maps(editor):
    response = editor.get("/imports/template.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert "BANK GUARANTEE NUMBER" in sheet.cell(1, 1).value


def test_nav_links_to_import_batches_and_actions(editor):
    html = editor.get("/").get_data(as_text=True)
    assert 'href="/imports/new"' in html and 'href="/batches"' in html and 'href="/actions"' in html


# -- refusals ------------------------------------------------------------------------------------------------------


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,amount\nA,1\n", "not an Excel workbook"),
        (lambda make: make(encrypted=True), "protected with a password"),
        (lambda make: make([]), "empty"),
        (lambda make: _zip_bomb(), "unsafe"),
        (b"PK\x03\x04 broken", "damaged"),
        (lambda make: make([["just", "some"], ["words", "here"]]), "No header row"),
    ],
    ids=["csv", "encrypted", "empty", "zip-bomb", "corrupt", "no-header"],
)
def test_bad_files_get_one_clear_message_and_nothing_is_written(app, editor, xlsx_bytes, content, message):
    data = content(xlsx_bytes) if callable(content) else content
    response = upload(editor, data, "bad.xlsx")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and html.count('role="alert"') == 1
    assert 'name="file"' in html
    assert batches_count() == 0
    assert not list(Path(app.config["UPLOAD_FOLDER"]).glob("pending/*"))


def test_no_file_chosen(editor):
    response = editor.post("/imports", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose an .xlsx file" in response.get_data(as_text=True)


def test_too_big_for_the_import_limit(app, editor, xlsx_bytes):
    app.config["MAX_UPLOAD_BYTES"] = 2000
    response = upload(editor, xlsx_bytes(guarantee_rows("BIG1")) + b"\0" * 3000)
    assert response.status_code == 422 and "larger than" in response.get_data(as_text=True)
    assert batches_count() == 0


def test_flask_413_becomes_the_upload_page(app, editor):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = upload(editor, b"x" * 5000)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "larger than" in html and 'name="file"' in html


def test_too_many_rows(app, editor, xlsx_bytes):
    app.config["MAX_IMPORT_ROWS"] = 5
    response = upload(editor, xlsx_bytes(guarantee_rows(*[f"R{i}" for i in range(10)])))
    assert response.status_code == 422 and "at most 5 rows" in response.get_data(as_text=True)
    assert batches_count() == 0


# -- roles and CSRF ------------------------------------------------------------------------------------------------


def test_viewer_cannot_upload_map_confirm_or_discard(editor, viewer, xlsx_bytes):
    data = xlsx_bytes(guarantee_rows("V1"))
    assert upload(viewer, data).status_code == 403
    path = uploaded(editor, data)
    for suffix in ("/mapping", "/confirm", "/discard"):
        assert viewer.post(path + suffix).status_code == 403
    assert batches_count() == 0


def test_anonymous_writes_go_to_sign_in(app, editor, xlsx_bytes):
    path = uploaded(editor, xlsx_bytes(guarantee_rows("A1")))
    anonymous = app.test_client()
    token = csrf_from(anonymous.get("/login").get_data(as_text=True))
    for target in ("/imports", path + "/mapping", path + "/confirm", path + "/discard"):
        response = anonymous.post(target, data={"csrf_token": token})
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    assert anonymous.get(path).headers["Location"].startswith("/login")
    assert batches_count() == 0


def test_missing_csrf_is_refused(editor, xlsx_bytes):
    data = xlsx_bytes(guarantee_rows("C1"))
    assert upload(editor, data, csrf=False).status_code == 400
    path = uploaded(editor, data)
    assert editor.post(path + "/confirm", csrf=False).status_code == 400
    assert editor.post(path + "/mapping", csrf=False).status_code == 400
    assert editor.post(path + "/discard", csrf=False).status_code == 400
    assert editor.get(path).status_code == 200  # still there
    assert batches_count() == 0


# -- tokens --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["nothex", "0" * 31, "G" * 32, "../../etc/passwd", "0" * 32])
def test_bad_or_unknown_tokens_are_404(editor, token):
    assert editor.get(f"/imports/{token}").status_code == 404
    assert editor.get(f"/imports/{token}/errors.xlsx").status_code == 404
    assert editor.post(f"/imports/{token}/confirm").status_code == 404


def test_a_pending_upload_belongs_to_its_uploader(editor, signed_in, xlsx_bytes):
    path = uploaded(editor, xlsx_bytes(guarantee_rows("OWN1")))
    other = signed_in("editor", "other-editor")
    assert other.get(path).status_code == 404
    assert other.post(path + "/confirm").status_code == 404


def test_an_expired_upload_is_404(app, editor, xlsx_bytes):
    path = uploaded(editor, xlsx_bytes(guarantee_rows("OLD1")))
    token = path.rsplit("/", 1)[1]
    stored = Path(app.config["UPLOAD_FOLDER"]) / "pending" / f"{token}.xlsx"
    old = stored.stat().st_mtime - 2 * 24 * 3600
    os.utime(stored, (old, old))
    assert editor.get(path).status_code == 404
    assert not stored.exists()


def test_upload_is_stored_under_a_random_name_not_the_users(app, editor, xlsx_bytes):
    path = uploaded(editor, xlsx_bytes(guarantee_rows("N1")), name="../../evil<script>.xlsx")
    token = path.rsplit("/", 1)[1]
    assert len(token) == 32 and all(c in "0123456789abcdef" for c in token)
    stored = sorted(p.name for p in (Path(app.config["UPLOAD_FOLDER"]) / "pending").iterdir())
    # the file, its details, its parse (kept once) and its preview, all under the token
    assert stored == [f"{token}.book", f"{token}.json", f"{token}.preview", f"{token}.xlsx"]
    html = editor.get(path).get_data(as_text=True)
    assert "evil&lt;script&gt;.xlsx" in html and "<script>.xlsx" not in html


# -- the whole flow ------------------------------------------------------------------------------------------------


def test_upload_preview_filter_mapping_confirm_batch(app, editor, make_guarantee, xlsx_bytes):
    make_guarantee("KNOWN1", amount="500.00", expiry_date="2026-01-01")
    rows = [
        ["Monthly list"],
        ["BANK GUARANTEE NUMBER", "SUPPLIER", "BANK NAME", "AMOUNT", "EXPIRY DATE", "MEMO"],
        ["NEW1", "Lana Medical Company", "Riyad Bank", 1000, "2026-06-01", "ok"],
        ["KNOWN1", "", "", 750, "", "for extension"],
        ["BAD1", "", "", 10, "", ""],
    ]
    path = uploaded(editor, xlsx_bytes(rows), name="monthly.xlsx")
    page = editor.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert "monthly.xlsx" in html and 'name="map-guarantee_number"' in html
    assert "NEW1" in html and "KNOWN1" in html and "BAD1" in html
    assert "required for a new guarantee" in html  # the error's reason
    assert "500.00" in html and "750.00" in html  # the update's diff

    fragment = editor.get(path + "?outcome=error", htmx=True)
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in text
    assert "BAD1" in text and "NEW1" not in text and 'id="preview-rows"' in text
    assert "NEW1" in editor.get(path + "?outcome=new", htmx=True).get_data(as_text=True)

    errors = editor.get(path + "/errors.xlsx")
    assert errors.status_code == 200 and "monthly-errors.xlsx" in errors.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(errors.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1][0] == "BAD1" and "required" in values[1][-1]

    # MEMO is no known header: map it to the comment field by hand.
    assert "for extension" not in html and '<option value="MEMO" selected>' not in html
    response = editor.post(path + "/mapping", data={"map-comment": "MEMO", "was-comment": ""})
    assert response.status_code == 303 and response.headers["Location"] == path
    html = editor.get(path).get_data(as_text=True)
    assert '<option value="MEMO" selected>' in html
    assert "for extension" in html  # the comment is now a change of KNOWN1

    assert batches_count() == 0 and guarantees_count() == 1  # the preview wrote nothing
    response = editor.post(path + "/confirm")
    assert response.status_code == 303
    batch = db.session.scalars(sa.select(ImportBatch).where(ImportBatch.batch_type == "excel_import")).one()
    assert response.headers["Location"] == f"/batches/{batch.id}"
    assert batch.filename == "monthly.xlsx" and batch.total_records == 2 and batch.created_by == editor.user.username
    known = db.session.scalar(sa.select(Guarantee).where(Guarantee.guarantee_number == "KNOWN1"))
    assert str(known.amount) == "750.00" and known.comment == "for extension"

    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "NEW1" in page and "KNOWN1" in page and "Imported monthly.xlsx" in page
    assert editor.get(path).status_code == 404  # the pending upload is gone


def test_mapping_errors_are_shown_and_change_nothing(editor, xlsx_bytes):
    path = uploaded(editor, xlsx_bytes(guarantee_rows("M1")))
    both = {"map-supplier": "BANK NAME", "was-supplier": "SUPPLIER", "map-bank": "BANK NAME", "was-bank": ""}
    response = editor.post(path + "/mapping", data=both)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "cannot be mapped to both" in html
    assert '<option value="SUPPLIER" selected>' in editor.get(path).get_data(as_text=True)
    fragment = editor.post(path + "/mapping", data=both, htmx=True).get_data(as_text=True)
    assert "<html" not in fragment and "cannot be mapped to both" in fragment and 'id="mapping"' in fragment


def test_swapping_two_columns(editor, xlsx_bytes):
    path = uploaded(editor, xlsx_bytes(guarantee_rows("SW1")))
    swap = {"map-supplier": "BANK NAME", "was-supplier": "SUPPLIER", "map-bank": "SUPPLIER", "was-bank": "BANK NAME"}
    assert editor.post(path + "/mapping", data=swap).status_code == 303
    html = editor.get(path).get_data(as_text=True)
    assert 'id="map-supplier" name="map-supplier"' in html
    supplier_select = html.split('id="map-supplier"', 1)[1].split("</select>", 1)[0]
    assert '<option value="BANK NAME" selected>' in supplier_select


def test_unmapping_the_number_is_refused(editor, xlsx_bytes):
    path = uploaded(editor, xlsx_bytes(guarantee_rows("M2")))
    response = editor.post(path + "/mapping", data={"map-guarantee_number": "", "was-guarantee_number": "X"})
    assert response.status_code == 422


def test_sheet_chooser_switches_sheet(editor, xlsx_bytes):
    data = xlsx_bytes(sheets={"First": guarantee_rows("S1"), "Second": guarantee_rows("S2", "S3")})
    path = uploaded(editor, data)
    html = editor.get(path).get_data(as_text=True)
    assert 'name="sheet"' in html and "S1" in html and "S2" not in html
    response = editor.post(path + "/mapping", data={"sheet": "Second", "was-sheet": "First"})
    assert response.status_code == 303
    html = editor.get(path).get_data(as_text=True)
    assert "S2" in html and "S3" in html and ">S1<" not in html


def test_preview_pages_by_fifty(editor, xlsx_bytes):
    path = uploaded(editor, xlsx_bytes(guarantee_rows(*[f"P{i:03d}" for i in range(120)])))
    first = editor.get(path).get_data(as_text=True)
    assert "P049" in first and "P050" not in first and "Page 1 of 3" in first
    third = editor.get(path + "?page=3", htmx=True).get_data(as_text=True)
    assert "P119" in third and "P049" not in third and "<html" not in third


def test_duplicate_file_needs_explicit_confirmation(editor, xlsx_bytes):
    data = xlsx_bytes(guarantee_rows("D1", "D2"))
    first = uploaded(editor, data, name="dup.xlsx")
    assert editor.post(first + "/confirm").status_code == 303
    assert batches_count() == 1

    again = uploaded(editor, data, name="dup-again.xlsx")
    html = editor.get(again).get_data(as_text=True)
    assert "imported before" in html and 'name="confirm_duplicate"' in html and "dup.xlsx" in html
    refused = editor.post(again + "/confirm")
    assert refused.status_code == 422 and "already imported" in refused.get_data(as_text=True)
    assert batches_count() == 1
    fragment = editor.post(again + "/confirm", htmx=True)
    assert fragment.status_code == 422 and "<html" not in fragment.get_data(as_text=True)
    accepted = editor.post(again + "/confirm", data={"confirm_duplicate": "1"})
    assert accepted.status_code == 303
    assert batches_count() == 2


def test_nothing_to_import_is_refused(editor, xlsx_bytes):
    rows = [HEADER, ["E1", "", "", 5, "", "", ""]]
    path = uploaded(editor, xlsx_bytes(rows))
    response = editor.post(path + "/confirm")
    assert response.status_code == 422 and "Nothing to import" in response.get_data(as_text=True)
    assert batches_count() == 0


def test_discard_removes_the_upload(editor, xlsx_bytes):
    path = uploaded(editor, xlsx_bytes(guarantee_rows("X1")))
    response = editor.post(path + "/discard")
    assert response.status_code == 303 and response.headers["Location"] == "/imports/new"
    assert editor.get(path).status_code == 404


def test_htmx_confirm_redirects_the_whole_page(editor, xlsx_bytes):
    path = uploaded(editor, xlsx_bytes(guarantee_rows("H1")))
    response = editor.post(path + "/confirm", htmx=True)
    batch = db.session.scalars(sa.select(ImportBatch)).one()
    assert response.headers["HX-Redirect"] == f"/batches/{batch.id}"


def test_escaping_of_file_content(editor, xlsx_bytes):
    rows = [HEADER, ["XSS1", "<script>alert(1)</script>", "<b>Bank</b>", 1, "2026-01-01", "", ""]]
    path = uploaded(editor, xlsx_bytes(rows))
    html = editor.get(path).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html


def test_real_workbook_imports(editor):
    fixture = shared_fixture("xlsx", "Approved-BG.xlsx")
    path = uploaded(editor, fixture.read_bytes(), name=fixture.name)
    html = editor.get(path).get_data(as_text=True)
    assert "Approved-BG.xlsx" in html and "OG/CC056181" in html
    response = editor.post(path + "/confirm")
    assert response.status_code == 303
    batch = db.session.scalars(sa.select(ImportBatch)).one()
    items = db.session.scalar(sa.select(sa.func.count()).where(ImportBatchItem.batch_id == batch.id))
    assert batch.total_records == items > 0
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "OG/CC056181" in page


# -- the forms: bad input is a message in place, never a 500 --------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [("?outcome=bogus", "showing every row"), ("?page=abc", "numbered from 1"), ("?page=0", "numbered from 1")],
)
def test_bad_preview_parameters_show_every_row_with_a_message(editor, xlsx_bytes, query, message):
    path = uploaded(editor, xlsx_bytes(guarantee_rows("Q1", "Q2")))
    response = editor.get(path + query)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert "Q1" in html and "Q2" in html
    fragment = editor.get(path + query, htmx=True).get_data(as_text=True)
    assert "<html" not in fragment and message in fragment and 'id="preview-rows"' in fragment


def test_a_page_past_the_end_shows_the_last_page(editor, xlsx_bytes):
    path = uploaded(editor, xlsx_bytes(guarantee_rows(*[f"L{i:03d}" for i in range(60)])))
    response = editor.get(path + "?page=99&outcome=new")
    assert response.status_code == 200 and "L059" in response.get_data(as_text=True)


def test_upload_can_name_the_sheet(editor, xlsx_bytes):
    data = xlsx_bytes(sheets={"First": guarantee_rows("F1"), "Second": guarantee_rows("SEC1")})
    files = {"file": (io.BytesIO(data), "two.xlsx"), "sheet": "Second"}
    response = editor.post("/imports", data=files, content_type="multipart/form-data")
    assert response.status_code == 303
    html = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "SEC1" in html and ">F1<" not in html


def test_upload_of_an_unknown_sheet_is_refused(app, editor, xlsx_bytes):
    files = {"file": (io.BytesIO(xlsx_bytes(guarantee_rows("U1"))), "one.xlsx"), "sheet": "Nope"}
    response = editor.post("/imports", data=files, content_type="multipart/form-data")
    assert response.status_code == 422 and "Nope" in response.get_data(as_text=True)
    assert not list(Path(app.config["UPLOAD_FOLDER"]).glob("pending/*"))


def test_an_empty_file_is_refused(editor):
    response = upload(editor, b"", "empty.xlsx")
    assert response.status_code == 422 and "This file is empty" in response.get_data(as_text=True)


def test_an_overlong_mapping_value_is_refused_in_place(editor, xlsx_bytes):
    path = uploaded(editor, xlsx_bytes(guarantee_rows("O1")))
    response = editor.post(path + "/mapping", data={"map-supplier": "X" * 600, "was-supplier": "SUPPLIER"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="mapping"' in html and "<html" not in html
    assert 'role="alert"' in html
    assert '<option value="SUPPLIER" selected>' in editor.get(path).get_data(as_text=True)


def test_an_unknown_header_in_the_mapping_is_refused_in_place(editor, xlsx_bytes):
    path = uploaded(editor, xlsx_bytes(guarantee_rows("K1")))
    response = editor.post(path + "/mapping", data={"map-supplier": "VENDOR", "was-supplier": "SUPPLIER"})
    assert response.status_code == 422 and "VENDOR" in response.get_data(as_text=True)
    assert batches_count() == 0


def test_preview_counts_rows_already_expired_or_inside_the_first_threshold(app, editor, xlsx_bytes):
    app.config["TODAY"] = date(2026, 3, 1)
    rows = [["Bank guarantees list"], HEADER]
    expiries = {"OLD-1": "2026-02-01", "OLD-2": "2026-02-28", "TODAY": "2026-03-01", "Q90": "2026-05-30",
                "FAR": "2026-05-31", "LATE": "2027-01-01"}  # fmt: skip
    for i, (number, expiry_date) in enumerate(expiries.items()):
        rows.append([number, "Lana Medical Company", "Riyad Bank", 1000 + i, expiry_date, f"C/{i:04d}", "FINAL"])
    html = editor.get(uploaded(editor, xlsx_bytes(rows))).get_data(as_text=True)
    assert "2 rows already expired" in html
    assert "2 rows expire within 90 days" in html  # today and 90 days ahead; 91 days is outside
    assert html.count('class="badge badge-expired">expired<') == 2
