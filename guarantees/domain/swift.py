"""A bank's SWIFT/BIC code as the register keeps it: the one rule for the dictionary import and the bank form.

ISO 9362: four letters for the bank, two for the country, two letters or digits for the location, and an optional
three for the branch; spaces are dropped and letters kept in upper case (the database's CHECK on bank_details holds
the length and the case).
"""

import re

_SWIFT = re.compile(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?")


def parse_swift(text: str) -> str:
    """' rjhi sari ' → 'RJHISARI': 8 or 11 characters (bank, country, location, branch); ValueError otherwise."""
    code = re.sub(r"\s+", "", text or "").upper()
    if not _SWIFT.fullmatch(code):
        raise ValueError(text)
    return code
