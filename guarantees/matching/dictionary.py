"""Both dictionaries as one matcher: entries and learned aliases in, ranked choices and a guarantee's match out.

Pure (no database): the repository reads the live entries and aliases and builds a `DictionaryMatcher`;
services and pages use it to match names, rank a review queue's candidates and fill a picker.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from guarantees.domain.fields import ENTITIES, match_status
from guarantees.matching.known import KNOWN_NAMES
from guarantees.matching.matcher import Candidate, Matcher, MatchResult, MatchThresholds
from guarantees.matching.normalise import normalise_name


@dataclass(frozen=True)
class Choice:
    """A ranked candidate for a raw name: dictionary id, its label, and the matcher's score (0-100)."""

    id: int
    label: str
    score: float


@dataclass(frozen=True)
class Entry:
    """A dictionary entry as pickers and searches show it."""

    id: int
    label: str
    names: tuple[str, ...]
    short_code: str | None = None
    # How many of the leading names are official (a supplier's display name is not); None: all of them.
    official: int | None = None


@dataclass(frozen=True)
class NameMatch:
    """A guarantee's two names matched: the columns it gets, and the candidates a reviewer would see."""

    supplier_id: int | None
    bank_id: int | None
    supplier_display_name: str | None
    bank_display: str | None
    supplier_candidates: tuple[Choice, ...] = ()
    bank_candidates: tuple[Choice, ...] = ()

    @property
    def match_status(self) -> str:
        return match_status(self.supplier_id, self.bank_id)

    def as_fields(self) -> dict:
        """The guarantee columns this match decides."""
        return {
            "supplier_id": self.supplier_id,
            "bank_id": self.bank_id,
            "supplier_display_name": self.supplier_display_name,
            "bank_display": self.bank_display,
            "match_status": self.match_status,
        }


def supplier_names(supplier) -> list[str]:
    """Every name a supplier is known by in its dictionary row."""
    return [name for name in (supplier.official_name, supplier.display_name) if name and name.strip()]


def bank_names(bank) -> list[str]:
    """Every name a bank is known by in its dictionary row (the short code is matched separately)."""
    names = (bank.official_name, bank.official_name_en, bank.official_name_ar)
    return [name for name in names if name and name.strip()]


def entry_names(entity: str, row) -> list[str]:
    """The names of a supplier or bank row (anything with the dictionary's name attributes)."""
    return supplier_names(row) if entity == "supplier" else bank_names(row)


def entry_of(entity: str, row) -> Entry:
    """A dictionary row as the matcher and the pickers see it."""
    if entity == "supplier":
        official = 1 if row.official_name and row.official_name.strip() else 0
        return Entry(row.id, row.label, tuple(supplier_names(row)), official=official)
    return Entry(row.id, row.label, tuple(bank_names(row)), row.short_code)


class DictionaryMatcher:
    """Supplier and bank matchers built from the live entries and the learned aliases."""

    def __init__(
        self,
        entries: Mapping[str, Iterable[Entry]],
        aliases: Mapping[str, Mapping[str, int]],
        thresholds: MatchThresholds,
    ) -> None:
        self.thresholds = thresholds
        self.entries: dict[str, list[Entry]] = {}
        self.labels: dict[str, dict[int, str]] = {}
        self.matchers: dict[str, Matcher] = {}
        for entity in ENTITIES:
            listed = list(entries.get(entity, ()))
            self.entries[entity] = listed
            self.labels[entity] = {entry.id: entry.label for entry in listed}
            candidates = [Candidate(entry.id, list(entry.names), entry.short_code, entry.official) for entry in listed]
            self.matchers[entity] = Matcher(candidates, aliases.get(entity, {}), thresholds, KNOWN_NAMES.get(entity))

    def match_one(self, entity: str, raw_name: str | None) -> MatchResult:
        """The matcher's result for one raw supplier or bank name."""
        return self.matchers[entity].match(raw_name)

    def choices(self, entity: str, result: MatchResult) -> tuple[Choice, ...]:
        """A result's ranked candidates with their labels."""
        labels = self.labels[entity]
        return tuple(Choice(eid, labels[eid], score) for eid, score in result.candidates if eid in labels)

    def candidates(self, entity: str, raw_name: str | None) -> tuple[Choice, ...]:
        """The ranked candidates for one raw name (what a reviewer is offered)."""
        return self.choices(entity, self.match_one(entity, raw_name))

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
        for choice in self.candidates(entity, query):
            found.setdefault(choice.id, choice)
        return list(found.values())[:limit]
