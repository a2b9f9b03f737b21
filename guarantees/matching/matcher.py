"""Match raw supplier and bank names to dictionary entries: alias, exact name or code, known former name, fuzzy."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz, process

from guarantees.matching.normalise import normalise_name
from guarantees.matching.transliterate import is_arabic, skeleton

Status = Literal["ready", "needs_review"]
Method = Literal["alias", "exact", "code", "known", "fuzzy"]

MAX_CANDIDATES = 5
_CACHE_SIZE = 100_000
# Only the best raw scores of each search are refined, for speed. Refinement only lowers scores, so
# an entry further down could win only if every shortlisted one lost much to it: a crowd of
# near-identical names, which a person should look at anyway.
_SHORTLIST = 25
# Choices scoring below this are not worth showing a reviewer; it also lets rapidfuzz skip work.
_CANDIDATE_FLOOR = 50.0
# A word in the names of this many entries or more is generic. A fuzzy score is capped by how
# well the remaining, distinctive words agree: 'زمو التجاريه' is not 'زومو التجاريه' just because
# the generic word matches perfectly.
_COMMON_WORD_ENTRIES = 3
# A bracketed part is often an acronym or a translation ('Saudi Investment Bank (SAIB)'); the name
# without it is how people usually write it.
_BRACKETS = re.compile(r"\([^()]*\)")
# How exactly a name met an entry, best first: the entry's official name as written, another of its names
# as written, a name without its bracketed part. Only a tie at the best rank is a duplicated entry.
_OFFICIAL, _OTHER_NAME, _WITHOUT_BRACKETS = 0, 1, 2
# A raw name with the same distinctive words as one of an entry's names, adding no other word ('Bahrain
# Bank' for 'National Bank of Bahrain'), is that entry written shorter: it scores this, so it is trusted
# only when no other entry is as close (the margin) and the thresholds allow it.
_CONTAINED_SCORE = 95.0
# The definite article written apart ('Al Rajhi', 'El Khodari') never tells an entry apart.
_ARTICLES = frozenset({"al", "el"})
# Distinctive words this short ('al', 'co') say too little to stand for a name on their own.
_MIN_DISTINCTIVE_CHARS = 3
# A name in the other script ('ALMARSHD' / 'المرشد') is proposed through a rough transliteration, never
# trusted: its score stays below this and below the auto threshold. Skeletons shorter than this are noise.
_TRANSLITERATED_MAX = 85.0
_MIN_SKELETON = 3


@dataclass(frozen=True)
class Candidate:
    """One dictionary entry: its id, every name it is known by, and its short code if any."""

    id: int
    names: list[str]
    short_code: str | None = None
    # How many of the leading names are official names (the rest are display names or other labels);
    # None: all of them.
    official: int | None = None


@dataclass(frozen=True)
class MatchThresholds:
    """When a fuzzy match is trusted: best score (0–100) and lead over the best other entry."""

    min_score: float = 90.0
    min_margin: float = 8.0

    def __post_init__(self) -> None:
        if not 0 <= self.min_score <= 100 or not 0 <= self.min_margin <= 100:
            raise ValueError(f"match thresholds are on a 0-100 scale: {self.min_score}, {self.min_margin}")

    @classmethod
    def from_config(cls, mapping: Mapping[str, object]) -> MatchThresholds:
        """Thresholds from settings (MATCH_MIN_SCORE, MATCH_MIN_MARGIN); a missing or empty value keeps the default."""
        defaults = cls()
        return cls(
            min_score=_setting(mapping.get("MATCH_MIN_SCORE"), defaults.min_score),
            min_margin=_setting(mapping.get("MATCH_MIN_MARGIN"), defaults.min_margin),
        )


def _setting(value: object, default: float) -> float:
    """A numeric setting that may arrive as None, '' (unset) or a string from the environment."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    return float(value)  # type: ignore[arg-type]  # a bad value should fail loudly at start-up


@dataclass(frozen=True)
class MatchResult:
    """The outcome for one raw name; entity_id is set only when the match is ready."""

    status: Status
    entity_id: int | None
    method: Method | None
    score: float
    candidates: list[tuple[int, float]] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """True when the name was matched without a doubt."""
        return self.status == "ready"


@dataclass(frozen=True)
class PairResult:
    """Supplier and bank results of one guarantee; ready only when both are."""

    status: Status
    supplier: MatchResult
    bank: MatchResult


def name_variants(name: str) -> set[str]:
    """The normalised forms under which a dictionary name is looked up: as written and without brackets."""
    variants = {normalise_name(name), normalise_name(_BRACKETS.sub(" ", name))}
    variants.discard("")
    return variants


def _ranked_variants(name: str, official: bool) -> dict[str, int]:
    """A dictionary name's normalised forms, each with how exactly a raw name meeting it matches."""
    written = normalise_name(name)
    variants = {written: _OFFICIAL if official else _OTHER_NAME} if written else {}
    shorter = normalise_name(_BRACKETS.sub(" ", name))
    if shorter and shorter not in variants:
        variants[shorter] = _WITHOUT_BRACKETS
    return variants


class Matcher:
    """A dictionary of entries built once, matching raw names fast (results are cached by normalised name)."""

    def __init__(
        self,
        entries: Iterable[Candidate],
        aliases: Mapping[str, int] | None = None,
        thresholds: MatchThresholds | None = None,
        known_names: Mapping[str, str] | None = None,
    ) -> None:
        self.thresholds = thresholds or MatchThresholds()
        # compact name -> entry id -> how exactly (the best rank among the entry's names)
        self._exact: dict[str, dict[int, int]] = defaultdict(dict)
        self._codes: dict[str, set[int]] = defaultdict(set)
        choices: dict[tuple[str, int], None] = {}
        self._ids: set[int] = set()
        for entry in entries:
            self._ids.add(entry.id)
            official = len(entry.names) if entry.official is None else entry.official
            for position, name in enumerate(entry.names):
                for variant, rank in _ranked_variants(name or "", position < official).items():
                    ranks = self._exact[variant.replace(" ", "")]
                    ranks[entry.id] = min(rank, ranks.get(entry.id, rank))
                    choices[(variant, entry.id)] = None
            code = normalise_name(entry.short_code or "")
            if code:
                self._codes[code].add(entry.id)
        self._choice_names = [name for name, _ in choices]
        self._choice_compacts = [name.replace(" ", "") for name in self._choice_names]
        self._choice_ids = [entity_id for _, entity_id in choices]
        self._common = _common_words(self._choice_names, self._choice_ids)
        self._choice_rares = [self._rare(name) for name in self._choice_names]
        self._by_rare: dict[frozenset[str], list[int]] = defaultdict(list)
        # Skeletons of the distinctive words of each name, by script: Arabic names (True) and the others.
        self._skeletons: dict[bool, tuple[list[str], list[int]]] = {True: ([], []), False: ([], [])}
        for index, rare in enumerate(self._choice_rares):
            self._by_rare[frozenset(rare.split())].append(index)
            shape = skeleton(rare)
            if len(shape) >= _MIN_SKELETON:
                skeletons, indexes = self._skeletons[is_arabic(rare)]
                skeletons.append(shape)
                indexes.append(index)
        # An alias to an id no longer in the dictionary is stale; trusting it would match to nothing.
        self._aliases = {
            normalise_name(alias): entity_id
            for alias, entity_id in (aliases or {}).items()
            if entity_id in self._ids and normalise_name(alias)
        }
        self._known = self._resolve_known(known_names or {})
        self._cache: dict[str, MatchResult] = {}

    def _resolve_known(self, known_names: Mapping[str, str]) -> dict[str, int]:
        """Former names whose current name (or code) exactly one entry carries: compact former name -> its id."""
        known: dict[str, int] = {}
        for former, current in known_names.items():
            target = normalise_name(current)
            ids = set(self._exact.get(target.replace(" ", ""), {})) | self._codes.get(target, set())
            compact = normalise_name(former).replace(" ", "")
            if len(ids) == 1 and compact:
                known[compact] = next(iter(ids))
        return known

    def match(self, raw_name: str | None) -> MatchResult:
        """Match one raw name: learned alias, then exact name or short code, then fuzzy."""
        key = normalise_name(raw_name or "")
        result = self._cache.get(key)
        if result is None:
            result = self._match_key(key)
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()  # a long-lived matcher must not grow without bound
            self._cache[key] = result
        return result

    def _match_key(self, key: str) -> MatchResult:
        if not key:
            return MatchResult("needs_review", None, None, 0.0, [])
        if key in self._aliases:
            entity_id = self._aliases[key]
            return MatchResult("ready", entity_id, "alias", 100.0, [(entity_id, 100.0)])
        compact = key.replace(" ", "")
        # Names differing only in spacing ('و تقنيه' / 'وتقنيه') are the same name: two entries that meet
        # equally exactly here are a duplicated dictionary entry, not a choice to make silently.
        hits = dict(self._exact.get(compact, {}))
        for entity_id in self._codes.get(key, ()):
            hits[entity_id] = _OFFICIAL
        fuzzy = self._fuzzy(key)
        if hits:
            best_rank = min(hits.values())
            best = sorted(entity_id for entity_id, rank in hits.items() if rank == best_rank)
            method: Method = "exact" if any(entity_id in self._exact.get(compact, {}) for entity_id in best) else "code"
            exact = sorted(hits, key=lambda entity_id: (hits[entity_id], entity_id))
            ranked = [(entity_id, 100.0) for entity_id in exact]
            ranked += [(entity_id, score) for entity_id, score in fuzzy if entity_id not in hits]
            if len(best) == 1:
                return MatchResult("ready", best[0], method, 100.0, ranked[:MAX_CANDIDATES])
            # Two entries share this name (a duplicated dictionary entry): a person must choose.
            return MatchResult("needs_review", None, method, 100.0, ranked[:MAX_CANDIDATES])
        if compact in self._known:
            entity_id = self._known[compact]
            ranked = [(entity_id, 100.0)] + [(other, score) for other, score in fuzzy if other != entity_id]
            return MatchResult("ready", entity_id, "known", 100.0, ranked[:MAX_CANDIDATES])
        if not fuzzy:
            return MatchResult("needs_review", None, None, 0.0, [])
        best_id, best_score = fuzzy[0]
        runner_up = fuzzy[1][1] if len(fuzzy) > 1 else 0.0
        ready = best_score >= self.thresholds.min_score and best_score - runner_up >= self.thresholds.min_margin
        return MatchResult(
            "ready" if ready else "needs_review",
            best_id if ready else None,
            "fuzzy",
            best_score,
            fuzzy[:MAX_CANDIDATES],
        )

    def _rare(self, name: str) -> str:
        """The words of a normalised name that few entries share: what tells this company apart."""
        return " ".join(word for word in name.split() if word not in self._common)

    def _containing(self, key: str, rare: str) -> set[int]:
        """Entries with a name of the same distinctive words as the key, holding every word of the key."""
        distinctive = frozenset(rare.split())
        if sum(len(word) for word in distinctive) < _MIN_DISTINCTIVE_CHARS:
            return set()
        words = set(key.split())
        return {
            self._choice_ids[index]
            for index in self._by_rare.get(distinctive, ())
            if words <= set(self._choice_names[index].split())
        }

    def _transliterated(self, rare: str) -> dict[int, float]:
        """Entries whose names in the other script sound like the key's distinctive words (proposals only)."""
        shape = skeleton(rare)
        if len(shape) < _MIN_SKELETON:
            return {}
        skeletons, indexes = self._skeletons[not is_arabic(rare)]
        ceiling = min(_TRANSLITERATED_MAX, self.thresholds.min_score - 1)
        found: dict[int, float] = {}
        # Partial: a name written in full in one script is often shortened in the other ('ALMARSHD' for
        # 'مجموعة المرشد العالمية').
        for _, score, position in process.extract(
            shape, skeletons, scorer=fuzz.partial_ratio, limit=_SHORTLIST, score_cutoff=_CANDIDATE_FLOOR
        ):
            entity_id = self._choice_ids[indexes[position]]
            found[entity_id] = max(found.get(entity_id, 0.0), min(score, ceiling))
        return found

    def _fuzzy(self, key: str) -> list[tuple[int, float]]:
        """Every entry scoring at least the floor, best first, one score per id (its best name)."""
        best: dict[int, float] = {}
        rare = self._rare(key)
        # Word order varies ('ALJAZIRA BANK' / 'Bank AlJazira'): token_sort_ratio ignores it. Word
        # splits vary too ('AL SALEM' / 'ALSALEM'): a plain ratio of the compact forms ignores those.
        searches = (
            (key, self._choice_names, fuzz.token_sort_ratio),
            (key.replace(" ", ""), self._choice_compacts, fuzz.ratio),
        )
        for query, choices, scorer in searches:
            for _, score, index in process.extract(
                query, choices, scorer=scorer, limit=_SHORTLIST, score_cutoff=_CANDIDATE_FLOOR
            ):
                entity_id = self._choice_ids[index]
                score = min(score, _similarity(rare, self._choice_rares[index]))
                if score > best.get(entity_id, 0.0):
                    best[entity_id] = score
        for entity_id in self._containing(key, rare):
            best[entity_id] = max(best.get(entity_id, 0.0), _CONTAINED_SCORE)
        for entity_id, score in self._transliterated(rare).items():
            best[entity_id] = max(best.get(entity_id, 0.0), score)
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        return [(entity_id, round(score, 1)) for entity_id, score in ranked]


def _similarity(left: str, right: str) -> float:
    """How alike two word sequences are, ignoring word order and word splits (100 when either is empty)."""
    if not left or not right:
        return 100.0
    return max(fuzz.token_sort_ratio(left, right), fuzz.ratio(left.replace(" ", ""), right.replace(" ", "")))


def _common_words(names: list[str], ids: list[int]) -> frozenset[str]:
    """Words found in the names of several entries ('trading', 'bank', 'الطبيه'): they tell no entry apart."""
    owners: dict[str, set[int]] = defaultdict(set)
    for name, entity_id in zip(names, ids, strict=True):
        for word in name.split():
            owners[word].add(entity_id)
    common = {word for word, entity_ids in owners.items() if len(entity_ids) >= _COMMON_WORD_ENTRIES}
    return frozenset(common | _ARTICLES)


def match_pair(
    supplier_matcher: Matcher, bank_matcher: Matcher, raw_supplier: str | None, raw_bank: str | None
) -> PairResult:
    """Match a guarantee's supplier and bank; the pair is ready only when both names are."""
    supplier = supplier_matcher.match(raw_supplier)
    bank = bank_matcher.match(raw_bank)
    status: Status = "ready" if supplier.ready and bank.ready else "needs_review"
    return PairResult(status, supplier, bank)
