"""E-mail addresses as the register accepts them: a user's own, and the alert settings' list.

A plain check, not RFC 5322: one @, a local part and a dotted domain, no spaces, quotes, commas or angle
brackets (the mail server has the last word). Addresses are kept in lower case, so that one person listed
twice, or once per case, gets one digest.
"""

import re

MAX_ADDRESS = 254
MAX_ADDRESSES = 50
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_SEPARATORS = re.compile(r"[\s,;]+")


class TooManyAddresses(ValueError):
    """A list longer than MAX_ADDRESSES."""


def parse_address(text: str) -> str:
    """' Chief@Example.org ' → 'chief@example.org'; ValueError(text) when it is not an address."""
    address = (text or "").strip()
    if len(address) > MAX_ADDRESS or not _ADDRESS.fullmatch(address):
        raise ValueError(address)
    return address.lower()


def parse_addresses(text: str) -> tuple[str, ...]:
    """'a@x.org, b@x.org; A@x.org' → ('a@x.org', 'b@x.org'): separated by commas, semicolons or spaces, in the
    order given, each once. ValueError with the first part that is not an address; TooManyAddresses beyond
    MAX_ADDRESSES."""
    found: dict[str, None] = {}
    for part in _SEPARATORS.split(text or ""):
        if part:
            found[parse_address(part)] = None
    if len(found) > MAX_ADDRESSES:
        raise TooManyAddresses(len(found))
    return tuple(found)
