"""What a password must be: MIN_PASSWORD to MAX_PASSWORD characters, neither one of the most common passwords nor
the username (in any case, alone, with digits or symbols added before or after, or repeated).

The common passwords are guarantees/data/common-passwords.txt (its header says where they come from). The same
rules hold for the admin pages, a user's own change and `flask users ...`.
"""

import string
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

MIN_PASSWORD = 12
MAX_PASSWORD = 200
COMMON_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"
_PADDING = string.digits + string.punctuation + " "


@cache
def common_passwords() -> frozenset[str]:
    """The list, in lower case."""
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _derived(password: str, words) -> bool:
    """`password` is one of `words` in any case, one with only digits or symbols added around it
    ("Password2024!"), or one of them, or a very short string, repeated ("dragondragon", "abcabcabcabc")."""
    lowered = password.strip().lower()
    core = lowered.strip(_PADDING)
    if lowered in words or (core and core in words):
        return True
    for size in range(1, len(lowered) // 2 + 1):
        unit = lowered[:size]
        if len(lowered) % size == 0 and unit * (len(lowered) // size) == lowered:
            return size <= 4 or unit in words or unit.strip(_PADDING) in words
    return False


def is_common(password: str) -> bool:
    """A common password, in any case, alone, padded with digits or symbols, or repeated."""
    return _derived(password, common_passwords())


def problem(password: str, username: str | None = None) -> str | None:
    """Why `password` is refused (a message for the user), or None when it is acceptable."""
    password = password or ""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return str(_l("A password has %(min)d to %(max)d characters.", min=MIN_PASSWORD, max=MAX_PASSWORD))
    if username and username.strip() and _derived(password, {username.strip().lower()}):
        return str(_l("A password cannot be the username."))
    if is_common(password):
        return str(_l("This password is one of the most common ones: choose one that is harder to guess."))
    return None
