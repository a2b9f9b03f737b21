"""Match raw supplier and bank names to the dictionaries and say whether a guarantee is ready.

The matchers are built once per app and dictionary version (counts, highest ids, latest edit of the
dictionaries, aliases and merges, read in one query), so an import of many rows builds them once and
a change to a dictionary is seen by the next unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from threading import Lock

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from guarantees.matching import Candidate, Matcher, MatchResult, MatchThresholds, normalise_name
from guarantees.models import DictionaryMerge, NameAlias
from guarantees.models.dictionary import Bank, Supplier

ENTITIES = ("supplier", "bank")
MODELS = {"supplier": Supplier, "bank": Bank}
_EXTENSION = "name_matchers"


@dataclass(frozen=True)
class Choice:
    """A ranked candidate for a raw name: dictionary id, its label, and the matcher's score (0-100)."""

    id: int
    label: str
    score: float


@dataclass(frozen=True)
class NameMatch:
    supplier_id: int | None
    bank_id: int | None
    supplier_display_name: str | None
    bank_display: str | None
    supplier_candidates: tuple[Choice, ...] = ()
    bank_candidates: tuple[Choice, ...] = ()

    @property
    def match_status(self) -> str:
        return "ready" if self.supplier_id and self.bank_id else "needs_review"

    def as_fields(self) -> dict:
        """The guarantee columns this match decides."""
        return {
            "supplier_id": self.supplier_id,
            "bank_id": self.bank_id,
            "supplier_display_name": self.supplier_display_name,
            "bank_display": self.bank_display,
            "match_status": self.match_status,
        }


@dataclass(frozen=True)
class Entry:
    """A dictionary entry as pickers and searches show it."""

    id: int
    label: str
    names: tuple[str, ...]
    short_code: str | None = None


def supplier_names(supplier: Supplier) -> list[str]:
    """Every name a supplier is known by in its dictionary row."""
    return [name for name in (supplier.official_name, supplier.display_name) if name and name.strip()]


def bank_names(bank: Bank) -> list[str]:
    """Every name a bank is known by in its dictionary row (the short code is matched separately)."""
    names = (bank.official_name, bank.official_name_en, bank.official_name_ar)
    return [name for name in names if name and name.strip()]


def entry_names(entity: str, row: Supplier | Bank) -> list[str]:
    """The names of a supplier or bank row."""
    return supplier_names(row) if entity == "supplier" else bank_names(row)


def merged_ids(session: Session, entity: str) -> set[int]:
    """Entries merged into another: hidden from the matcher and the pickers."""
    query = sa.select(DictionaryMerge.from_id).where(DictionaryMerge.entity == entity)
    return set(session.scalars(query))


def load_entries(session: Session, entity: str) -> list[Entry]:
    """The live (not merged-away) entries of a dictionary, in id order."""
    hidden = merged_ids(session, entity)
    model = MODELS[entity]
    entries = []
    for row in session.scalars(sa.select(model).order_by(model.id)):
        if row.id in hidden:
            continue
        if entity == "supplier":
            entries.append(Entry(row.id, row.label, tuple(supplier_names(row))))
        else:
            entries.append(Entry(row.id, row.label, tuple(bank_names(row)), row.short_code))
    return entries


class DictionaryMatcher:
    """Supplier and bank matchers built from the dictionaries and the learned aliases."""

    def __init__(self, session: Session, thresholds: MatchThresholds) -> None:
        self.thresholds = thresholds
        self.entries: dict[str, list[Entry]] = {}
        self.labels: dict[str, dict[int, str]] = {}
        self.matchers: dict[str, Matcher] = {}
        for entity in ENTITIES:
            entries = load_entries(session, entity)
            aliases = dict(
                session.execute(
                    sa.select(NameAlias.normalized_name, NameAlias.entity_id).where(NameAlias.entity == entity)
                ).all()
            )
            self.entries[entity] = entries
            self.labels[entity] = {entry.id: entry.label for entry in entries}
            candidates = [Candidate(entry.id, list(entry.names), entry.short_code) for entry in entries]
            self.matchers[entity] = Matcher(candidates, aliases, thresholds)

    def match_one(self, entity: str, raw_name: str | None) -> MatchResult:
        """The matcher's result for one raw supplier or bank name."""
        return self.matchers[entity].match(raw_name)

    def choices(self, entity: str, result: MatchResult) -> tuple[Choice, ...]:
        """A result's ranked candidates with their labels."""
        labels = self.labels[entity]
        return tuple(Choice(eid, labels[eid], score) for eid, score in result.candidates if eid in labels)

    def match(self, raw_supplier: str | None, raw_bank: str | None) -> NameMatch:
        """Match a guarantee's two names; ready only when both are matched without a doubt."""
        supplier = self.match_one("supplier", raw_supplier)
        bank = self.match_one("bank", raw_bank)
        return NameMatch(
            supplier_id=supplier.entity_id,
            bank_id=bank.entity_id,
            supplier_display_name=self.labels["supplier"].get(supplier.entity_id),
            bank_display=self.labels["bank"].get(bank.entity_id),
            supplier_candidates=self.choices("supplier", supplier),
            bank_candidates=self.choices("bank", bank),
        )

    def search(self, entity: str, query: str, limit: int = 20) -> list[Choice]:
        """Entries for a picker: names containing the query (folded as matching folds them), then fuzzy ones."""
        key = normalise_name(query)
        if not key:
            return []
        compact = key.replace(" ", "")
        found: dict[int, Choice] = {}
        ranked = []
        for entry in self.entries[entity]:
            forms = [normalise_name(name) for name in entry.names] + [normalise_name(entry.short_code or "")]
            best = 0.0
            for form in filter(None, forms):
                if form == key:
                    best = max(best, 100.0)
                elif form.startswith(key) or form.replace(" ", "").startswith(compact):
                    best = max(best, 95.0)
                elif key in form or compact in form.replace(" ", ""):
                    best = max(best, 90.0)
            if best:
                ranked.append(Choice(entry.id, entry.label, best))
        for choice in sorted(ranked, key=lambda c: (-c.score, c.label.casefold(), c.id)):
            found.setdefault(choice.id, choice)
        for choice in self.choices(entity, self.match_one(entity, query)):
            found.setdefault(choice.id, choice)
        return list(found.values())[:limit]


def dictionary_version(session: Session) -> tuple:
    """What the matchers depend on, in one cheap query: a change to any dictionary changes it."""
    parts = []
    for table, stamp in ((Supplier, Supplier.updated_at), (Bank, Bank.updated_at)):
        parts += [
            sa.select(sa.func.count()).select_from(table).scalar_subquery(),
            sa.select(sa.func.max(table.id)).scalar_subquery(),
            sa.select(sa.func.max(stamp)).scalar_subquery(),
        ]
    for table in (NameAlias, DictionaryMerge):
        parts += [
            sa.select(sa.func.count()).select_from(table).scalar_subquery(),
            sa.select(sa.func.max(table.id)).scalar_subquery(),
        ]
    # An alias re-pointed to another entry keeps count and ids: its target ids change the sum.
    parts.append(sa.select(sa.func.coalesce(sa.func.sum(NameAlias.entity_id), 0)).scalar_subquery())
    return tuple(session.execute(sa.select(*parts)).one())


class _MatcherCache:
    """The app's current matchers and the version they were built for."""

    def __init__(self) -> None:
        self.lock = Lock()
        self.generation = 0
        self.key: tuple | None = None
        self.matcher: DictionaryMatcher | None = None


def _cache() -> _MatcherCache:
    return current_app.extensions.setdefault(_EXTENSION, _MatcherCache())


def dictionaries_changed() -> None:
    """Tell this process's cache that a dictionary changed (called after a commit that changed one)."""
    cache = _cache()
    with cache.lock:
        cache.generation += 1
        cache.key = cache.matcher = None


def matcher_for(session: Session) -> DictionaryMatcher:
    """The matcher for this unit of work: cached per app, rebuilt when the dictionaries or thresholds change."""
    cache = _cache()
    thresholds = MatchThresholds.from_config(current_app.config)
    with cache.lock:
        generation = cache.generation
    key = (generation, thresholds, dictionary_version(session))
    with cache.lock:
        if cache.key == key and cache.matcher is not None:
            return cache.matcher
    matcher = DictionaryMatcher(session, thresholds)
    with cache.lock:
        if cache.generation == generation:
            cache.key, cache.matcher = key, matcher
    return matcher
