"""Reads of the review page: the raw names waiting for a person, grouped, counted, filtered and paged; and the
plan of a bulk decision (which names go to which entry, which guarantees change) with its fingerprint.

The database groups and counts: one row per distinct raw spelling with its number of waiting guarantees, never
one row per guarantee. Spellings that matching folds to the same name ('Lana Med. Est.', 'LANA MED') form one
group, as a decision applies to all of them; the fold and the matcher's score have no SQL twin, so folding,
banding and paging run over those distinct spellings. Candidates (with their labels) are ranked for the groups a
page shows; a score band filter or a bulk threshold ranks every group once, from the matcher's cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from math import ceil

import sqlalchemy as sa

from guarantees.domain.fields import ENTITIES
from guarantees.extensions import db
from guarantees.matching import Choice, normalise_name
from guarantees.models import Guarantee
from guarantees.repositories.matching import ID_COLUMNS, RAW_COLUMNS, matcher_for

PER_PAGE = 25
# Score bands of a group's proposal: at least 95 %, 80 to 95 %, under 80 %, and no proposal at all.
BANDS = ("high", "mid", "low", "none")
HIGH, MID = 95.0, 80.0
# "Accept every proposal at or above N %": N in this range (a lower one would accept guesses).
MIN_THRESHOLD, MAX_THRESHOLD, DEFAULT_THRESHOLD = 80, 100, 95
MAX_DECISIONS = 500


def band_of(score: float | None) -> str:
    """The band of a proposal's score (None: no proposal)."""
    if score is None:
        return "none"
    return "high" if score >= HIGH else "mid" if score >= MID else "low"


@dataclass
class Group:
    """Waiting guarantees whose raw name of one kind folds to `key`: their count, spellings and candidates."""

    entity: str
    key: str
    raw_name: str  # the most frequent spelling
    count: int = 0
    spellings: list[str] = field(default_factory=list)
    candidates: tuple[Choice, ...] = ()

    @property
    def proposal(self) -> Choice | None:
        """The matcher's best candidate."""
        return self.candidates[0] if self.candidates else None

    @property
    def ambiguous(self) -> bool:
        """The best candidates score the same: no single proposal a bulk decision may take."""
        return len(self.candidates) > 1 and self.candidates[0].score <= self.candidates[1].score

    @property
    def band(self) -> str:
        return band_of(self.proposal.score if self.proposal else None)

    @property
    def ident(self) -> str:
        """What a checkbox posts for this group: kind and name."""
        return f"{self.entity}:{self.raw_name}"


@dataclass(frozen=True)
class GroupPage:
    """One page of groups, and what waits in all: names and guarantees per kind, guarantees without a name."""

    groups: list[Group]
    page: int
    total: int  # groups matching the filters
    names: dict[str, int]
    guarantees: dict[str, int]
    nameless: dict[str, int]
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def waiting(self) -> int:
        """Names of both kinds waiting (the page's headline)."""
        return sum(self.names.values())


def _spellings(entity: str) -> list[tuple[str | None, int]]:
    """Distinct raw spellings of one kind waiting for review, with their numbers of guarantees (grouped in SQL)."""
    raw, entity_id = RAW_COLUMNS[entity], ID_COLUMNS[entity]
    query = (
        sa.select(raw, sa.func.count())
        .where(Guarantee.match_status == "needs_review", entity_id.is_(None))
        .group_by(raw)
    )
    return [(name, count) for name, count in db.session.execute(query)]


def _groups(entity: str) -> tuple[list[Group], int]:
    """Groups of one kind, largest first (no candidates yet), and how many guarantees have no name of that kind."""
    groups: dict[str, Group] = {}
    nameless = 0
    for name, count in sorted(_spellings(entity), key=lambda row: (-row[1], row[0] or "")):
        key = normalise_name(name or "")
        if not key:
            nameless += count
            continue
        group = groups.setdefault(key, Group(entity, key, name))
        group.count += count
        group.spellings.append(name)
    return sorted(groups.values(), key=lambda g: (-g.count, g.key)), nameless


def _rank(groups: Iterable[Group]) -> None:
    matcher = matcher_for(db.session)
    for group in groups:
        group.candidates = matcher.candidates(group.entity, group.raw_name)


def all_groups(kind: str | None = None) -> list[Group]:
    """Every waiting group of one kind (None: both), largest first, with candidates."""
    groups = [group for entity in ENTITIES if kind in (None, entity) for group in _groups(entity)[0]]
    groups.sort(key=lambda g: (-g.count, g.entity, g.key))
    _rank(groups)
    return groups


def _counted() -> tuple[dict[str, list[Group]], dict[str, int], dict[str, int], dict[str, int]]:
    found, names, guarantees, nameless = {}, {}, {}, {}
    for entity in ENTITIES:
        found[entity], nameless[entity] = _groups(entity)
        names[entity] = len(found[entity])
        guarantees[entity] = sum(group.count for group in found[entity])
    return found, names, guarantees, nameless


def summary() -> GroupPage:
    """What waits, without groups: names and guarantees per kind (the page's counts, after a decision)."""
    _found, names, guarantees, nameless = _counted()
    return GroupPage([], 1, 0, names, guarantees, nameless)


def group_page(kind: str | None = None, band: str | None = None, page: int = 1, per_page: int = PER_PAGE) -> GroupPage:
    """The review page: groups of the chosen kind and score band, largest first, one page of them ranked."""
    found, names, guarantees, nameless = _counted()
    groups = [group for entity in ENTITIES if kind in (None, entity) for group in found[entity]]
    groups.sort(key=lambda g: (-g.count, g.entity, g.key))
    if band:
        _rank(groups)
        groups = [group for group in groups if group.band == band]
    total = len(groups)
    page = min(max(page, 1), max(1, ceil(total / per_page)))
    shown = groups[(page - 1) * per_page : page * per_page]
    if not band:
        _rank(shown)
    return GroupPage(shown, page, total, names, guarantees, nameless, per_page)


def find_group(entity: str, raw_name: str) -> Group | None:
    """The waiting group a raw name belongs to (as matching folds it), ranked; None when nothing waits under it."""
    key = normalise_name(raw_name or "")
    group = next((group for group in _groups(entity)[0] if group.key == key), None) if key else None
    if group is not None:
        _rank([group])
    return group


def selected_groups(selection: Iterable[tuple[str, str]]) -> list[Group]:
    """The waiting groups of these (kind, raw name) pairs, largest first, ranked; names no longer waiting left out."""
    wanted = {(entity, normalise_name(raw)) for entity, raw in selection}
    groups = [group for entity in ENTITIES for group in _groups(entity)[0] if (entity, group.key) in wanted]
    groups.sort(key=lambda g: (-g.count, g.entity, g.key))
    _rank(groups)
    return groups


@dataclass(frozen=True)
class Decision:
    """One planned decision: the guarantees waiting under a name of one kind get this entry."""

    entity: str
    raw_name: str
    key: str
    chosen_id: int
    chosen_label: str
    score: float | None
    spellings: tuple[str, ...]
    guarantees: tuple[tuple[int, int], ...]  # (id, version) of each guarantee it changes

    @property
    def count(self) -> int:
        return len(self.guarantees)

    @property
    def ident(self) -> str:
        """What the apply form posts for it: kind, entry and name."""
        return f"{self.entity}:{self.chosen_id}:{self.raw_name}"


@dataclass(frozen=True)
class Plan:
    """A bulk decision as its preview shows it; the fingerprint changes when anything it would change does."""

    decisions: tuple[Decision, ...]
    fingerprint: str
    left_out: tuple[Group, ...] = ()  # ticked names without a proposal

    @property
    def count(self) -> int:
        """Guarantees that change (a guarantee waiting for both names counts twice)."""
        return sum(decision.count for decision in self.decisions)

    def of(self, entity: str) -> list[Decision]:
        return [decision for decision in self.decisions if decision.entity == entity]


def fingerprint(decisions: Iterable[Decision]) -> str:
    """A short digest of exactly what a bulk decision changes: each name, its entry, and each guarantee's version."""
    parts = sorted(
        "|".join(
            (
                decision.entity,
                decision.key,
                str(decision.chosen_id),
                ",".join(f"{gid}@{version}" for gid, version in sorted(decision.guarantees)),
            )
        )
        for decision in decisions
    )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def plan(choices: Iterable[tuple[str, str, int]], left_out: Iterable[Group] = ()) -> Plan:
    """The plan of these (kind, raw name, entry id) choices over the guarantees waiting now; choices whose name
    no longer waits, or whose entry is no live entry, are dropped (the fingerprint then differs)."""
    wanted: dict[tuple[str, str], tuple[str, int]] = {}
    for entity, raw_name, chosen_id in choices:
        key = normalise_name(raw_name or "")
        if key and entity in ENTITIES:
            wanted.setdefault((entity, key), (raw_name, chosen_id))
    matcher = matcher_for(db.session)
    decisions = []
    for entity in ENTITIES:
        keys = {key for kind, key in wanted if kind == entity}
        if not keys:
            continue
        spellings: dict[str, list[str]] = {}
        for name, _count in _spellings(entity):
            key = normalise_name(name or "")
            if key in keys:
                spellings.setdefault(key, []).append(name)
        by_name = _waiting(entity, [name for names in spellings.values() for name in names])
        labels = matcher.labels[entity]
        for key in sorted(spellings):
            raw_name, chosen_id = wanted[(entity, key)]
            if chosen_id not in labels:
                continue
            rows = tuple(row for name in spellings[key] for row in by_name.get(name, ()))
            score = next((c.score for c in matcher.candidates(entity, raw_name) if c.id == chosen_id), None)
            decisions.append(
                Decision(entity, raw_name, key, chosen_id, labels[chosen_id], score, tuple(spellings[key]), rows)
            )
    decisions.sort(key=lambda d: (-d.count, d.entity, d.key))
    return Plan(tuple(decisions), fingerprint(decisions), tuple(left_out))


def _waiting(entity: str, names: list[str]) -> dict[str, list[tuple[int, int]]]:
    """(id, version) of the guarantees waiting under each of these exact spellings."""
    raw, entity_id = RAW_COLUMNS[entity], ID_COLUMNS[entity]
    found: dict[str, list[tuple[int, int]]] = {}
    for start in range(0, len(names), 500):
        query = sa.select(raw, Guarantee.id, Guarantee.version).where(
            Guarantee.match_status == "needs_review", entity_id.is_(None), raw.in_(names[start : start + 500])
        )
        for name, gid, version in db.session.execute(query.order_by(Guarantee.id)):
            found.setdefault(name, []).append((gid, version))
    return found


def proposals(groups: Iterable[Group], minimum: float | None = None) -> tuple[list[tuple[str, str, int]], list[Group]]:
    """The (kind, name, entry) choices that accept these groups' proposals, and the groups left out for want of one.

    With `minimum` (accept every proposal scoring at least that) a proposal tied with another candidate is left out
    too: nobody looked at it. Ticked names take the proposal their row shows."""
    chosen, left_out = [], []
    for group in groups:
        if group.proposal is None:
            left_out.append(group)
        elif minimum is None or (group.proposal.score >= minimum and not group.ambiguous):
            chosen.append((group.entity, group.raw_name, group.proposal.id))
    return chosen, left_out
