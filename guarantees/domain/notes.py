"""Notes: how long one may be, and which colleagues it mentions (`@username`)."""

import re

NOTE_MAX = 4000  # characters, after trimming; the notes table's CHECK holds the same limit
_MENTION = re.compile(r"(?<![\w@])@([\w.\-]{1,80})")


def mentioned(body: str) -> list[str]:
    """The user names a note mentions (`@name`, letters, digits, `.`, `-`, `_`), once each, in order."""
    return list(dict.fromkeys(name.rstrip(".-") for name in _MENTION.findall(body or "") if name.rstrip(".-")))
