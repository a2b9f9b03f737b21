"""Matching raw supplier and bank names to the official dictionaries (pure: no database, no request)."""

from guarantees.matching.dictionary import (
    ENTITIES,
    Choice,
    DictionaryMatcher,
    Entry,
    NameMatch,
    entry_names,
    entry_of,
)
from guarantees.matching.matcher import (
    Candidate,
    Matcher,
    MatchResult,
    MatchThresholds,
    PairResult,
    match_pair,
)
from guarantees.matching.normalise import compact_key, normalise_name

__all__ = [
    "ENTITIES",
    "Candidate",
    "Choice",
    "DictionaryMatcher",
    "Entry",
    "MatchResult",
    "MatchThresholds",
    "Matcher",
    "NameMatch",
    "PairResult",
    "compact_key",
    "entry_names",
    "entry_of",
    "match_pair",
    "normalise_name",
]
