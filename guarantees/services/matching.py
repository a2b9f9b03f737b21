"""Matching as the writing services use it: the matcher of a unit of work, and the cache told of a change.

The matcher itself is pure (`guarantees.matching`); the repository reads the live dictionaries and the
learned aliases into one, cached per dictionary version. These names stay here for the services that match
names while they write (entry, edits, imports, review).
"""

from guarantees.matching import ENTITIES, Choice, DictionaryMatcher, NameMatch, entry_names
from guarantees.repositories.matching import MODELS, dictionaries_changed, matcher_for

__all__ = [
    "ENTITIES",
    "MODELS",
    "Choice",
    "DictionaryMatcher",
    "NameMatch",
    "dictionaries_changed",
    "entry_names",
    "matcher_for",
]
