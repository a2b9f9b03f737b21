"""A guarantee's timeline (DESIGN §6): new-table history and the legacy rows that have no new counterpart.

A constant number of queries whatever the length of the history: legacy rows (flagged in SQL when a new row
already tells their story), batch items, inline edits, actions, letter prints, review decisions, notes and
attachments. The page opens on the newest entries (`newest`): each source reads only its newest few in SQL and
counts the rest, and only the entries shown are built, so a long history costs about what a short one does.
`timeline` is all of it.
"""

from dataclasses import dataclass

from guarantees.models import Guarantee
from guarantees.repositories.history.attachments import _attachment_candidates
from guarantees.repositories.history.entries import _LEGACY, Entry, _rank
from guarantees.repositories.history.legacy import (
    RAW_COLUMNS,
    _legacy_candidates,
    _legacy_keys,
    legacy_archive,
    legacy_rows,
    legacy_summary,
)
from guarantees.repositories.history.notes import _note_candidates
from guarantees.repositories.history.sources import _new_table_candidates

__all__ = [
    "RAW_COLUMNS", "Entry", "Newest", "legacy_archive", "legacy_rows", "legacy_summary", "newest", "timeline",
]  # fmt: skip


def _build(candidates: list[tuple]) -> list[Entry]:
    refs: dict = {}
    return [build(payload, refs) for _key, _source, _position, build, payload in sorted(candidates, key=_rank)]


def timeline(guarantee: Guarantee, legacy: list[dict] | None = None) -> list[Entry]:
    """Everything that happened to `guarantee`, oldest first, each legacy fact once."""
    candidates, _count = _new_table_candidates(guarantee.id, None)
    candidates += _note_candidates(guarantee.id, None)[0]
    candidates += _attachment_candidates(guarantee.id, None)[0]
    legacy = legacy_rows(guarantee) if legacy is None else legacy
    candidates += _legacy_candidates([row for row in legacy if not row["has_counterpart"]], None)
    return _build(candidates)


@dataclass
class Newest:
    """The newest entries of a timeline, oldest first, how many come before them, and how many legacy rows
    refer to the guarantee (told or not)."""

    entries: list[Entry]
    earlier: int
    legacy_count: int


def newest(guarantee: Guarantee, limit: int) -> Newest:
    """The newest `limit` entries of the timeline, exactly those `timeline` ends with, and how many come before
    them, in a constant number of queries: items, actions and prints are cut to their newest `limit` in SQL and
    counted there, edits and the legacy rows are read as light rows (see `_edits`, `_legacy_keys`), and only
    the entries shown are built."""
    if limit < 1:
        raise ValueError("the newest entries of a timeline: at least one")
    legacy_count, untold = _legacy_keys(guarantee)
    candidates, total = _new_table_candidates(guarantee.id, limit)
    notes, noted = _note_candidates(guarantee.id, limit)
    files, filed = _attachment_candidates(guarantee.id, limit)
    candidates, total = candidates + notes + files, total + noted + filed
    candidates += _legacy_candidates([row._mapping for row in untold], limit)
    total += len(untold)
    shown = sorted(candidates, key=_rank)[-limit:]
    wanted = [payload["id"] for _key, source, _position, _build, payload in shown if source == _LEGACY]
    if wanted:  # the shown legacy rows, in full (the light query read only their id and time)
        full = {row["id"]: row for row in legacy_rows(guarantee, ids=wanted)}
        shown = [
            (*candidate[:4], full[candidate[4]["id"]]) if candidate[1] == _LEGACY else candidate for candidate in shown
        ]
    return Newest(_build(shown), total - len(shown), legacy_count)
