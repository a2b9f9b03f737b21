"""Hostile requests to the notes, attachments, bank answers, voids, reports, paste, review and dictionary endpoints:
never a 500, nothing written by a refused request, no NUL character stored, roles and CSRF kept, exports
formula-safe and pages escaped. Each case is one that failed or that a fix must keep (both databases)."""

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from guarantees.extensions import db
from guarantees.models import Attachment, BankAnswer, GuaranteeAction, MatchDecision, NameAlias, Note, Supplier
from guarantees.services import actions, dictionary_import, review, voids
from guarantees.services import attachments as attachment_service
from tests.sample_files import pdf_bytes
from tests.web.conftest import csrf_from

pytestmark = pytest.mark.usefixtures("before_expiry", "issue_clock")

XSS = "<script>alert(1)</script>\"onmouseover=x 'onfocus=y"
FORMULAS = ["=1+1", "+1", "-1+2", "@SUM(A1)", '=HYPERLINK("http://x","y")']


@pytest.fixture
def world(app, make_guarantee):
    """A guarantee with an issued extension, a second one whose extension has a prepared void, an attachment, its
    import batch and an action session: the ids the hostile requests aim at."""
    g = make_guarantee("H-1", raw_supplier_name="Gulf Cables Co")
    extension = actions.extend(g.id, user="clerk")
    other = make_guarantee("H-2", raw_supplier_name="Desert Steel Co")
    void = voids.prepare(actions.extend(other.id, user="clerk").id, reason="wrong date", user="someone")
    attachment = attachment_service.add(guarantee_id=g.id, filename="a.pdf", stream=io.BytesIO(pdf_bytes()), user="x")
    session = actions.start_session([other.id], "release", user="clerk")
    supplier = review.save_supplier(None, {"official_name": "Gulf Cables"}, user="setup")
    return {
        "g": g.id,
        "ext": extension.id,
        "void": void.id,
        "att": attachment.id,
        "batch": g.import_batch_id,
        "session": session.id,
        "supplier": supplier.id,
    }


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def snapshot() -> tuple:
    """What the endpoints below write: a refused request leaves all of it as it was."""
    return (
        count(Note),
        count(Attachment),
        count(Attachment, Attachment.hidden_at.is_not(None)),
        count(BankAnswer),
        count(GuaranteeAction),
        count(NameAlias),
        count(MatchDecision),
        count(Supplier),
    )


# (url, form) of every write this session added, with a form that would succeed.
WRITES = [
    ("/notes/guarantee/{g}", {"body": "note"}),
    ("/notes/batch/{batch}", {"body": "note"}),
    ("/notes/session/{session}", {"body": "note"}),
    ("/attachments/{att}/hide", {"reason": "wrong file"}),
    ("/bank-answers/actions/{ext}/answer", {"answer_date": "2026-01-15", "bank_reference": "R/1"}),
    ("/bank-answers/actions/{ext}/void", {"reason": "wrong date"}),
    ("/bank-answers/voids/{void}/issue", {}),
    ("/bank-answers/voids/{void}/discard", {}),
    ("/bank-answers/settings", {"wait_days": "10"}),
    ("/batches/today/paste", {"rows": "G9\tRiyad Bank\t100"}),
    ("/review/apply", {"entity": "supplier", "raw_name": "Gulf Cables Co", "chosen_id": "{supplier}"}),
    ("/review/add-entry", {"entity": "supplier", "raw_name": "Desert Steel Co", "official_name": "Desert Steel"}),
    ("/review/preview/selected", {"group": "supplier:Gulf Cables Co"}),
    ("/review/preview/threshold", {"threshold": "90"}),
    ("/review/bulk", {"decision": "supplier:{supplier}:Gulf Cables Co", "confirm": "x"}),
    ("/review/settings", {"admins_only": "y"}),
    ("/admin/banks/import/confirm", {"token": "0" * 32}),
    ("/admin/banks/starter", {}),
]
ADMIN_ONLY = {"/bank-answers/settings", "/review/settings", "/admin/banks/import/confirm", "/admin/banks/starter"}


def filled(world, url, data):
    return url.format(**world), {name: value.format(**world) for name, value in data.items()}


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_every_new_write_needs_the_csrf_token_the_role_and_a_sign_in(app, client, world, viewer, editor, htmx):
    before = snapshot()
    headers = {"HX-Request": "true"} if htmx else {}
    anonymous_token = csrf_from(client.get("/login").get_data(as_text=True))
    for template, form in WRITES:
        url, data = filled(world, template, form)
        for token in (None, "forged"):
            sent = {**headers, **({"X-CSRFToken": token} if token else {})}
            assert editor.client.post(url, data=data, headers=sent).status_code == 400, (url, token)
        assert viewer.post(url, data=data, htmx=htmx).status_code == 403, url
        if template in ADMIN_ONLY:
            assert editor.post(url, data=data, htmx=htmx).status_code == 403, url
        anonymous = client.post(url, data=data, headers={**headers, "X-CSRFToken": anonymous_token})
        assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["Location"], url
    assert snapshot() == before


NUL_CASES = [
    # (url, form, field, the NUL value, status) — a value that is only NUL is an empty one
    ("/attachments/{att}/hide", {"reason": "r"}, "reason", "\x00", 422),
    ("/bank-answers/actions/{ext}/answer", {"answer_date": "2026-01-15", "bank_reference": "R"}, "bank_reference",
     "\x00", 422),
    ("/bank-answers/actions/{ext}/void", {"reason": "r"}, "reason", "\x00", 422),
    ("/notes/guarantee/{g}", {"body": "b"}, "body", "\x00", 422),
    ("/review/add-entry", {"entity": "supplier", "raw_name": "Desert Steel Co", "official_name": "D"},
     "official_name", "\x00", 422),
]  # fmt: skip


@pytest.mark.parametrize(("url", "form", "field", "value", "status"), NUL_CASES, ids=lambda v: str(v)[:20])
def test_a_field_of_nul_characters_is_refused_as_empty_never_a_500(world, editor, url, form, field, value, status):
    url, data = filled(world, url, form)
    before = snapshot()
    response = editor.post(url, data={**data, field: value * 3}, htmx=True)
    assert response.status_code == status, response.status_code
    assert snapshot() == before


def test_nul_characters_inside_text_are_dropped_before_anything_is_stored(world, editor):
    hidden = editor.post(f"/attachments/{world['att']}/hide", data={"reason": "wrong\x00 file"}, htmx=True)
    assert hidden.status_code == 200
    assert db.session.get(Attachment, world["att"]).hidden_reason == "wrong file"
    answered = editor.post(
        f"/bank-answers/actions/{world['ext']}/answer",
        data={"answer_date": "2026-01-15", "bank_reference": "RB\x00/55"},
        htmx=True,
    )
    assert answered.status_code == 204
    assert db.session.scalar(sa.select(BankAnswer.bank_reference)) == "RB/55"
    data = {"entity": "supplier", "raw_name": "Gulf Cables Co\x00", "chosen_id": str(world["supplier"])}
    assert editor.post("/review/apply", data=data, htmx=True).status_code == 200
    added = {"entity": "supplier", "raw_name": "Desert\x00 Steel Co", "official_name": "Desert\x00 Steel"}
    assert editor.post("/review/add-entry", data=added, htmx=True).status_code == 200
    texts = [
        *db.session.scalars(sa.select(NameAlias.raw_name)),
        *db.session.scalars(sa.select(MatchDecision.raw_name)),
        *db.session.scalars(sa.select(Supplier.official_name)),
    ]
    assert "Desert Steel" in texts and not any("\x00" in text for text in texts if text)


def test_a_bulk_decision_naming_a_spelling_with_nul_characters_is_applied_without_them(world, editor):
    from guarantees.repositories import review_groups

    choice = ("supplier", "Gulf Cables Co", world["supplier"])
    data = {
        "decision": f"supplier:{world['supplier']}:Gulf Cables Co\x00",
        "confirm": review_groups.plan([choice]).fingerprint,
    }
    assert editor.post("/review/bulk", data=data, htmx=True).status_code == 200
    assert not any("\x00" in name for name in db.session.scalars(sa.select(NameAlias.raw_name)))


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_a_body_too_large_for_the_attachments_routes_is_a_4xx_never_a_500(app, world, editor, htmx):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    cases = [
        (f"/guarantees/{world['g']}/attachments", (303, 422)),
        ("/guarantees/999999/attachments", (404,)),
        (f"/attachments/{world['att']}/hide", (413,)),
        ("/attachments/999999/hide", (413,)),
    ]
    before = snapshot()
    for url, statuses in cases:
        body = {"reason": "x" * 5000, "file": (io.BytesIO(b"%PDF" + b"x" * 5000), "a.pdf")}
        response = editor.post(url, data=body, htmx=htmx)
        assert response.status_code in statuses, (url, response.status_code)
    assert snapshot() == before


HOSTILE = [
    *("", " ", "\x00", "x" * 300_000, "2026-02-30", "99999-01-01", "٢٠٢٦-٠١-١٥", "-1", str(2**63), str(10**30)),
    *("1e400", "nan", XSS, "=1+1", "supplier", "bank:1:x", "supplier:x", "bank:-1:x", "bank:99999999999:x"),
]


@pytest.mark.parametrize(("url", "form"), WRITES, ids=[url for url, _ in WRITES])
def test_hostile_values_in_each_field_are_never_a_500(world, admin, url, form):
    url, data = filled(world, url, form)
    names = list(data) or ["anything"]
    for name in names:
        for value in HOSTILE:
            for sent in ({**data, name: value}, {**data, name: [value, value]}):
                response = admin.post(url, data=sent, htmx=value == "")
                assert response.status_code < 500, (url, name, value[:30], response.status_code)


UPLOAD_NAMES = ["", "a" * 10_000 + ".pdf", "x." + "b" * 10_000, "../../../etc/passwd", "C:\\x\\y.pdf", "..", "%00.pdf"]


@pytest.mark.parametrize("name", UPLOAD_NAMES, ids=lambda name: name[:12])
def test_uploaded_names_never_leave_the_store_and_never_break_a_download(app, world, editor, viewer, name, tmp_path):
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(pdf_bytes(name[:20])), name)})
    multipart = f"multipart/form-data; boundary={boundary}"
    response = editor.post(f"/guarantees/{world['g']}/attachments", body, content_type=multipart)
    assert response.status_code == 303
    for content, filename in ((b"", name), (pdf_bytes(), "")):
        boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(content), filename)})
        refused = editor.post(
            f"/guarantees/{world['g']}/attachments", body, content_type=f"multipart/form-data; boundary={boundary}"
        )
        assert refused.status_code in (303, 422)
    newest = db.session.scalar(sa.select(Attachment).order_by(Attachment.id.desc()).limit(1))
    assert "/" not in newest.original_name and len(newest.original_name) <= 200
    download = viewer.get(f"/attachments/{newest.id}")
    disposition = download.headers["Content-Disposition"]
    download.close()
    assert download.status_code == 200 and disposition.startswith("attachment; filename=")
    assert not set(disposition) & {"\r", "\n", "\x00"} and disposition.count('"') == 2
    written = {path.relative_to(tmp_path).parts[0] for path in tmp_path.rglob("*") if path.is_file()}
    assert written <= {"attachments", "uploads"}


def test_hidden_attachments_stay_hidden_from_viewers_and_previews_run_no_script(world, editor, viewer):
    preview = editor.get(f"/attachments/{world['att']}/preview")
    policy = preview.headers["Content-Security-Policy"]
    preview.close()
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert editor.post(f"/attachments/{world['att']}/hide", data={"reason": "wrong file"}).status_code == 303
    for path in (f"/attachments/{world['att']}", f"/attachments/{world['att']}/preview"):
        assert viewer.get(path).status_code == 404
        shown = editor.get(path)
        shown.close()
        assert shown.status_code == 200


QUERIES = [{"from": "2026-02-30", "to": "99999-01-01"}, {"from": "2027-01-01", "to": "2025-01-01"},
           {"from": "٢٠٢٦-٠١-٠١"}, {"page": str(10**12)}, {"page": "-1"}, {"kind": "nobody", "band": "x" * 500},
           {"bank": "\x00" * 50, "supplier": XSS}, {"format": "exe"}, {"unknown": "1"}]  # fmt: skip
PAGES = ["/reports", "/reports/bank.xlsx", "/reports/activity.xlsx", "/review", "/review/search", "/notifications",
         "/admin/banks/export", "/admin/suppliers", "/admin/settings"]  # fmt: skip


@pytest.mark.parametrize("query", QUERIES, ids=lambda query: ",".join(query))
def test_bad_query_strings_are_dropped_never_a_500(world, admin, query):
    for page in PAGES:
        response = admin.get(page, query_string=query)
        assert response.status_code in (200, 404), (page, query, response.status_code)  # /review/search: 404


def test_exports_write_formula_like_text_as_text(app, admin, make_guarantee):
    for number, text in enumerate(FORMULAS):
        actions.extend(make_guarantee(f"F{number}", raw_supplier_name=text, raw_bank_name=text).id, user=text)
    rows = "\r\n".join(f'"{text}"' for text in FORMULAS)
    for entity in ("supplier", "bank"):
        dictionary_import.apply(entity, f"Official name\r\n{rows}\r\n".encode(), "d.csv", user="setup")
    seen = 0
    for url in ("/reports/bank.xlsx", "/reports/supplier.xlsx", "/reports/activity.xlsx", "/admin/banks/export",
                "/admin/suppliers/export"):  # fmt: skip
        book = load_workbook(io.BytesIO(admin.get(url).data))
        for cell in (cell for sheet in book for row in sheet.iter_rows() for cell in row):
            assert cell.data_type != "f", (url, cell.coordinate, cell.value)
            seen += cell.value in FORMULAS
    assert seen >= 3 * len(FORMULAS)
    for kind in ("banks", "suppliers"):
        lines = admin.get(f"/admin/{kind}/export?format=csv").data.decode("utf-8-sig").splitlines()[1:]
        assert lines and all(line.startswith("'") for line in lines if line[:1] in "=+-@'")


def test_hostile_text_is_escaped_wherever_it_is_shown(world, editor, viewer, make_guarantee):
    g = make_guarantee("X-1", raw_supplier_name=XSS, raw_bank_name=XSS, contract_number=XSS)
    extension = actions.extend(g.id, user="clerk")
    for target, target_id in (("guarantee", g.id), ("batch", g.import_batch_id), ("session", world["session"])):
        assert editor.post(f"/notes/{target}/{target_id}", data={"body": XSS + " @viewer-user"}).status_code == 303
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(pdf_bytes()), XSS + ".pdf")})
    editor.post(f"/guarantees/{g.id}/attachments", body, content_type=f"multipart/form-data; boundary={boundary}")
    answer = {"answer_date": "2026-01-15", "bank_reference": XSS[:60]}
    assert editor.post(f"/bank-answers/actions/{extension.id}/answer", data=answer).status_code == 303
    assert editor.post(f"/bank-answers/actions/{extension.id}/void", data={"reason": XSS}).status_code == 303
    pages = [f"/guarantees/{g.id}", f"/batches/{g.import_batch_id}", f"/actions/{world['session']}", "/notifications",
             "/reports", f"/reports?bank={XSS}", "/review", "/"]  # fmt: skip
    for client in (editor, viewer):
        for page in pages:
            for htmx in (False, True):
                html = client.get(page, htmx=htmx).get_data(as_text=True)
                for raw in ("<script>alert", '"onmouseover', "'onfocus"):
                    assert raw not in html, (page, htmx, raw)
