"""The security audit log: one append-only row per sign-in, sign-out, session ended, account change and export.

`record` adds the event to the caller's unit of work, so it is written with the change it describes or not at
all; `export` writes one on its own (an export changes nothing else). The address is the request's, if any (a
command line has none).
"""

from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy.orm import Session

from guarantees.domain.security import EVENT_KINDS, EXPORT_SOURCES
from guarantees.models.audit import SecurityEvent
from guarantees.models.base import utcnow
from guarantees.services.transaction import unit_of_work

__all__ = ["EVENT_KINDS", "export", "record"]

MAX_NAME = 80


def _address() -> str | None:
    return request.remote_addr if has_request_context() else None


def record(
    session: Session,
    kind: str,
    *,
    username: str | None,
    actor: str | None,
    ip: str | None = None,
    **detail,
) -> SecurityEvent:
    """Add one event to `session` (the caller commits it with the change it describes)."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown security event {kind!r}")
    address = ip or _address()
    event = SecurityEvent(
        at=utcnow(),
        kind=kind,
        username=username[:MAX_NAME] if username else None,
        actor=actor[:MAX_NAME] if actor else None,
        ip=address[:45] if address else None,
        detail={key: value for key, value in detail.items() if value is not None} or None,
    )
    session.add(event)
    return event


def export(*, user: str | None, rows: int, filters: dict, source: str = "guarantees") -> None:
    """An export: what it took out (`source`, one of domain.security.EXPORT_SOURCES), who, how many rows, and
    which (the filter or the selection, as name=value pairs of what was asked for)."""
    if source not in EXPORT_SOURCES:
        raise ValueError(f"unknown export source {source!r}")
    asked = []
    for name, value in sorted(filters.items()):
        if name == "csrf_token" or value in (None, "", [], ()):
            continue
        shown = ",".join(str(item) for item in value) if isinstance(value, list | tuple | set) else str(value)
        asked.append(f"{name}={shown}")
    with unit_of_work() as session:
        what = "&".join(asked)[:500] or None
        record(session, "export", username=user, actor=user, source=source, rows=rows, what=what)
