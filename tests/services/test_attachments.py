"""Attachments: type from the content, size limit, storage by hash never overwritten, safe names, hiding once with
a reason, the database's refusal of any other change, and `flask attachments verify`."""

import hashlib
import io
import json

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Attachment
from guarantees.repositories import attachments as repo
from guarantees.services import actions
from guarantees.services import attachments as service
from guarantees.services.errors import NotFound, RuleViolation, ValidationFailed
from tests.migrations.test_triggers import refused
from tests.sample_files import elf_bytes, exe_bytes, office_zip, pdf_bytes, png_bytes

pytestmark = pytest.mark.usefixtures("before_expiry")


@pytest.fixture(autouse=True)
def store(app, tmp_path):
    """A store of this test's own."""
    folder = tmp_path / "attachments"
    app.config["ATTACHMENTS_DIR"] = str(folder)
    return folder


def stored_files(store) -> list:
    return sorted(p for p in store.rglob("*") if p.is_file() and ".incoming" not in p.parts)


def add(guarantee_id, content: bytes, name="file.pdf", **kwargs):
    return service.add(guarantee_id=guarantee_id, filename=name, stream=io.BytesIO(content), user="clerk", **kwargs)


def test_a_pdf_and_a_png_are_stored_by_their_hash(make_guarantee, store):
    gid = make_guarantee("AT-1").id
    pdf, png = pdf_bytes(), png_bytes()
    first = add(gid, pdf, "letter.pdf")
    second = add(gid, png, "scan.png")
    assert (first.content_type, first.size_bytes, first.uploaded_by) == ("application/pdf", len(pdf), "clerk")
    assert second.content_type == "image/png"
    sha = hashlib.sha256(pdf).hexdigest()
    assert first.sha256 == sha
    path = store / sha[:2] / sha[2:4] / sha
    assert path.read_bytes() == pdf
    assert [a.id for a in repo.for_guarantee(gid)] == [second.id, first.id]
    assert not list((store / ".incoming").iterdir())  # no temporary file left behind


def test_the_same_content_is_stored_once_and_never_overwritten(make_guarantee, store):
    g1, g2 = make_guarantee("AT-2").id, make_guarantee("AT-3").id
    pdf = pdf_bytes()
    first = add(g1, pdf, "a.pdf")
    path = service.stored_path(first.sha256)
    before = path.stat()
    second = add(g2, pdf, "b.pdf")
    assert second.sha256 == first.sha256 and second.id != first.id
    assert stored_files(store) == [path]
    assert path.stat().st_ino == before.st_ino and path.stat().st_mtime_ns == before.st_mtime_ns


def test_the_type_is_read_from_the_content_not_the_name(make_guarantee):
    gid = make_guarantee("AT-4").id
    assert add(gid, png_bytes(), "looks-like.pdf").content_type == "image/png"
    assert add(gid, office_zip("sheet"), "bank.bin").content_type.endswith("spreadsheetml.sheet")
    assert add(gid, office_zip("document"), "letter.xlsx").content_type.endswith("wordprocessingml.document")


@pytest.mark.parametrize("content", [elf_bytes(), exe_bytes()], ids=["elf", "exe"])
def test_a_renamed_program_is_refused_and_nothing_is_kept(make_guarantee, store, content):
    gid = make_guarantee("AT-5").id
    with pytest.raises(ValidationFailed, match="program"):
        add(gid, content, "invoice.pdf")
    assert stored_files(store) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0


@pytest.mark.parametrize("content", [b"just some text", office_zip("macro"), b"PK\x03\x04 broken zip"])
def test_other_files_are_refused(make_guarantee, store, content):
    gid = make_guarantee("AT-6").id
    with pytest.raises(ValidationFailed, match="PDF, PNG, JPEG"):
        add(gid, content, "x.pdf")
    assert stored_files(store) == []


def test_an_oversized_file_is_refused_with_nothing_stored(app, make_guarantee, store):
    app.config["ATTACHMENT_MAX_BYTES"] = 2048
    gid = make_guarantee("AT-7").id
    with pytest.raises(ValidationFailed, match="too large") as refusal:
        add(gid, pdf_bytes() + b"%" * 4096)
    assert "2 KB" in refusal.value.message
    assert stored_files(store) == [] and not list((store / ".incoming").iterdir())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
    with pytest.raises(ValidationFailed, match="empty"):
        add(gid, b"")


def test_a_name_with_path_tricks_is_stored_safely_with_its_arabic_letters(make_guarantee, store):
    gid = make_guarantee("AT-8").id
    found = add(gid, pdf_bytes(), "../../etc/\u202eخطاب البنك\x07.pdf")
    assert found.original_name == "خطاب البنك.pdf"
    assert add(gid, png_bytes(), "C:\\Users\\x\\صورة.png").original_name == "صورة.png"
    assert add(gid, png_bytes(2, 2), "..").original_name == "attachment.png"
    assert all(store in p.parents for p in stored_files(store))


def test_an_attachment_may_be_tied_to_one_of_the_guarantee_s_actions(make_guarantee):
    gid, other = make_guarantee("AT-9").id, make_guarantee("AT-10").id
    action = actions.extend(gid, user="clerk")
    found = add(gid, pdf_bytes(), action_id=action.id)
    assert [a.id for a in repo.for_action(action.id)] == [found.id]
    with pytest.raises(ValidationFailed, match="not one of this guarantee"):
        add(other, pdf_bytes(), action_id=action.id)
    with pytest.raises(NotFound):
        add(10**6, pdf_bytes())


def test_a_released_guarantee_still_takes_attachments(make_guarantee):
    gid = make_guarantee("AT-11").id
    actions.release(gid, user="clerk")
    assert add(gid, pdf_bytes()).guarantee_id == gid


def test_hiding_needs_a_reason_and_happens_once(make_guarantee):
    gid = make_guarantee("AT-12").id
    attachment = add(gid, pdf_bytes())
    with pytest.raises(ValidationFailed, match="reason"):
        service.hide(attachment.id, reason="  ", user="boss")
    hidden = service.hide(attachment.id, reason="Wrong guarantee", user="boss")
    assert (hidden.hidden_by, hidden.hidden_reason, hidden.is_hidden) == ("boss", "Wrong guarantee", True)
    with pytest.raises(RuleViolation, match="hidden already"):
        service.hide(attachment.id, reason="again", user="other")
    assert repo.for_guarantee(gid, include_hidden=False) == []
    assert service.stored_path(attachment.sha256).is_file()  # the file stays


def test_the_database_refuses_deleting_or_changing_an_attachment(make_guarantee):
    gid = make_guarantee("AT-13").id
    shown, hidden = add(gid, pdf_bytes()).id, add(gid, png_bytes()).id
    service.hide(hidden, reason="duplicate", user="boss")
    db.session.remove()
    assert refused("DELETE FROM attachments WHERE id = :id", id=shown)
    assert refused("UPDATE attachments SET original_name = 'x.pdf' WHERE id = :id", id=shown)
    assert refused("UPDATE attachments SET sha256 = :s WHERE id = :id", s="0" * 64, id=shown)
    # hiding without a reason, or with the name changed at the same time, is refused too
    assert refused("UPDATE attachments SET hidden_by = 'x', hidden_at = '2026-01-15' WHERE id = :id", id=shown)
    assert refused(
        "UPDATE attachments SET hidden_by = 'x', hidden_at = '2026-01-15', hidden_reason = 'r', "
        "original_name = 'y.pdf' WHERE id = :id",
        id=shown,
    )
    # a hidden one is not un-hidden, nor its reason rewritten
    assert refused(
        "UPDATE attachments SET hidden_by = NULL, hidden_at = NULL, hidden_reason = NULL WHERE id = :id", id=hidden
    )
    assert refused("UPDATE attachments SET hidden_reason = 'other' WHERE id = :id", id=hidden)
    assert not refused(
        "UPDATE attachments SET hidden_by = 'x', hidden_at = '2026-01-15', hidden_reason = 'r' WHERE id = :id",
        id=shown,
    )
    if db.engine.dialect.name == "postgresql":
        assert refused("TRUNCATE attachments")
    else:
        columns = "id, guarantee_id, original_name, size_bytes, content_type, sha256, uploaded_by, uploaded_at"
        assert refused(
            f"REPLACE INTO attachments ({columns}) SELECT {columns} FROM attachments WHERE id = :id", id=shown
        )
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 2


def test_verify_finds_a_tampered_and_a_missing_file(make_guarantee, runner):
    gid = make_guarantee("AT-14").id
    good, tampered, missing = add(gid, pdf_bytes("one")), add(gid, pdf_bytes("two")), add(gid, png_bytes())
    result = runner.invoke(args=["attachments", "verify"])
    assert result.exit_code == 0, result.output
    path = service.stored_path(tampered.sha256)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes().replace(b"two", b"TWO"))
    service.stored_path(missing.sha256).unlink()
    result = runner.invoke(args=["attachments", "verify", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert not report["ok"] and report["files"] == 3
    assert {(bad["sha256"], bad["problem"], tuple(bad["attachment_ids"])) for bad in report["bad"]} == {
        (tampered.sha256, "altered", (tampered.id,)),
        (missing.sha256, "missing", (missing.id,)),
    }
    plain = runner.invoke(args=["attachments", "verify"])
    assert plain.exit_code == 1 and tampered.sha256 in plain.output and good.sha256 not in plain.output
