"""Matching raw supplier and bank names to the official dictionaries."""

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
    "Candidate",
    "MatchResult",
    "MatchThresholds",
    "Matcher",
    "PairResult",
    "compact_key",
    "match_pair",
    "normalise_name",
]
