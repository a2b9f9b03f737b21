"""Cell and form value parsers shared by the Excel import and the web forms.

(Over 400 lines on purpose: about a third is this docstring, the rules each parser follows, and the parsers
share one grammar of digits, separators and month names that reads best in one place.)

Every parser takes whatever a spreadsheet cell or a form field may hold (None, str, int,
float, Decimal, date, datetime) and returns the normalised value, None for a blank, or
raises ValueError with a short human message that names the value, written so that it
reads well after a field name: ``f"amount: {error}"`` gives "amount: 'abc' is not a number".
The message is a lazy translation: str(error) reads in the language of the request at hand,
in English (the source) outside one.
No other exception type ever escapes.

Rules chosen:

* parse_amount: Decimal quantised to 0.01 (half up). Accepts numbers, '1,234.50',
  '1.234,50', '12,5' (a comma followed by 1 or 2 digits is a decimal comma), spaces and
  NBSP as thousands separators, Arabic-Indic digits and separators, and currency words
  or signs (SAR, SR, ر.س, ريال, USD, $ ...) before or after. '-' alone counts as blank.
  Refuses negatives (also '(1,000)'), NaN/infinity, exponents in text and values of
  10^13 or more.
* parse_date: date. datetime gives its date; numbers are Excel serial dates (1900 system);
  text may be ISO ('2025-06-01', '2025/06/01', with or without a time), day first
  ('01/06/2025', '1-6-2025', '01.06.2025', 2-digit years mean 20yy), with a month name
  in English or Arabic ('1 Jun 2025', '1-Jun-25', 'June 1, 2025', '1 يونيو 2025') or
  YYYYMMDD. A month-first date such as '06/13/2025' is refused rather than guessed.
  Only years 1950-2150 are accepted, so a Hijri date or a stray number is caught.
* parse_code (PO and contract numbers): an integral number gives its digits (421378.0 ->
  '421378', also the text '421378.0'); text is cleaned (parse_text) and otherwise kept.
* parse_currency: an ISO 4217 style code, upper case ('sar' -> 'SAR'); the usual Saudi
  spellings (ر.س, ريال, SR, riyal) give 'SAR', '$'/'دولار' 'USD', '€'/'يورو' 'EUR'.
* parse_text: control characters and bidirectional marks removed, then clean_text (NFKC,
  any run of spaces one space, trimmed). Longer than max_length characters (default 500)
  is a ValueError, never a silent cut.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from guarantees.domain.text import clean_text

__all__ = [
    "MAX_AMOUNT",
    "MAX_CODE_LENGTH",
    "MAX_TEXT_LENGTH",
    "MAX_YEAR",
    "MIN_YEAR",
    "excel_serial",
    "cell_text",
    "parse_amount",
    "parse_code",
    "parse_currency",
    "parse_date",
    "parse_text",
    "strip_invisible",
]

MAX_AMOUNT = Decimal(10) ** 13  # exclusive
MAX_TEXT_LENGTH = 500
MAX_CODE_LENGTH = 100
MIN_YEAR = 1950
MAX_YEAR = 2150

_CENT = Decimal("0.01")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 0 in the 1900 system (past the 1900 leap-year bug)
_MIN_DATE = date(MIN_YEAR, 1, 1)
_MAX_DATE = date(MAX_YEAR, 12, 31)

# Control characters (tab, CR, LF and friends are spaces for clean_text and stay), lone
# surrogates and the bidirectional marks and overrides a copy from an Arabic text carries.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufff9-\ufffb]"
)

# Arabic-Indic and Eastern Arabic-Indic digits, Arabic decimal and thousands separators, Arabic comma.
_DIGITS = {0x0660 + i: str(i) for i in range(10)} | {0x06F0 + i: str(i) for i in range(10)}
_ARABIC_NUMERALS = str.maketrans(_DIGITS | {0x066B: ".", 0x066C: ",", 0x060C: ","})


def strip_invisible(text: str) -> str:
    """Remove control characters, lone surrogates and bidirectional marks from text."""
    return _INVISIBLE.sub("", text)


def _describe(value: object) -> str:
    text = value if isinstance(value, str) else str(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return repr(text)


# ----------------------------------------------------------------------------- text


def _float_text(value: float) -> str:
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def cell_text(value: object) -> str:
    """A cell value as the text a user would read ('' for None; 421378.0 -> '421378'; dates ISO)."""
    if value is None:
        return ""
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, datetime):
        if value.hour == value.minute == value.second == value.microsecond == 0:
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def parse_text(value: object, *, max_length: int = MAX_TEXT_LENGTH) -> str | None:
    """Free text: invisible characters removed, then clean_text; None when blank.

    Raises ValueError when the cleaned text is longer than max_length characters.
    """
    if value is None:
        return None
    text = cell_text(value)
    if not (text.isascii() and text.isprintable() and text[:1] != " " and text[-1:] != " " and "  " not in text):
        text = clean_text(strip_invisible(text))
        if text is None:
            return None
    elif not text:
        return None
    if len(text) > max_length:
        raise ValueError(
            _l(
                "%(value)s is too long (%(length)d characters, at most %(limit)d)",
                value=_describe(text),
                length=len(text),
                limit=max_length,
            )
        )
    return text


# ----------------------------------------------------------------------------- codes

_INTEGRAL_TEXT = re.compile(r"[0-9]+\.0+")


def parse_code(value: object) -> str | None:
    """A PO or contract number: 421378.0 (number or text) -> '421378'; text cleaned, otherwise kept."""
    if value is None:
        return None
    if type(value) is float:
        if not math.isfinite(value):
            raise ValueError(_l("%(value)s is not a reference number", value=_describe(value)))
        return _float_text(value)
    if isinstance(value, bool | date | time | timedelta):
        raise ValueError(_l("%(value)s is not a reference number", value=_describe(cell_text(value))))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(_l("%(value)s is not a reference number", value=_describe(value)))
        return str(int(value)) if value == value.to_integral_value() else str(value.normalize())
    text = parse_text(value, max_length=MAX_CODE_LENGTH)
    if text is not None and _INTEGRAL_TEXT.fullmatch(text):
        text = text[: text.index(".")]
    return text


# ----------------------------------------------------------------------------- currencies

_CURRENCY_ALIASES = {
    "sr": "SAR",
    "s.r": "SAR",
    "s.r.": "SAR",
    "riyal": "SAR",
    "riyals": "SAR",
    "saudi riyal": "SAR",
    "saudi riyals": "SAR",
    "ر.س": "SAR",
    "ر.س.": "SAR",
    "ر س": "SAR",
    "رس": "SAR",
    "ريال": "SAR",
    "ريال سعودي": "SAR",
    "﷼": "SAR",
    "$": "USD",
    "us$": "USD",
    "دولار": "USD",
    "€": "EUR",
    "يورو": "EUR",
    "£": "GBP",
}
_CODE3 = re.compile(r"[A-Za-z]{3}")


def parse_currency(value: object) -> str | None:
    """A 3-letter currency code in upper case, None for a blank; ValueError for anything else."""
    text = parse_text(value, max_length=40)
    if text is None:
        return None
    if _CODE3.fullmatch(text):
        return text.upper()
    alias = _CURRENCY_ALIASES.get(text.casefold())
    if alias is None:
        raise ValueError(_l("%(value)s is not a currency code (3 letters, e.g. SAR)", value=_describe(text)))
    return alias


# ----------------------------------------------------------------------------- amounts

_CURRENCY = re.compile(
    r"saudi riyals?|riyals?|sar|s\.?r\.?|usd|us\$|eur|gbp|aed|ريال سعودي|ريال|ر\.? ?س\.?|\$|€|£|﷼",
    re.IGNORECASE,
)
_AMOUNT_SPACES = re.compile(r"[\s\u00a0\u2000-\u200d\u202f\u205f\u2060\u3000\ufeff'’]+")
_PLAIN = re.compile(r"\+?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_GROUPED_COMMA = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")
_GROUPED_DOT = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]*)?")
_DECIMAL_COMMA = re.compile(r"[0-9]+,[0-9]{1,2}")
_BLANK_MARKS = frozenset({"-", "–", "—"})


def _checked_amount(number: Decimal, shown: object) -> Decimal:
    if not number.is_finite():
        raise ValueError(_l("%(value)s is not a number", value=_describe(shown)))
    if number < 0:
        raise ValueError(_l("%(value)s is negative: an amount must be zero or more", value=_describe(shown)))
    if number and number.adjusted() >= 13:
        raise ValueError(_l("%(value)s is too large (the limit is 10,000,000,000,000)", value=_describe(shown)))
    return number.copy_abs().quantize(_CENT, rounding=ROUND_HALF_UP)  # copy_abs: never '-0.00'


def _amount_from_text(text: str) -> Decimal | None:
    stripped = text.strip()
    if not stripped or stripped in _BLANK_MARKS:
        return None
    body = _CURRENCY.sub(" ", stripped.translate(_ARABIC_NUMERALS))
    body = _AMOUNT_SPACES.sub("", body)
    negative = False
    if body.startswith("(") and body.endswith(")"):
        body, negative = body[1:-1], True
    if body.startswith("-") or body.endswith("-"):
        body, negative = body.strip("-"), True
    if _PLAIN.fullmatch(body):
        digits = body.lstrip("+")
    elif _GROUPED_COMMA.fullmatch(body):
        digits = body.replace(",", "")
    elif _DECIMAL_COMMA.fullmatch(body):
        digits = body.replace(",", ".")
    elif _GROUPED_DOT.fullmatch(body):
        digits = body.replace(".", "").replace(",", ".")
    else:
        raise ValueError(_l("%(value)s is not a number", value=_describe(text)))
    if digits.endswith("."):
        digits = digits[:-1]
    number = Decimal(digits)
    if negative and number:
        raise ValueError(_l("%(value)s is negative: an amount must be zero or more", value=_describe(text)))
    return _checked_amount(number, text)


def parse_amount(value: object) -> Decimal | None:
    """An amount as Decimal with 2 places, None for a blank; ValueError for anything else."""
    if value is None:
        return None
    kind = type(value)
    if kind is float:
        if not math.isfinite(value):
            raise ValueError(_l("%(value)s is not a number", value=_describe(value)))
        return _checked_amount(Decimal(repr(value)), _float_text(value))
    if kind is str:
        try:
            return _amount_from_text(value)
        except InvalidOperation:
            raise ValueError(_l("%(value)s is not a number", value=_describe(value))) from None
    if isinstance(value, bool | date | time | timedelta):
        raise ValueError(_l("%(value)s is not a number", value=_describe(cell_text(value))))
    if isinstance(value, int):
        if value < 0:
            raise ValueError(_l("%(value)s is negative: an amount must be zero or more", value=_describe(value)))
        if value >= MAX_AMOUNT:
            raise ValueError(_l("%(value)s is too large (the limit is 10,000,000,000,000)", value=_describe(value)))
        return Decimal(value).quantize(_CENT)
    if isinstance(value, Decimal):
        return _checked_amount(value, value)
    if isinstance(value, float):  # float subclasses
        return parse_amount(float(value))
    return parse_amount(str(value))


# ----------------------------------------------------------------------------- dates

_MONTHS = {
    "jan": 1,
    "january": 1,
    "feb": 2,
    "february": 2,
    "mar": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
    "يناير": 1,
    "فبراير": 2,
    "مارس": 3,
    "ابريل": 4,
    "أبريل": 4,
    "إبريل": 4,
    "مايو": 5,
    "يونيو": 6,
    "يونيه": 6,
    "يوليو": 7,
    "يوليه": 7,
    "اغسطس": 8,
    "أغسطس": 8,
    "سبتمبر": 9,
    "اكتوبر": 10,
    "أكتوبر": 10,
    "نوفمبر": 11,
    "ديسمبر": 12,
}
_TIME = r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?: ?[AaPp][Mm])?)?"
_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME)
_DMY = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})" + _TIME)
_D_MON_Y = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?[-/. ]*([^\W\d_]+)\.?[-/., ]*(\d{4}|\d{2})" + _TIME)
_MON_D_Y = re.compile(r"([^\W\d_]+)\.?[-/. ]*(\d{1,2})(?:st|nd|rd|th)?[-/., ]+(\d{4})" + _TIME)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL = re.compile(r"\d{1,6}(?:\.\d+)?")


def excel_serial(day: date) -> int:
    """The Excel (1900 system) serial number of a date."""
    return (day - _EXCEL_EPOCH).days


def _in_range(day: date, shown: object) -> date:
    if not _MIN_DATE <= day <= _MAX_DATE:
        raise ValueError(
            _l(
                "%(value)s is outside the years %(first)d-%(last)d",
                value=_describe(shown),
                first=MIN_YEAR,
                last=MAX_YEAR,
            )
        )
    return day


def _from_serial(number: float, shown: object) -> date:
    if not math.isfinite(number) or not 1 <= number < 2958466:
        raise ValueError(_l("%(value)s is not a date", value=_describe(shown)))
    return _in_range(_EXCEL_EPOCH + timedelta(days=int(number)), shown)


def _build(year: int, month: int, day: int, text: str) -> date:
    if 1300 <= year <= 1500:
        raise ValueError(_l("%(value)s looks like a Hijri date: give the Gregorian date", value=_describe(text)))
    try:
        result = date(year, month, day)
    except ValueError:
        if month > 12 and day <= 12:
            raise ValueError(
                _l("%(value)s is not a valid date (day/month/year expected)", value=_describe(text))
            ) from None
        raise ValueError(_l("%(value)s is not a valid date", value=_describe(text))) from None
    return _in_range(result, text)


def _year(text: str) -> int:
    return int(text) + 2000 if len(text) == 2 else int(text)


def _date_from_text(original: str) -> date | None:
    text = clean_text(strip_invisible(original).translate(_ARABIC_NUMERALS))
    if text is None:
        return None
    if m := _YMD.fullmatch(text):
        return _build(int(m[1]), int(m[2]), int(m[3]), original)
    if m := _DMY.fullmatch(text):
        return _build(_year(m[3]), int(m[2]), int(m[1]), original)
    if m := _D_MON_Y.fullmatch(text):
        month = _MONTHS.get(m[2].casefold())
        if month:
            return _build(_year(m[3]), month, int(m[1]), original)
    if m := _MON_D_Y.fullmatch(text):
        month = _MONTHS.get(m[1].casefold())
        if month:
            return _build(int(m[3]), month, int(m[2]), original)
    if m := _COMPACT.fullmatch(text):
        return _build(int(m[1]), int(m[2]), int(m[3]), original)
    if _SERIAL.fullmatch(text):
        return _from_serial(float(text), original)
    raise ValueError(_l("%(value)s is not a date (expected e.g. 01/06/2025 or 2025-06-01)", value=_describe(original)))


def parse_date(value: object) -> date | None:
    """A date, None for a blank; ValueError for anything that is not a date in the years 1950-2150."""
    if value is None:
        return None
    kind = type(value)
    if kind is date:
        return _in_range(value, value.isoformat())
    if kind is datetime:
        return _in_range(value.date(), value.date().isoformat())
    if kind is str:
        return _date_from_text(value)
    if kind is float or (isinstance(value, int | Decimal) and not isinstance(value, bool)):
        try:
            number = float(value)
        except (OverflowError, ValueError):
            raise ValueError(_l("%(value)s is not a date", value=_describe(value))) from None
        return _from_serial(number, cell_text(value) if kind is float else value)
    if isinstance(value, datetime):
        return _in_range(value.date(), value.date().isoformat())
    if isinstance(value, date):
        return _in_range(value, value.isoformat())
    if isinstance(value, str):
        return _date_from_text(str(value))
    raise ValueError(_l("%(value)s is not a date", value=_describe(cell_text(value))))
