"""Row ids: 32-bit integers on both databases, so a larger number names no row (and the drivers refuse it:
SQLite cannot bind past 2**63, PostgreSQL cannot compare an integer column with a larger one)."""

MAX_ID = 2**31 - 1


def is_id(value: int) -> bool:
    """Whether `value` could be the id of a row."""
    return 0 < value <= MAX_ID


def digits_upto(highest: int) -> str:
    """A regular expression that matches exactly the numbers 1 to `highest` as written in decimal, without leading
    zeros or non-ASCII digits: a URL rule with it does not match a larger number at all (an id out of range is
    then a plain 404, never a 405 from a rule of the same path with another method)."""
    digits = str(highest)
    choices = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for position, digit in enumerate(digits):
        low = 1 if position == 0 else 0
        if int(digit) - 1 >= low:
            rest = len(digits) - position - 1
            choices.append(f"{digits[:position]}[{low}-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    choices.append(digits)
    return "(?:" + "|".join(choices) + ")"


ID_PATTERN = digits_upto(MAX_ID)
