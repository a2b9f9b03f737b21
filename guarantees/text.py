"""Text helpers shared by every layer: guarantee numbers and names as the register stores them."""

import re
import unicodedata

# Every kind of space a spreadsheet or a legacy row may carry (NBSP, thin spaces, zero-width ones).
_SPACES = re.compile(r"[\s\u00a0\u1680\u2000-\u200d\u202f\u205f\u2060\u3000\ufeff]+")


def normalise_number(value: object) -> str:
    """A guarantee number as stored: upper-case, no spaces of any kind ('' when there is none)."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    return _SPACES.sub("", text).upper()


def clean_text(value: object) -> str | None:
    """Free text as stored: NFKC, any run of spaces folded to one, trimmed; None when empty."""
    if value is None:
        return None
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", str(value))).strip()
    return text or None
