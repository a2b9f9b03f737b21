"""The batches and action sessions legacy rows go into (step 3 of a migrate), created once and found again.

A batch key names the group a legacy import row belongs to (see rows.batch_key): its Excel session, or the
day of its manual or pasted entry; an action day groups the actions of one calendar day. Both are created in
one transaction before any guarantee is written, and found again by a later (resumed) run.
"""

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from guarantees.domain.descriptions import describe
from guarantees.domain.times import legacy_day, parse_legacy_time
from guarantees.legacy.plan import MIGRATOR
from guarantees.legacy.rows import iso_day
from guarantees.legacy.sql import insert_all
from guarantees.models import ActionSession, ImportBatch

BATCHES = ImportBatch.__table__
ACTION_SESSIONS = ActionSession.__table__


def _batch_values(key: str, meta: tuple, now) -> dict:
    kind, ref = key.split("|", 1)
    session_type, session_id, session_created_at = meta
    values = {
        "batch_type": kind, "filename": None, "file_sha256": None, "total_records": 0, "ready_records": 0,
        "origin": "legacy", "legacy_session_id": None, "created_by": MIGRATOR,
    }  # fmt: skip
    if kind == "excel_import":
        if session_id is None:
            description = describe("legacy_no_session")
        elif session_type is None:
            description = describe("legacy_missing_session", id=session_id)
        else:
            description = describe("legacy_session", kind=session_type, id=session_id)
        is_file = isinstance(session_type, str) and "." in session_type
        values.update(description=description, filename=session_type if is_file else None,
                      legacy_session_id=session_id, batch_date=legacy_day(session_created_at),
                      created_at=parse_legacy_time(session_created_at) or now)  # fmt: skip
    else:
        day = iso_day(ref)
        description = describe(f"legacy_{kind}", day=ref) if day else describe(f"legacy_{kind}_undated")
        values.update(description=description, batch_date=day, created_at=parse_legacy_time(ref) or now)
    return values


def _session_description(day: str) -> str:
    return describe("legacy_actions", day=day) if day else describe("legacy_actions_undated")


def _resolve_batches(conn: Connection, wanted: dict) -> dict:
    """Batch key → id of the batch that key already has: its legacy session's; else, without one, its day's (whoever
    made it) for manual and pasted entries, or a legacy batch of the same description (the first of each wins)."""
    held = {}
    columns = ("id", "batch_type", "batch_date", "legacy_session_id", "origin", "description")
    for b in conn.execute(sa.select(*(BATCHES.c[name] for name in columns)).order_by(BATCHES.c.id)):
        if b.legacy_session_id is not None:
            held.setdefault(("session", b.legacy_session_id), b.id)
        elif b.batch_date is not None:
            held.setdefault(("day", b.batch_type, b.batch_date), b.id)
        elif b.origin == "legacy":
            held.setdefault(("name", b.batch_type, b.description), b.id)
    found = {}
    for key, v in wanted.items():
        if v["legacy_session_id"] is not None:
            lookup = ("session", v["legacy_session_id"])
        elif v["batch_date"] is not None and v["batch_type"] != "excel_import":
            lookup = ("day", v["batch_type"], v["batch_date"])
        else:
            lookup = ("name", v["batch_type"], v["description"])
        if lookup in held:
            found[key] = held[lookup]
    return found


def _legacy_sessions(conn: Connection) -> dict:
    query = sa.select(ACTION_SESSIONS.c.description, ACTION_SESSIONS.c.id).where(
        ACTION_SESSIONS.c.origin == "legacy", ACTION_SESSIONS.c.created_by == MIGRATOR
    )
    return dict(conn.execute(query).all())


def prepare(conn: Connection, batch_meta: dict, action_days: dict, summary, dry_run: bool, now) -> tuple[dict, dict]:
    """Create the batches and action sessions the staged rows need: (batch key → id, action day → id).

    `batch_meta`: batch key → (session type, session id, session created_at); `action_days`: day → actions."""
    wanted = {key: _batch_values(key, meta, now) for key, meta in batch_meta.items()}
    batches = _resolve_batches(conn, wanted)
    summary.batches_reused = len(batches)
    missing = {key: values for key, values in wanted.items() if key not in batches}
    for values in missing.values():
        summary.batches_created[values["batch_type"]] += 1
    if missing and dry_run:
        batches.update((key, -n) for n, key in enumerate(missing, 1))
    elif missing:
        insert_all(conn, BATCHES, list(missing.values()))
        batches.update(_resolve_batches(conn, missing))

    known = _legacy_sessions(conn)
    sessions = {day: known[_session_description(day)] for day in action_days if _session_description(day) in known}
    summary.action_sessions_reused = len(sessions)
    new_sessions = [
        {
            "session_date": iso_day(day), "description": _session_description(day), "total_actions": count,
            "issued_actions": count, "is_locked": True, "locked_at": now, "origin": "legacy",
            "created_by": MIGRATOR, "issued_by": MIGRATOR, "created_at": parse_legacy_time(day) or now,
        }
        for day, count in sorted(action_days.items())
        if day not in sessions
    ]  # fmt: skip
    summary.action_sessions_created = len(new_sessions)
    if new_sessions and dry_run:
        sessions.update((day, -1) for day in action_days if day not in sessions)
    elif new_sessions:
        insert_all(conn, ACTION_SESSIONS, new_sessions)
        known = _legacy_sessions(conn)
        sessions = {day: known[_session_description(day)] for day in action_days}
    return batches, sessions
