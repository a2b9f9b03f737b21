"""Notes: one target each, a length limit, any state of the guarantee, and append-only in the database."""

import pytest
import sqlalchemy as sa

from guarantees.domain.notes import NOTE_MAX, mentioned
from guarantees.extensions import db
from guarantees.models import Note
from guarantees.repositories import notes as repo
from guarantees.services import actions, notes
from guarantees.services.errors import NotFound, ValidationFailed
from tests.migrations.test_triggers import refused

pytestmark = pytest.mark.usefixtures("before_expiry")


def test_a_guarantee_s_thread_is_kept_in_order(make_guarantee):
    gid = make_guarantee("NT-1").id
    first = notes.add(body="  Called the bank.\r\nThey will answer Sunday.  ", user="clerk", guarantee_id=gid)
    notes.add(body="Bank answered.", user="boss", guarantee_id=gid)
    thread = repo.for_guarantee(gid)
    assert [(n.body, n.created_by) for n in thread] == [
        ("Called the bank.\nThey will answer Sunday.", "clerk"),
        ("Bank answered.", "boss"),
    ]
    assert thread[0].id == first.id and thread[0].created_at is not None


def test_notes_on_a_batch_and_an_action_session(make_guarantee):
    g = make_guarantee("NT-2")
    batch_id = g.import_batch_id
    session = actions.start_session([g.id], "extension", user="clerk")
    notes.add(body="Monthly list from finance", user="clerk", batch_id=batch_id)
    notes.add(body="Letters sent by courier", user="clerk", session_id=session.id)
    assert [n.body for n in repo.for_batch(batch_id)] == ["Monthly list from finance"]
    assert [n.body for n in repo.for_session(session.id)] == ["Letters sent by courier"]
    assert repo.for_guarantee(g.id) == []


def test_a_note_has_exactly_one_target(make_guarantee):
    g = make_guarantee("NT-3")
    gid, batch_id = g.id, g.import_batch_id
    with pytest.raises(ValidationFailed, match="exactly one"):
        notes.add(body="x", user="clerk")
    with pytest.raises(ValidationFailed, match="exactly one"):
        notes.add(body="x", user="clerk", guarantee_id=gid, batch_id=batch_id)
    with pytest.raises(NotFound):
        notes.add(body="x", user="clerk", session_id=999999)
    db.session.remove()
    assert refused(
        "INSERT INTO notes (guarantee_id, import_batch_id, body, created_by, created_at) "
        "VALUES (:g, :b, 'x', 'clerk', '2026-01-15')",
        g=gid,
        b=batch_id,
    )
    assert refused("INSERT INTO notes (body, created_by, created_at) VALUES ('x', 'clerk', '2026-01-15')")


def test_a_note_is_not_empty_nor_longer_than_the_limit(make_guarantee):
    gid = make_guarantee("NT-4").id
    with pytest.raises(ValidationFailed, match="Write the note"):
        notes.add(body=" \n ", user="clerk", guarantee_id=gid)
    with pytest.raises(ValidationFailed, match=f"up to {NOTE_MAX}"):
        notes.add(body="x" * (NOTE_MAX + 1), user="clerk", guarantee_id=gid)
    assert len(notes.add(body="ض" * NOTE_MAX, user="clerk", guarantee_id=gid).body) == NOTE_MAX
    db.session.remove()
    assert refused(
        "INSERT INTO notes (guarantee_id, body, created_by, created_at) VALUES (:g, :b, 'clerk', '2026-01-15')",
        g=gid,
        b="x" * (NOTE_MAX + 1),
    )


def test_notes_are_allowed_on_a_released_guarantee(make_guarantee):
    gid = make_guarantee("NT-5").id
    actions.release(gid, user="clerk")
    assert notes.add(body="Original returned to the supplier.", user="clerk", guarantee_id=gid).id


def test_the_database_refuses_changing_or_deleting_a_note(make_guarantee):
    gid = make_guarantee("NT-6").id
    note_id = notes.add(body="As said.", user="clerk", guarantee_id=gid).id
    db.session.remove()
    assert refused("UPDATE notes SET body = 'Never said.' WHERE id = :id", id=note_id)
    assert refused("UPDATE notes SET created_by = 'someone' WHERE id = :id", id=note_id)
    assert refused("DELETE FROM notes WHERE id = :id", id=note_id)
    assert db.session.scalar(sa.select(Note.body).where(Note.id == note_id)) == "As said."
    db.session.remove()  # its read holds a lock TRUNCATE would wait for
    if db.engine.dialect.name == "postgresql":
        assert refused("TRUNCATE notes")
    else:
        assert refused(
            "INSERT OR REPLACE INTO notes (id, guarantee_id, body, created_by, created_at) "
            "VALUES (:id, :g, 'Replaced.', 'x', '2026-01-15')",
            id=note_id,
            g=gid,
        )


def test_mentions_are_read_from_the_text():
    assert mentioned("@sara please check, cc @ahmed.k and @sara. mail a@b.com") == ["sara", "ahmed.k"]


def test_a_mention_notifies_the_colleague_once_and_nobody_else(make_guarantee, make_user):
    from guarantees.models import Notification

    sara, _ahmed = make_user("Sara", "viewer"), make_user("ahmed", "editor")
    gone = make_user("gone", "editor")
    gone.active = False
    db.session.commit()
    sara_id = sara.id
    g = make_guarantee("NT-7")
    note = notes.add(body="@sara and @SARA, see the bank's fax; @nobody @gone @clerk", user="clerk", guarantee_id=g.id)
    notes.add(body="Batch checked, @sara", user="ahmed", batch_id=g.import_batch_id)
    rows = db.session.execute(sa.select(Notification.user_id, Notification.note_id, Notification.guarantee_id)).all()
    assert sorted(rows, key=lambda r: r.note_id) == [(sara_id, note.id, g.id), (sara_id, note.id + 1, None)]
    notes.add(body="Mentioning myself, @ahmed", user="ahmed", guarantee_id=g.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 2
