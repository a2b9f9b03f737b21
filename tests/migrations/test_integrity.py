"""Migration 0015: the ways plain SQL got round the database's rules are closed, on SQLite and PostgreSQL alike,
while the register's own writes (issuing actions, the legacy migration) go on as before."""

import sqlite3
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Guarantee
from guarantees.services import actions, guarantees
from tests.migrations.test_triggers import refused

# The guarantees these tests extend expire on 2026-06-01: the register's day is fixed before that.
pytestmark = pytest.mark.usefixtures("before_expiry")

INSERT_ACTION = (
    "INSERT INTO guarantee_actions (guarantee_id, guarantee_number, action_type, previous_expiry_date, "
    "new_expiry_date, previous_amount, new_amount, action_status, is_locked, origin, created_at) "
    "VALUES (:g, :n, :t, :pe, :ne, :pa, :na, :s, :l, :o, '2026-01-15')"
)


def state(guarantee_id: int) -> tuple:
    db.session.remove()
    found = db.session.get(Guarantee, guarantee_id)
    return found.expiry_date, found.amount, found.status


def version(guarantee_id: int) -> int:
    db.session.remove()
    return db.session.get(Guarantee, guarantee_id).version


def scalar(sql: str, **params):
    with db.engine.connect() as connection:
        return connection.execute(sa.text(sql), params).scalar()


def is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


# -- 1. a locked guarantee's expiry and amount are what its latest issued action made them ------------------------


def test_a_locked_guarantee_is_never_set_back_to_an_earlier_action_s_values(make_guarantee):
    gid = make_guarantee("IN-1", amount="1000.00").id  # expires 2026-06-01
    actions.extend(gid, "2027-06-01", user="clerk")
    actions.extend(gid, "2028-06-01", user="clerk")
    actions.reduce(gid, "800", user="clerk")
    actions.reduce(gid, "600", user="clerk")
    db.session.remove()
    for earlier in ("2027-06-01", "2026-06-01", "2029-01-01"):
        assert refused(f"UPDATE guarantees SET expiry_date = '{earlier}' WHERE id = :id", id=gid), earlier
    for earlier in (800, 1000, 500):
        assert refused("UPDATE guarantees SET amount = :a WHERE id = :id", a=earlier, id=gid), earlier
    assert refused("UPDATE guarantees SET expiry_date = NULL WHERE id = :id", id=gid)
    assert refused("UPDATE guarantees SET amount = NULL WHERE id = :id", id=gid)
    assert state(gid) == (date(2028, 6, 1), Decimal("600.00"), "active")
    # Fields no action governs stay editable; the register's own path goes on.
    assert not refused("UPDATE guarantees SET comment = 'still fine' WHERE id = :id", id=gid)
    actions.extend(gid, "2029-06-01", user="clerk")
    actions.reduce(gid, "100", user="clerk")
    actions.release(gid, user="clerk")
    assert state(gid) == (date(2029, 6, 1), Decimal("100.00"), "released")


def test_a_session_issuing_several_actions_on_one_guarantee_still_works(make_guarantee):
    gid = make_guarantee("IN-2", amount="1000.00").id
    session_id = actions.create_session("two steps", user="clerk").id
    actions.add_drafts(session_id, [gid], "extension", user="clerk", new_expiry="2027-01-01")
    actions.add_drafts(session_id, [gid], "reduction", user="clerk", new_amount="900")
    actions.issue_session(session_id, user="chief")
    assert state(gid)[:2] == (date(2027, 1, 1), Decimal("900.00"))
    assert refused("UPDATE guarantees SET expiry_date = '2026-06-01' WHERE id = :id", id=gid)


# -- 2. actions are issued only by the register's own path ---------------------------------------------------------


def _action(gid, number, **values):
    base = {"g": gid, "n": number, "t": "extension", "pe": "2026-06-01", "ne": "2030-01-01", "pa": 1000, "na": 1000}
    return {**base, "s": "draft", "l": False, "o": "app", **values}


def test_an_action_of_the_register_is_never_inserted_already_issued(make_guarantee):
    gid = make_guarantee("IN-3", amount="1000.00").id
    actions.extend(gid, "2027-06-01", user="clerk")  # locked
    db.session.remove()
    forged = _action(gid, "IN-3", pe="2027-06-01", ne="2031-01-01")
    assert refused(INSERT_ACTION, **{**forged, "s": "issued", "l": True})
    assert refused(INSERT_ACTION, **{**forged, "l": True})  # a locked draft: issued in all but name
    # A forged legacy action may be written (the migration writes them so), but it moves nothing.
    assert not refused(INSERT_ACTION, **{**forged, "s": "issued", "l": True, "o": "legacy"})
    assert refused("UPDATE guarantees SET expiry_date = '2031-01-01' WHERE id = :id", id=gid)
    assert state(gid)[0] == date(2027, 6, 1)


def test_a_draft_is_issued_only_from_the_guarantee_s_current_values(make_guarantee):
    gid = make_guarantee("IN-4", amount="1000.00").id
    actions.extend(gid, "2027-06-01", user="clerk")
    db.session.remove()
    issue = "UPDATE guarantee_actions SET action_status = 'issued', is_locked = :t WHERE id = :id"

    def draft(**values) -> int:
        with db.engine.begin() as connection:
            connection.execute(sa.text(INSERT_ACTION), _action(gid, "IN-4", **values))
            return connection.execute(sa.text("SELECT max(id) FROM guarantee_actions")).scalar()

    # From a value the guarantee no longer has (an earlier action's): refused, so no step back can be forged.
    stale = draft(pe="2026-06-01", ne="2026-12-01")
    assert refused(issue, t=True, id=stale)
    # A release, reduction or modification that moves the expiry, or an extension that moves the amount.
    for kind, values in (
        ("release", {"ne": "2030-01-01"}),
        ("reduction", {"ne": "2030-01-01", "na": 900}),
        ("modification", {"na": 5}),
        ("extension", {"na": 5}),
    ):
        assert refused(issue, t=True, id=draft(t=kind, pe="2027-06-01", **values)), kind
    # Issued as a legacy action: refused (legacy actions arrive issued, they are not issued here).
    legacy = draft(pe="2027-06-01", ne="2030-01-01", o="legacy")
    assert refused(issue, t=True, id=legacy)
    assert state(gid)[0] == date(2027, 6, 1)
    # What the register itself does, in SQL: a draft from the current values, issued, then the guarantee moved.
    fair = draft(pe="2027-06-01", ne="2030-01-01")
    with db.engine.begin() as connection:
        connection.execute(sa.text(issue), {"t": True, "id": fair})
        connection.execute(sa.text("UPDATE guarantees SET expiry_date = '2030-01-01' WHERE id = :id"), {"id": gid})
    assert state(gid)[0] == date(2030, 1, 1)
    assert refused("UPDATE guarantees SET expiry_date = '2027-06-01' WHERE id = :id", id=gid)


def test_an_action_issued_in_sql_holds_its_guarantee_even_unlocked(make_guarantee):
    gid = make_guarantee("IN-16", amount="1000.00").id  # not locked: no action yet
    db.session.remove()
    with db.engine.begin() as connection:
        connection.execute(sa.text(INSERT_ACTION), _action(gid, "IN-16", ne="2030-01-01"))
        draft = connection.execute(sa.text("SELECT max(id) FROM guarantee_actions")).scalar()
        connection.execute(
            sa.text("UPDATE guarantee_actions SET action_status = 'issued', is_locked = :t WHERE id = :id"),
            {"t": True, "id": draft},
        )
    assert not refused("UPDATE guarantees SET expiry_date = '2030-01-01' WHERE id = :id", id=gid)  # its step
    for value in ("2026-06-01", "2031-01-01"):
        assert refused(f"UPDATE guarantees SET expiry_date = '{value}' WHERE id = :id", id=gid), value
    assert refused("UPDATE guarantees SET amount = 1 WHERE id = :id", id=gid)
    assert state(gid)[:2] == (date(2030, 1, 1), Decimal("1000.00"))


def test_nothing_is_issued_on_a_released_guarantee(make_guarantee):
    gid = make_guarantee("IN-5", amount="1000.00").id
    actions.release(gid, user="clerk")
    db.session.remove()
    with db.engine.begin() as connection:
        connection.execute(sa.text(INSERT_ACTION), _action(gid, "IN-5", ne="2030-01-01"))
        draft = connection.execute(sa.text("SELECT max(id) FROM guarantee_actions")).scalar()
    assert refused("UPDATE guarantee_actions SET action_status = 'issued', is_locked = :t WHERE id = :id", t=True,
                   id=draft)  # fmt: skip
    assert refused("UPDATE guarantees SET expiry_date = '2030-01-01' WHERE id = :id", id=gid)


# -- 3. import batches keep their identity; letter prints are append-only ------------------------------------------


def test_an_import_batch_keeps_its_identity_and_only_its_counters_change(make_guarantee):
    make_guarantee("IN-6")  # today's manual batch
    db.session.remove()
    batch_id = scalar("SELECT max(id) FROM import_batches")
    for column, value in (
        ("batch_type", "'text_paste'"),
        ("batch_date", "'2020-01-01'"),
        ("filename", "'other.xlsx'"),
        ("file_sha256", "'" + "0" * 64 + "'"),
        ("origin", "'legacy'"),
        ("created_by", "'someone'"),
        ("created_at", "'2020-01-01 00:00:00'"),
        ("id", "id + 1000"),
        ("legacy_session_id", "legacy_session_id + 1000"),
        ("legacy_session_id", "NULL"),
    ):
        assert refused(f"UPDATE import_batches SET {column} = {value} WHERE id = :id", id=batch_id), column
    assert not refused(
        "UPDATE import_batches SET total_records = total_records + 1, ready_records = 0 WHERE id = :id", id=batch_id
    )
    assert refused("DELETE FROM import_batches WHERE id = :id", id=batch_id)
    # A batch written before dual-write was on gets its legacy session once.
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO import_batches (batch_type, total_records, ready_records, origin, created_at) "
                "VALUES ('excel_import', 0, 0, 'app', '2026-01-15 08:00:00')"
            )
        )
    later = scalar("SELECT max(id) FROM import_batches")
    assert not refused("UPDATE import_batches SET legacy_session_id = 424242 WHERE id = :id", id=later)
    assert refused("UPDATE import_batches SET legacy_session_id = 434343 WHERE id = :id", id=later)


def test_letter_prints_are_append_only(make_guarantee):
    action_id = actions.extend(make_guarantee("IN-7").id, user="clerk").id
    db.session.remove()
    with db.engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO letter_prints (action_ids, language, printed_at) VALUES (:ids, 'en', :at)"),
            {"ids": f"[{action_id}]", "at": "2026-01-15 09:00:00"},
        )
    assert refused("UPDATE letter_prints SET language = 'ar'")
    assert refused("UPDATE letter_prints SET printed_by = 'someone else'")
    assert refused("DELETE FROM letter_prints")
    assert scalar("SELECT count(*) FROM letter_prints") == 1


# -- 4. PostgreSQL: no TRUNCATE of history --------------------------------------------------------------------------

HISTORY = (
    "guarantee_actions", "guarantee_edits", "import_batch_items", "import_batches", "action_sessions", "guarantees",
    "letter_prints", "letter_print_actions", "alert_announcements", "match_decisions", "dictionary_merges",
    "imported_records", "import_sessions", "suppliers", "banks", "notes", "attachments",
)  # fmt: skip


@pytest.fixture
def postgresql(app):
    if not is_postgresql():
        pytest.skip("TRUNCATE triggers are PostgreSQL's (SQLite has no TRUNCATE)")


def test_history_tables_refuse_truncate(postgresql, make_guarantee):
    gid = make_guarantee("IN-8").id
    actions.extend(gid, user="clerk")
    guarantees.update(gid, {"comment": "x"}, expected_version=version(gid), user="clerk")
    db.session.remove()
    before = {table: scalar(f"SELECT count(*) FROM {table}") for table in HISTORY}
    for table in HISTORY:
        assert refused(f"TRUNCATE {table} CASCADE"), table
        assert refused(f"TRUNCATE {table} RESTART IDENTITY CASCADE"), table
    # A table no trigger protects, truncated with CASCADE, reaches the history through its foreign keys: refused.
    assert refused("TRUNCATE users, settings, banks CASCADE")
    assert {table: scalar(f"SELECT count(*) FROM {table}") for table in HISTORY} == before


def test_every_table_protected_from_delete_refuses_truncate(postgresql):
    """Whatever revision added it: a row trigger refusing DELETE with no TRUNCATE trigger beside it is a hole."""
    rows = db.session.execute(
        sa.text(
            "SELECT c.relname, bool_or(t.tgtype & 9 = 9), bool_or(t.tgtype & 32 = 32) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal "
            "AND c.relnamespace = current_schema()::regnamespace GROUP BY c.relname"
        )
    ).all()
    unguarded = sorted(table for table, deletes, truncates in rows if deletes and not truncates)
    assert unguarded == []
    assert {table for table, _, truncates in rows if truncates} >= set(HISTORY)


# -- 5. SQLite: no INSERT OR REPLACE over a protected row ----------------------------------------------------------


@pytest.fixture
def sqlite(app):
    if is_postgresql():
        pytest.skip("INSERT OR REPLACE is SQLite's")


@pytest.fixture
def protected(sqlite, make_guarantee, make_user):
    """One protected row of each protected table: table → (its id column condition, what identifies it)."""
    from guarantees.services import alerts

    make_user("clerk", "editor")
    gid = make_guarantee("IN-9", amount="1000.00").id
    make_guarantee("IN-12", expiry_date="2026-01-20")  # inside the 7-day alert
    actions.extend(gid, "2027-06-01", user="clerk")
    guarantees.update(gid, {"comment": "x"}, expected_version=version(gid), user="clerk")
    session_id = actions.create_session("locked", user="clerk").id
    actions.add_drafts(session_id, [make_guarantee("IN-10").id], "release", user="clerk")
    actions.issue_session(session_id, user="chief")
    db.session.remove()
    action_id = scalar("SELECT min(id) FROM guarantee_actions")
    with db.engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO letter_prints (action_ids, language, printed_at) VALUES (:ids, 'en', :at)"),
            {"ids": f"[{action_id}]", "at": "2026-01-15 09:00:00"},
        )
        print_id = connection.execute(sa.text("SELECT max(id) FROM letter_prints")).scalar()
        connection.execute(
            sa.text("INSERT INTO letter_print_actions (letter_print_id, action_id) VALUES (:p, :a)"),
            {"p": print_id, "a": action_id},
        )
        connection.execute(
            sa.text(
                "INSERT INTO match_decisions (guarantee_id, entity, chosen_id, decided_at) "
                "VALUES (:g, 'bank', 1, '2026-01-15 09:00:00')"
            ),
            {"g": gid},
        )
        connection.execute(
            sa.text(
                "INSERT INTO dictionary_merges (entity, from_id, into_id, merged_at) "
                "VALUES ('bank', 98, 99, '2026-01-15 09:00:00')"
            )
        )
    alerts.send()
    db.session.remove()
    rows = {
        "guarantee_actions": f"id = {action_id}",
        "guarantees": f"id = {gid}",
        "guarantee_edits": "id = (SELECT min(id) FROM guarantee_edits)",
        "import_batch_items": "id = (SELECT min(id) FROM import_batch_items)",
        "import_batches": "id = (SELECT min(id) FROM import_batches)",
        "action_sessions": f"id = {session_id}",
        "letter_prints": f"id = {print_id}",
        "letter_print_actions": f"letter_print_id = {print_id}",
        "match_decisions": "id = (SELECT min(id) FROM match_decisions)",
        "dictionary_merges": "id = (SELECT min(id) FROM dictionary_merges)",
        "alert_announcements": "id = (SELECT min(id) FROM alert_announcements)",
        "imported_records": "id = (SELECT min(id) FROM imported_records)",
    }
    for table, where in rows.items():
        assert scalar(f"SELECT count(*) FROM {table} WHERE {where}") == 1, table
    return rows


def _columns(table: str) -> list[str]:
    return [row[1] for row in db.session.execute(sa.text(f"PRAGMA table_info({table})")).all()]


def _snapshot(connection, table: str, where: str) -> list:
    return [tuple(row) for row in connection.execute(sa.text(f"SELECT * FROM {table} WHERE {where}")).all()]


def test_the_register_s_connections_fire_delete_triggers_for_replace(sqlite):
    assert db.session.scalar(sa.text("PRAGMA recursive_triggers")) == 1


def refused_by_triggers(sql: str, **params) -> bool:
    """refused(), on a connection of the register's with its foreign keys off: what refuses is a trigger, not a
    child row that a deleted row would leave behind."""
    with db.engine.connect() as connection:
        driver = connection.connection.driver_connection
        driver.execute("PRAGMA foreign_keys = OFF")  # (outside a transaction: inside one it would be ignored)
        try:
            with connection.begin():
                connection.execute(sa.text(sql), params)
        except (sa.exc.IntegrityError, sa.exc.InternalError, sa.exc.DatabaseError):
            return True
        finally:
            driver.execute("PRAGMA foreign_keys = ON")
    return False


@pytest.mark.parametrize("verb", ["INSERT OR REPLACE INTO", "REPLACE INTO"])
def test_replace_never_overwrites_a_protected_row(protected, verb):
    for table, where in protected.items():
        columns = _columns(table)
        before = _snapshot(db.session, table, where)
        db.session.remove()
        names = ", ".join(columns)
        # The same row again, and the same row with one value changed.
        assert refused_by_triggers(f"{verb} {table} ({names}) SELECT {names} FROM {table} WHERE {where}"), table
        changed = [
            ("'tampered'" if name in ("notes", "comment", "new_value", "language") else name) for name in columns
        ]
        changed = ", ".join(changed)
        assert refused_by_triggers(f"{verb} {table} ({names}) SELECT {changed} FROM {table} WHERE {where}"), table
        assert _snapshot(db.session, table, where) == before, table


def _locked_guarantee(number: str, locked: int = 1) -> int:
    """A locked guarantee written in SQL, with no row of any other table pointing at it."""
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO guarantees (guarantee_number, currency, match_status, status, is_locked, version, "
                "created_at, updated_at) VALUES (:n, 'SAR', 'ready', 'active', :l, 1, '2026-01-15', '2026-01-15')"
            ),
            {"n": number, "l": locked},
        )
        return connection.execute(
            sa.text("SELECT id FROM guarantees WHERE guarantee_number = :n"), {"n": number}
        ).scalar()


def test_replace_through_another_unique_key_is_refused_too(protected):
    # An issued action no print points at, replaced through its letter's reference under a new id.
    action = db.session.execute(sa.text("SELECT * FROM guarantee_actions ORDER BY id DESC LIMIT 1")).mappings().one()
    db.session.remove()
    assert action["reference"] and action["action_status"] == "issued"
    names = ", ".join(c for c in _columns("guarantee_actions") if c != "id")
    assert refused_by_triggers(
        f"INSERT OR REPLACE INTO guarantee_actions ({names}) SELECT {names} FROM guarantee_actions WHERE id = :id",
        id=action["id"],
    )
    # A locked guarantee, replaced through its number under a new id.
    gid = _locked_guarantee("IN-13")
    names = ", ".join(c for c in _columns("guarantees") if c != "id")
    assert refused_by_triggers(
        f"REPLACE INTO guarantees ({names}) SELECT {names} FROM guarantees WHERE id = :id", id=gid
    )
    assert scalar("SELECT id FROM guarantees WHERE guarantee_number = 'IN-13'") == gid


def test_the_pragma_holds_where_no_guard_looks(protected):
    """recursive_triggers: the deletes of an UPDATE OR REPLACE, and of a REPLACE through the announcements' key
    (which no guard checks), meet the delete triggers."""
    gid = _locked_guarantee("IN-14")
    other = _locked_guarantee("IN-15", locked=0)
    assert refused_by_triggers("UPDATE OR REPLACE guarantees SET guarantee_number = 'IN-14' WHERE id = :id", id=other)
    assert scalar("SELECT id FROM guarantees WHERE guarantee_number = 'IN-14'") == gid
    names = ", ".join(c for c in _columns("alert_announcements") if c != "id")
    count = scalar("SELECT count(*) FROM alert_announcements")
    assert count
    assert refused_by_triggers(f"REPLACE INTO alert_announcements ({names}) SELECT {names} FROM alert_announcements")
    assert scalar("SELECT count(*) FROM alert_announcements") == count


def test_replace_is_refused_on_a_connection_without_the_register_s_pragmas(protected):
    """The sqlite3 shell's connection: no recursive_triggers, no foreign keys. The BEFORE INSERT guards hold."""
    path = db.engine.url.database
    db.session.remove()
    db.engine.dispose()
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA recursive_triggers").fetchone()[0] == 0
        for table, where in protected.items():
            names = ", ".join(_columns(table))
            before = raw.execute(f"SELECT * FROM {table} WHERE {where}").fetchall()
            with pytest.raises(sqlite3.IntegrityError):
                raw.execute(f"REPLACE INTO {table} ({names}) SELECT {names} FROM {table} WHERE {where}")
            raw.rollback()
            assert raw.execute(f"SELECT * FROM {table} WHERE {where}").fetchall() == before, table
    finally:
        raw.close()


def test_a_replace_guard_covers_every_unique_key_of_its_table(sqlite):
    """Each guard names each unique key of its table (but the announcements' own, see 0015), so a REPLACE cannot
    reach a protected row through a key it forgot; and the history tables all have one."""
    guards = dict(
        db.session.execute(
            sa.text("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'trg_%_no_replace'")
        )
        .tuples()
        .all()
    )
    assert set(guards) >= set(HISTORY) - {"import_sessions", "suppliers", "banks"}
    for table, guard in sorted(guards.items()):
        columns = db.session.execute(sa.text(f"PRAGMA table_info({table})")).mappings().all()
        keys = [[column["name"] for column in columns if column["pk"]]]
        for index in db.session.execute(sa.text(f"PRAGMA index_list({table})")).mappings():
            if index["unique"] and not (table == "alert_announcements" and index["origin"] == "u"):
                info = db.session.execute(sa.text(f"PRAGMA index_info({index['name']})")).mappings()
                keys.append([column["name"] for column in info])
        for key in keys:
            for column in key:
                assert f"o.{column} = NEW.{column}" in guard, (table, key)
