"""Attachments in a guarantee's timeline: each upload (on the guarantee or an action) and each hiding with its
reason, in the full timeline and among the newest entries, and on the page (a hidden file's name, link and reason
for editors only)."""

import io

import pytest

from guarantees.extensions import db
from guarantees.models import Guarantee
from guarantees.repositories import history
from guarantees.services import actions, attachments
from tests.sample_files import pdf_bytes, png_bytes

pytestmark = pytest.mark.usefixtures("before_expiry")


@pytest.fixture(autouse=True)
def store(app, tmp_path):
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "attachments")


@pytest.fixture
def filed(make_guarantee):
    """A guarantee with a scan on itself, an extension with the bank's letter on it, and the scan hidden."""
    g = make_guarantee("HA-1")
    scan = attachments.add(guarantee_id=g.id, filename="scan.png", stream=io.BytesIO(png_bytes()), user="clerk")
    extension = actions.extend(g.id, user="clerk")
    letter = attachments.add(
        guarantee_id=g.id, filename="خطاب البنك.pdf", stream=io.BytesIO(pdf_bytes()), user="clerk",
        action_id=extension.id,
    )  # fmt: skip
    attachments.hide(scan.id, reason="wrong guarantee scanned", user="checker")
    db.session.expire_all()
    return db.session.get(Guarantee, g.id), scan.id, letter.id, extension


def test_uploads_and_hidings_are_timeline_entries(filed):
    guarantee, scan_id, letter_id, extension = filed
    files = [entry for entry in history.timeline(guarantee) if entry.kind == "attachment"]
    assert [(e.title, e.attachment.id, e.user) for e in files] == [
        ("uploaded", scan_id, "clerk"),
        ("uploaded", letter_id, "clerk"),
        ("hidden", scan_id, "checker"),
    ]
    assert files[2].detail == "wrong guarantee scanned"
    assert (files[1].attachment.action_type, files[1].attachment.action_reference) == ("extension", extension.reference)


def test_the_newest_entries_count_uploads_and_hidings(filed):
    guarantee, scan_id, _letter_id, _extension = filed
    whole = history.timeline(guarantee)
    for limit in range(1, len(whole) + 1):
        newest = history.newest(guarantee, limit)
        assert [(e.kind, e.title, e.sequence) for e in newest.entries] == [
            (e.kind, e.title, e.sequence) for e in whole[-limit:]
        ]
        assert newest.earlier == len(whole) - limit
    assert (history.newest(guarantee, 1).entries[0].title, history.newest(guarantee, 1).entries[0].sequence) == (
        "hidden",
        scan_id,
    )


def test_the_page_shows_them_and_a_hidden_file_to_editors_only(filed, editor, viewer):
    guarantee, scan_id, letter_id, extension = filed
    page = f"/guarantees/{guarantee.id}?view=timeline&history=all"
    html = editor.get(page).get_data(as_text=True)
    assert "Attachment added" in html and "Attachment hidden" in html
    assert "wrong guarantee scanned" in html and extension.reference in html
    assert f"/attachments/{scan_id}" in html and f"/attachments/{letter_id}" in html
    seen = viewer.get(page).get_data(as_text=True)
    assert "Attachment hidden" in seen and f"/attachments/{letter_id}" in seen and "a hidden file" in seen
    assert f"/attachments/{scan_id}" not in seen and "scan.png" not in seen and "wrong guarantee scanned" not in seen
