"""Guarantee numbers and free text as the register stores them, and the SQL twin of number normalisation."""

import re
import unicodedata

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

# Every kind of space a spreadsheet or a legacy row may carry: each character Python calls a space
# (str.isspace), and the zero-width ones that are not spaces to Python but are invisible in a cell.
SPACES = (
    "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
    "\u200b\u200c\u200d\u2060\ufeff"
)
_SPACES = re.compile("[" + re.escape(SPACES) + "]+")


def normalise_number(value: object) -> str:
    """A guarantee number as stored: upper-case, no spaces of any kind ('' when there is none)."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    return _SPACES.sub("", text).upper()


def clean_text(value: object) -> str | None:
    """Free text as stored: NFKC, no NUL, any run of spaces folded to one, trimmed; None when empty."""
    if value is None:
        return None
    # NUL is nothing a person types: PostgreSQL refuses it in text and SQLite's length() stops at it.
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", str(value).replace("\x00", ""))).strip()
    return text or None


def normalise_number_or_null(value: object) -> str | None:
    """`normalise_number` with SQL's NULL kept: SQLite's registered twin (see `register_sqlite_functions`)."""
    return None if value is None else normalise_number(value)


def register_sqlite_functions(connection) -> None:
    """Give a SQLite connection `normalise_number(text)`: SQLite has no translate(), and one replace() per
    character of SPACES nests deeper than its parser allows, so the twin there is this function itself."""
    connection.create_function("normalise_number", 1, normalise_number_or_null, deterministic=True)


class normalised_number_sql(FunctionElement):  # noqa: N801 - used like a SQL function
    """SQL for `normalise_number` of a text column: the same SPACES removed, then upper-cased."""

    type = sa.String()
    inherit_cache = True


@compiles(normalised_number_sql)
def _registered(element, compiler, **kw):
    return f"normalise_number({compiler.process(element.clauses, **kw)})"


@compiles(normalised_number_sql, "postgresql")
def _translate(element, compiler, **kw):
    # translate() drops each character of its second argument that has no counterpart in the third.
    spaces = "".join(f"\\+{ord(space):06X}" for space in SPACES)
    return f"upper(translate({compiler.process(element.clauses, **kw)}, U&'{spaces}', ''))"
