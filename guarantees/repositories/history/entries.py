"""The timeline's entries and what they link to, and the candidates every source gives.

A candidate is (sort key, source rank, position, builder, payload): the key is the entry's `sort_key`, rank and
position settle ties as the stable sort of every entry, source after source, always did, and the entry itself
is built only if it is shown.
"""

import heapq
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

# Order of entries recorded in the same instant: a row is imported before it is edited, acted on, printed.
KIND_ORDER = {
    "legacy": 0, "import": 1, "edit": 2, "decision": 2, "action": 3, "answer": 3, "print": 4, "attachment": 5,
    "note": 5,
}  # fmt: skip

_ITEMS, _EDITS, _ACTIONS, _PRINTS, _DECISIONS, _LEGACY = range(6)  # the sources in that order


@dataclass
class Entry:
    """One line of the timeline."""

    kind: str  # import | edit | decision | action | answer | print | attachment | note | legacy
    source: str  # new | legacy
    at: datetime | None
    user: str | None
    title: str
    changes: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    batch: "BatchRef | None" = None
    session: "SessionRef | None" = None
    action: sa.Row | None = None  # a guarantee_actions row (of an answer: the action it answers)
    answer: sa.Row | None = None  # a bank_answers row
    attachment: sa.Row | None = None  # an attachments row, with its action's type and reference
    print: "PrintRef | None" = None
    record: dict | None = None
    legacy_session: tuple[int | None, str | None] | None = None
    detail: str | None = None
    sequence: int = 0
    legacy_record_id: int | None = None

    @property
    def sort_key(self):
        return (self.at or datetime.min, KIND_ORDER[self.kind], self.sequence)


@dataclass(frozen=True)
class BatchRef:
    """The batch an import entry links to: all the timeline shows of it."""

    id: int
    batch_type: str
    origin: str
    description: str | None
    created_by: str | None


@dataclass(frozen=True)
class SessionRef:
    """The action session an entry links to: all the timeline shows of it."""

    id: int
    description: str | None


@dataclass(frozen=True)
class PrintRef:
    """A letter print: all the timeline shows of it."""

    id: int
    language: str
    printed_by: str | None
    printed_at: datetime


def _day(value) -> str | None:
    return value.isoformat() if value else None


def _text(value) -> str | None:
    return None if value is None else str(value)


def _rank(candidate: tuple) -> tuple:
    return candidate[:3]


def _keep_newest(candidates: list[tuple], limit: int | None) -> list[tuple]:
    """The newest `limit` of a source's candidates read whole in Python (all of them with None)."""
    if limit is not None and len(candidates) > limit:
        return heapq.nlargest(limit, candidates, key=_rank)
    return candidates
