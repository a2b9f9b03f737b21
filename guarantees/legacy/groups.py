"""The batches and action sessions legacy rows go into (step 3 of a migrate), created once and found again.

A batch key names the group a legacy import row belongs to (see rows.batch_key): its Excel session, or the
day of its manual or pasted entry; an action day groups the actions of one calendar day. Both are created in
one transaction before any guarantee is written, and found again by a later (resumed) run.
"""

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from guarantees.domain.times import legacy_day, parse_legacy_time
from guarantees.legacy.plan import MIGRATOR
from guarantees.legacy.rows import iso_day
from guarantees.legacy.sql import insert_all
from guarantees.models import ActionSession, ImportBatch

BATCHES = ImportBatch.__table__
ACTION_SESSIONS = ActionSession.__table__
LABELS = {"excel_import": "Excel import", "manual_batch": "manual entries", "text_paste": "pasted entries"}


def _batch_values(key: str, meta: tuple, now) -> dict:
    kind, ref = key.split("|", 1)
    session_type, session_id, session_created_at = meta
    values = {
        "batch_type": kind, "filename": None, "file_sha256": None, "total_records": 0, "ready_records": 0,
        "origin": "legacy", "legacy_session_id": None, "created_by": MIGRATOR,
    }  # fmt: skip
    if kind == "excel_import":
        if session_id is None:
            description = "Legacy rows without a session"
        elif session_type is None:
            description = f"Legacy session {session_id} (missing from import_sessions)"
        else:
            description = f"Legacy {session_type} session {session_id}"
        is_file = isinstance(session_type, str) and "." in session_type
        values.update(
            description=description,
            filename=session_type if is_file else None,
            legacy_session_id=session_id,
            batch_date=legacy_day(session_created_at),
            created_at=parse_legacy_time(session_created_at) or now,
        )
    else:
        day = iso_day(ref)
        label = LABELS[kind]
        values.update(
            description=f"Legacy {label} of {ref}" if day else f"Legacy {label} without a date",
            batch_date=day,
            created_at=parse_legacy_time(ref) or now,
        )
    return values


def _other_batches(existing: list) -> tuple[dict, dict]:
    """Batches without a legacy session, indexed as _find_batch looks them up (the first one of each key wins)."""
    by_day, by_name = {}, {}
    for batch in existing:
        if batch.batch_date is not None:
            by_day.setdefault((batch.batch_type, batch.batch_date), batch.id)
        elif batch.origin == "legacy":
            by_name.setdefault((batch.batch_type, batch.description), batch.id)
    return by_day, by_name


def _find_batch(others: tuple[dict, dict], values: dict) -> int | None:
    """The batch a key without a legacy session already has: its day's (whoever made it), or a legacy one by name."""
    by_day, by_name = others
    if values["batch_date"] is not None and values["batch_type"] != "excel_import":
        return by_day.get((values["batch_type"], values["batch_date"]))
    return by_name.get((values["batch_type"], values["description"]))


def _session_description(day: str) -> str:
    return f"Legacy actions of {day}" if day else "Legacy actions without a date"


def _existing_batches(conn: Connection) -> tuple[dict, tuple[dict, dict]]:
    rows = conn.execute(
        sa.select(
            BATCHES.c.id,
            BATCHES.c.batch_type,
            BATCHES.c.batch_date,
            BATCHES.c.legacy_session_id,
            BATCHES.c.origin,
            BATCHES.c.description,
        ).order_by(BATCHES.c.id)
    ).all()
    by_session = {b.legacy_session_id: b.id for b in rows if b.legacy_session_id is not None}
    return by_session, _other_batches([b for b in rows if b.legacy_session_id is None])


def _resolve_batches(conn: Connection, wanted: dict) -> dict:
    """Batch key → id of the batch that key already has (see _find_batch), for the keys that have one."""
    by_session, others = _existing_batches(conn)
    found = {}
    for key, values in wanted.items():
        if values["legacy_session_id"] is not None:
            batch_id = by_session.get(values["legacy_session_id"])
        else:
            batch_id = _find_batch(others, values)
        if batch_id is not None:
            found[key] = batch_id
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
