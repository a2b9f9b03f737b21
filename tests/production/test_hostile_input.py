"""A catalogue of hostile and broken input, through the web app: a clear message, nothing written, no 500."""

import io
import zipfile

import openpyxl
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guarantees.extensions import db
from guarantees.models import Guarantee, ImportBatch
from guarantees.models.legacy import ImportedRecord


def workbook(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


HEADER = ["BANK GUARANTEE NUMBER", "CONTRACTOR NAME", "BANK NAME", "AMOUNT", "VALIDITY DATE", "Comment"]


def zip_bomb() -> bytes:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (300 * 1024 * 1024))
    return stream.getvalue()


def encrypted() -> bytes:
    return bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 1024


BAD_FILES = {
    "text renamed": (b"GUARANTEE,SUPPLIER\nX,Y\n", "list.xlsx"),
    "png renamed": (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "picture.xlsx"),
    "encrypted": (encrypted(), "secret.xlsx"),
    "corrupt zip": (workbook([HEADER])[:300], "cut.xlsx"),
    "empty": (workbook([]), "empty.xlsx"),
    "no header": (workbook([["a", "b"], [1, 2]]), "nothing.xlsx"),
    "zip bomb": (zip_bomb(), "bomb.xlsx"),
}


def totals():
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Guarantee, ImportBatch))


def upload(client, content: bytes, name: str):
    return client.client.post(
        "/imports",
        data={"file": (io.BytesIO(content), name)},
        headers={"X-CSRFToken": client.token},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_files_get_one_clear_message_and_write_nothing(editor, kind):
    content, name = BAD_FILES[kind]
    before = totals()
    response = upload(editor, content, name)
    html = response.get_data(as_text=True)
    assert response.status_code == 422, (kind, response.status_code)
    assert 'role="alert"' in html or "error" in html
    assert totals() == before


def test_over_the_row_limit_is_refused(app, editor):
    app.config["MAX_IMPORT_ROWS"] = 20
    rows = [HEADER] + [[f"N{n}", "S", "B", 10, "2026-01-01", ""] for n in range(40)]
    response = upload(editor, workbook(rows), "many.xlsx")
    assert response.status_code == 422 and "20" in response.get_data(as_text=True)
    assert totals() == (0, 0)


def test_over_the_size_limit_is_refused(app, editor):
    app.config["MAX_CONTENT_LENGTH"] = 2048
    response = upload(editor, b"x" * 10_000, "big.xlsx")
    assert response.status_code in (413, 422)
    assert totals() == (0, 0)


def test_path_tricks_in_file_names_stay_display_text(app, editor, tmp_path):
    rows = [HEADER, ["PATH-1", "Supplier", "Bank", 10, "2026-01-01", ""]]
    response = upload(editor, workbook(rows), "../../../etc/passwd\u202e.xlsx")
    assert response.status_code == 303
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert "../" not in page and "\u202e" not in page and "passwd" in page
    pending = list((tmp_path / "uploads" / "pending").glob("*"))
    assert pending and all(p.parent == tmp_path / "uploads" / "pending" for p in pending)
    assert not any("passwd" in p.name for p in pending)


SCRIPT = "<script>alert(1)</script>"


def test_script_tags_are_escaped_in_pages_letters_and_exports(editor, before_expiry):
    response = editor.post(
        "/batches/today",
        {
            "guarantee_number": "XSS-1",
            "raw_supplier_name": SCRIPT,
            "raw_bank_name": f"Bank {SCRIPT}",
            "amount": "100",
            "expiry_date": "2026-06-01",
            "comment": '=HYPERLINK("http://evil")',
        },
    )
    assert response.status_code in (200, 303)
    gid = db.session.scalar(sa.select(Guarantee.id).where(Guarantee.guarantee_number == "XSS-1"))
    assert gid
    extended = editor.confirmed(f"/guarantees/{gid}/extend", {"version": "1"})
    assert extended.status_code in (200, 303)
    from guarantees.models import GuaranteeAction

    action_id = db.session.scalar(sa.select(GuaranteeAction.id).where(GuaranteeAction.guarantee_id == gid))
    for path in ("/guarantees?q=XSS", f"/guarantees/{gid}", f"/letters/actions/{action_id}", "/batches/today", "/"):
        html = editor.get(path).get_data(as_text=True)
        assert SCRIPT not in html, path
    exported = editor.get("/guarantees/export?q=XSS-1")
    sheet = openpyxl.load_workbook(io.BytesIO(exported.data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert any(cell.value.startswith("=HYPERLINK") for cell in cells)
    assert all(cell.data_type != "f" for cell in cells)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "-5"),
        ("amount", "99999999999999999999"),
        ("amount", "abc"),
        ("expiry_date", "31/31/2025"),
        ("expiry_date", "tomorrow"),
        ("raw_supplier_name", "x" * 10_000),
        ("raw_supplier_name", "\x00\x01\x02"),
        ("guarantee_number", "   "),
        ("guarantee_number", "N" * 500),
    ],
)
def test_bad_manual_entries_are_explained_and_write_nothing(editor, field, value):
    data = {"guarantee_number": "BAD-1", "raw_supplier_name": "Supplier", "raw_bank_name": "Bank", field: value}
    response = editor.post("/batches/today", data, htmx=True)
    assert response.status_code == 422, (field, value, response.status_code)
    assert totals() == (0, 0) and db.session.scalar(sa.select(sa.func.count()).select_from(ImportedRecord)) == 0


@pytest.mark.parametrize("text", ["2025-06-01", "01/06/2025", "1-6-2025", "01.06.2025", "1 Jun 2025"])
def test_dates_as_text_in_five_formats_are_understood(editor, text):
    data = {"guarantee_number": "DATE-1", "raw_supplier_name": "S", "raw_bank_name": "B", "amount": "1"}
    data["expiry_date"] = text
    assert editor.post("/batches/today", data).status_code in (200, 303)
    assert str(db.session.scalar(sa.select(Guarantee.expiry_date))) == "2025-06-01"


def test_stale_version_is_refused_with_an_explanation(editor, make_guarantee):
    g = make_guarantee("STALE-1")
    gid = g.id
    first = editor.post(f"/guarantees/{gid}/fields/comment", {"value": "first", "version": "1"}, htmx=True)
    assert first.status_code == 200
    second = editor.post(f"/guarantees/{gid}/fields/comment", {"value": "second", "version": "1"}, htmx=True)
    assert second.status_code == 409 and "someone else" in second.get_data(as_text=True)
    db.session.remove()
    assert db.session.get(Guarantee, gid).comment == "first"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    number=st.text(max_size=120),
    supplier=st.text(max_size=600),
    amount=st.one_of(st.text(max_size=30), st.decimals(allow_nan=False).map(str)),
    expiry=st.text(max_size=30),
)
def test_the_entry_form_never_fails_with_a_500(editor, number, supplier, amount, expiry):
    data = {"guarantee_number": number, "raw_supplier_name": supplier, "raw_bank_name": "Bank", "amount": amount}
    data["expiry_date"] = expiry
    response = editor.post("/batches/today", data, htmx=True)
    assert response.status_code in (200, 303, 409, 422), response.status_code


def test_an_oversized_text_form_is_told_about_its_text_not_a_file(app, editor, make_guarantee):
    g = make_guarantee("LONG-1")
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    response = editor.post(f"/notes/guarantee/{g.id}", data={"body": "x" * 60_000})
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Shorten the text" in page and "file" not in page.split("<main", 1)[1].lower()
