"""Attachments on the guarantee page: upload (htmx), list, download and preview headers, hiding, roles, limits."""

import io
from urllib.parse import quote

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from guarantees.repositories import attachments as repo
from guarantees.services import attachments as service
from guarantees.web.headers import content_security_policy
from tests.sample_files import exe_bytes, office_zip, pdf_bytes, png_bytes

pytestmark = pytest.mark.usefixtures("before_expiry")


@pytest.fixture(autouse=True)
def store(app, tmp_path):
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "attachments")
    return tmp_path / "attachments"


def fetch(client, path: str):
    """A GET whose file answer is read and closed (send_file keeps the file open until then)."""
    response = client.get(path)
    response.get_data()
    response.close()
    return response


def upload(client, gid, content: bytes, name: str, htmx=True, **fields):
    # The body encoded in memory: the test client spools a large one to a temporary file it never closes.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(content), name), **fields})
    return client.post(
        f"/guarantees/{gid}/attachments",
        body,
        htmx=htmx,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_an_editor_uploads_a_pdf_and_the_list_shows_who_when_and_size(editor, make_guarantee):
    gid = make_guarantee("WA-1").id
    answer = upload(editor, gid, pdf_bytes(), "letter.pdf")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and html.lstrip().startswith('<section id="attachments"')
    assert "letter.pdf" in html and "editor-user" in html and "bytes" in html
    assert "attached" in answer.headers["HX-Trigger"]
    (found,) = repo.for_guarantee(gid)
    assert f"/attachments/{found.id}/preview" in html and "<iframe" in html
    page = editor.get(f"/guarantees/{gid}").get_data(as_text=True)
    assert 'id="attachments"' in page and "letter.pdf" in page


def test_download_sends_the_detected_type_nosniff_and_the_name_rfc_5987_encoded(editor, viewer, make_guarantee):
    gid = make_guarantee("WA-2").id
    content = pdf_bytes()
    upload(editor, gid, content, "../../tmp/خطاب التمديد; نهائي.pdf")
    (found,) = repo.for_guarantee(gid)
    assert found.original_name == "خطاب التمديد; نهائي.pdf"
    answer = fetch(viewer, f"/attachments/{found.id}")
    assert answer.status_code == 200 and answer.data == content
    assert answer.mimetype == "application/pdf"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert f"filename*=UTF-8''{quote(found.original_name, safe='')}" in disposition
    fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii() and fallback.endswith(".pdf") and "/" not in fallback
    assert "\n" not in disposition and disposition.count(";") == 2


def test_preview_is_inline_and_may_be_framed_by_the_site_only(editor, make_guarantee):
    gid = make_guarantee("WA-3").id
    upload(editor, gid, png_bytes(), "scan.png")
    upload(editor, gid, office_zip("sheet"), "bank.xlsx")
    image, sheet = sorted(repo.for_guarantee(gid), key=lambda a: a.id)
    preview = fetch(editor, f"/attachments/{image.id}/preview")
    assert preview.status_code == 200 and preview.mimetype == "image/png"
    assert preview.headers["Content-Disposition"].startswith("inline;")
    assert "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]
    assert preview.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert fetch(editor, f"/attachments/{sheet.id}/preview").status_code == 404  # no preview of a workbook
    page = editor.get(f"/guarantees/{gid}")
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "frame-src 'self'" in page.headers["Content-Security-Policy"]
    assert "frame-src 'self'" in content_security_policy({"HTMX_SOURCE": "local", "HTMX_CDN_URL": ""})


def test_a_renamed_program_is_refused_with_a_clear_message(editor, make_guarantee, store):
    gid = make_guarantee("WA-4").id
    answer = upload(editor, gid, exe_bytes(), "invoice.pdf")
    assert answer.status_code == 422 and "is a program, not a document" in answer.get_data(as_text=True)
    assert repo.for_guarantee(gid) == []
    plain = upload(editor, gid, exe_bytes(), "invoice.pdf", htmx=False)
    assert plain.status_code == 303
    page = editor.get(f"/guarantees/{gid}").get_data(as_text=True)
    assert "is a program, not a document" in page


def test_an_oversized_file_is_refused_with_the_limit_named(app, editor, make_guarantee, store):
    app.config["ATTACHMENT_MAX_BYTES"] = 4096
    gid = make_guarantee("WA-5").id
    answer = upload(editor, gid, pdf_bytes() + b"%" * 8192, "big.pdf")
    assert answer.status_code == 422 and "up to 4 KB" in answer.get_data(as_text=True)
    # past what the server reads at all (MAX_CONTENT_LENGTH): the same message, not a bare 413 page
    app.config["MAX_CONTENT_LENGTH"] = 6000
    cut = upload(editor, gid, pdf_bytes() + b"%" * 8192, "bigger.pdf")
    assert cut.status_code == 422 and "up to 4 KB" in cut.get_data(as_text=True)
    assert repo.for_guarantee(gid) == []
    assert not [p for p in store.rglob("*") if p.is_file()]


def test_the_default_limits_let_a_20_mb_attachment_through(app, editor, make_guarantee):
    from guarantees.config import Config

    config = Config()
    assert config.ATTACHMENT_MAX_BYTES == 20 * 1024 * 1024
    assert config.MAX_CONTENT_LENGTH > config.ATTACHMENT_MAX_BYTES
    app.config["MAX_CONTENT_LENGTH"] = config.MAX_CONTENT_LENGTH
    gid = make_guarantee("WA-10").id
    content = pdf_bytes()
    content += b"%" * (config.ATTACHMENT_MAX_BYTES - len(content))  # exactly the limit
    assert upload(editor, gid, content, "scan.pdf").status_code == 200
    assert [a.size_bytes for a in repo.for_guarantee(gid)] == [config.ATTACHMENT_MAX_BYTES]
    over = upload(editor, gid, content + b"%", "scan2.pdf")
    assert over.status_code == 422 and "up to 20 MB" in over.get_data(as_text=True)


def test_hiding_needs_a_reason_and_hidden_ones_are_shown_to_editors_only(editor, viewer, make_guarantee):
    gid = make_guarantee("WA-6").id
    upload(editor, gid, pdf_bytes(), "wrong.pdf")
    (found,) = repo.for_guarantee(gid)
    refused = editor.post(f"/attachments/{found.id}/hide", {"reason": " "}, htmx=True)
    assert refused.status_code == 422 and "Give the reason" in refused.get_data(as_text=True)
    hidden = editor.post(f"/attachments/{found.id}/hide", {"reason": "Belongs to another guarantee"}, htmx=True)
    html = hidden.get_data(as_text=True)
    assert hidden.status_code == 200 and "Belongs to another guarantee" in html and "data-hidden" in html
    again = editor.post(f"/attachments/{found.id}/hide", {"reason": "again"}, htmx=True)
    assert again.status_code == 422 and "hidden already" in again.get_data(as_text=True)
    assert "wrong.pdf" not in viewer.get(f"/guarantees/{gid}").get_data(as_text=True)
    assert fetch(viewer, f"/attachments/{found.id}").status_code == 404
    assert fetch(editor, f"/attachments/{found.id}").status_code == 200
    assert service.stored_path(found.sha256).is_file()


def test_viewers_cannot_upload_or_hide(viewer, editor, make_guarantee):
    gid = make_guarantee("WA-7").id
    page = viewer.get(f"/guarantees/{gid}").get_data(as_text=True)
    assert 'id="attachment-file"' not in page
    assert upload(viewer, gid, pdf_bytes(), "x.pdf").status_code == 403
    upload(editor, gid, pdf_bytes(), "x.pdf")
    (found,) = repo.for_guarantee(gid)
    assert viewer.post(f"/attachments/{found.id}/hide", {"reason": "r"}, htmx=True).status_code == 403
    assert upload(editor, 999999, pdf_bytes(), "x.pdf").status_code == 404
    assert viewer.get("/attachments/999999").status_code == 404


def test_an_attachment_for_one_of_the_guarantee_s_actions(editor, make_guarantee):
    from guarantees.services import actions

    gid = make_guarantee("WA-8").id
    action_id = actions.extend(gid, user="clerk").id
    page = editor.get(f"/guarantees/{gid}").get_data(as_text=True)
    assert f'<option value="{action_id}">' in page
    assert upload(editor, gid, pdf_bytes(), "amendment.pdf", action_id=str(action_id)).status_code == 200
    assert [a.original_name for a in repo.for_action(action_id)] == ["amendment.pdf"]
    other = make_guarantee("WA-9").id
    wrong = upload(editor, other, pdf_bytes(), "x.pdf", action_id=str(action_id))
    assert wrong.status_code == 422 and "not one of this guarantee" in wrong.get_data(as_text=True)
