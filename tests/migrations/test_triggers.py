"""The database itself refuses what DESIGN §3 forbids, whatever the caller does."""

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import GuaranteeAction
from guarantees.services import actions, guarantees

# The guarantees these tests extend expire on 2026-06-01: the register's day is fixed before that.
pytestmark = pytest.mark.usefixtures("before_expiry")


def refused(sql: str, **params) -> bool:
    """True when the database refuses the statement (and nothing of it stays)."""
    try:
        with db.engine.begin() as connection:
            connection.execute(sa.text(sql), params)
    except (sa.exc.IntegrityError, sa.exc.InternalError, sa.exc.DatabaseError):
        return True
    return False


@pytest.fixture
def issued(make_guarantee):
    g = make_guarantee("T-1")
    ids = g.id, actions.extend(g.id, user="clerk").id
    db.session.remove()
    return ids


def test_issued_action_cannot_be_updated_or_deleted(issued):
    _, action_id = issued
    assert refused("UPDATE guarantee_actions SET notes = 'tampered' WHERE id = :id", id=action_id)
    assert refused("DELETE FROM guarantee_actions WHERE id = :id", id=action_id)
    assert db.session.get(GuaranteeAction, action_id).notes is None


def test_locked_guarantee_identity_is_frozen(issued):
    gid, _ = issued
    for column, value in (
        ("raw_supplier_name", "Someone Else"),
        ("guarantee_number", "T-2"),
        ("contract_number", "X"),
        ("type", "ADVANCED"),
    ):
        assert refused(f"UPDATE guarantees SET {column} = :v WHERE id = :id", v=value, id=gid), column
    assert refused("UPDATE guarantees SET is_locked = :f WHERE id = :id", f=False, id=gid)
    assert refused("DELETE FROM guarantees WHERE id = :id", id=gid)
    assert not refused("UPDATE guarantees SET comment = 'fine' WHERE id = :id", id=gid)


def test_locked_expiry_amount_status_need_their_action(issued):
    gid, _ = issued
    assert refused("UPDATE guarantees SET expiry_date = '2031-01-01' WHERE id = :id", id=gid)
    assert refused("UPDATE guarantees SET amount = 1 WHERE id = :id", id=gid)
    assert refused("UPDATE guarantees SET status = 'released' WHERE id = :id", id=gid)
    actions.reduce(gid, "100", user="clerk")  # through the action: accepted
    actions.release(gid, user="clerk")
    db.session.remove()
    assert refused("UPDATE guarantees SET status = 'active' WHERE id = :id", id=gid)


def test_edits_and_items_are_append_only(make_guarantee):
    g = make_guarantee("T-3")
    guarantees.update(g.id, {"comment": "x"}, expected_version=1, user="clerk")
    db.session.remove()
    assert refused("UPDATE guarantee_edits SET new_value = 'y'")
    assert refused("DELETE FROM guarantee_edits")
    assert refused("UPDATE import_batch_items SET outcome = 'updated'")
    assert refused("DELETE FROM import_batch_items")


def test_legacy_rows_change_only_in_transition_columns(make_guarantee):
    make_guarantee("T-4")
    db.session.remove()
    assert refused("UPDATE imported_records SET amount = '1.00'")
    assert refused("UPDATE imported_records SET guarantee_number = NULL")
    assert refused("DELETE FROM imported_records")
    assert not refused("UPDATE imported_records SET migrated_action_id = NULL")


def test_database_rules_for_actions(make_guarantee):
    gid = make_guarantee("T-5", amount="100").id
    db.session.remove()
    insert = (
        "INSERT INTO guarantee_actions (guarantee_id, guarantee_number, action_type, previous_expiry_date, "
        "new_expiry_date, previous_amount, new_amount, action_status, is_locked, origin, created_at) "
        "VALUES (:g, 'T-5', :t, :pe, :ne, :pa, :na, :s, :l, 'app', '2026-01-01')"
    )
    base = {"g": gid, "pe": "2026-06-01", "ne": "2027-06-01", "pa": 100, "na": 100, "s": "draft", "l": False}
    assert refused(insert, **{**base, "t": "extension", "ne": "2026-05-01"})  # backwards
    assert refused(insert, **{**base, "t": "reduction", "na": 0})  # not positive
    assert refused(insert, **{**base, "t": "reduction", "na": 150})  # not lower
    assert refused(insert, **{**base, "t": "release", "s": "issued", "l": False})  # issued but unlocked
    assert not refused(insert, **{**base, "t": "release"})
    assert refused(insert, **{**base, "t": "release"})  # a second release
