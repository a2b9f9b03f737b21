"""Notes on the pages: viewers read, editors add inline (htmx answers with the thread), in the timeline too."""

import pytest

from guarantees.domain.notes import NOTE_MAX
from guarantees.repositories import notes as repo
from guarantees.services import actions, notes

pytestmark = pytest.mark.usefixtures("before_expiry")


def test_an_editor_adds_a_note_inline_and_it_shows_in_the_thread_and_the_timeline(editor, make_guarantee):
    gid = make_guarantee("WN-1").id
    answer = editor.post(f"/notes/guarantee/{gid}", {"body": "Bank promised an answer <b>Sunday</b>"}, htmx=True)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section id="notes"')
    assert "Bank promised an answer &lt;b&gt;Sunday&lt;/b&gt;" in html and "editor-user" in html
    page = editor.get(f"/guarantees/{gid}").get_data(as_text=True)
    assert page.count("Bank promised an answer &lt;b&gt;Sunday&lt;/b&gt;") == 2  # its section and the timeline
    assert 'class="kind-note"' in page


def test_without_htmx_the_note_is_added_and_the_page_reloads(editor, make_guarantee):
    gid = make_guarantee("WN-2").id
    answer = editor.post(f"/notes/guarantee/{gid}", {"body": "Plain form"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/guarantees/{gid}#notes")
    assert [n.body for n in repo.for_guarantee(gid)] == ["Plain form"]


def test_a_bad_note_is_refused_with_its_message_and_nothing_written(editor, make_guarantee):
    gid = make_guarantee("WN-3").id
    empty = editor.post(f"/notes/guarantee/{gid}", {"body": "   "}, htmx=True)
    assert empty.status_code == 422 and "Write the note first." in empty.get_data(as_text=True)
    long = editor.post(f"/notes/guarantee/{gid}", {"body": "x" * (NOTE_MAX + 1)}, htmx=True)
    html = long.get_data(as_text=True)
    assert long.status_code == 422 and f"up to {NOTE_MAX} characters" in html
    assert "x" * (NOTE_MAX + 1) in html  # what was typed is kept in the form
    assert repo.for_guarantee(gid) == []


def test_viewers_read_notes_but_cannot_add_one(viewer, make_guarantee):
    gid = make_guarantee("WN-4").id
    notes.add(body="Seen by all", user="clerk", guarantee_id=gid)
    page = viewer.get(f"/guarantees/{gid}").get_data(as_text=True)
    assert "Seen by all" in page and 'id="note-body"' not in page
    assert viewer.post(f"/notes/guarantee/{gid}", {"body": "Mine"}, htmx=True).status_code == 403
    assert [n.body for n in repo.for_guarantee(gid)] == ["Seen by all"]


def test_the_form_needs_its_csrf_token(editor, make_guarantee):
    gid = make_guarantee("WN-5").id
    assert editor.post(f"/notes/guarantee/{gid}", {"body": "x"}, htmx=True, csrf=False).status_code == 400
    assert repo.for_guarantee(gid) == []


def test_notes_on_a_released_guarantee_a_batch_and_an_action_session(editor, make_guarantee):
    g = make_guarantee("WN-6")
    gid, batch_id = g.id, g.import_batch_id
    session_id = actions.start_session([gid], "extension", user="clerk").id
    assert editor.post(f"/notes/batch/{batch_id}", {"body": "About the list"}, htmx=True).status_code == 200
    assert "About the list" in editor.get(f"/batches/{batch_id}").get_data(as_text=True)
    assert editor.post(f"/notes/session/{session_id}", {"body": "Courier"}, htmx=True).status_code == 200
    assert "Courier" in editor.get(f"/actions/{session_id}").get_data(as_text=True)
    actions.release(gid, user="clerk")
    assert editor.post(f"/notes/guarantee/{gid}", {"body": "After release"}, htmx=True).status_code == 200
    assert editor.post("/notes/guarantee/999999", {"body": "x"}, htmx=True).status_code == 404
    assert editor.post("/notes/other/1", {"body": "x"}, htmx=True).status_code == 404


def test_a_mentioned_colleague_finds_the_note_among_their_notifications(editor, signed_in, make_guarantee):
    colleague = signed_in("viewer", "sara")
    g = make_guarantee("WN-7")
    gid, batch_id = g.id, g.import_batch_id
    editor.post(f"/notes/guarantee/{gid}", {"body": "@sara the bank called back"}, htmx=True)
    editor.post(f"/notes/batch/{batch_id}", {"body": "@sara this list is checked"}, htmx=True)
    html = colleague.get("/notifications").get_data(as_text=True)
    assert html.count("data-mention") == 2 and "editor-user mentioned you in a note:" in html
    assert "the bank called back" in html and f"/guarantees/{gid}#note-" in html
    assert f"/batches/{batch_id}#note-" in html
