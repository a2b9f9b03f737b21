"""Row ids: 32-bit integers on both databases, so a larger number names no row (and the drivers refuse it:
SQLite cannot bind past 2**63, PostgreSQL cannot compare an integer column with a larger one)."""

MAX_ID = 2**31 - 1


def is_id(value: int) -> bool:
    """Whether `value` could be the id of a row."""
    return 0 < value <= MAX_ID
