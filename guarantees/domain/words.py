"""An amount in Arabic words (تفقيط), as Saudi letters write it: "خمسة وعشرون ألفاً ومئتا ريال سعودي".

num2words (lang="ar") was tried first and gets common amounts wrong ("خمسة و عشرون", "مئتا" alone for 200,
"ألفا" alone for 2,000, halalas as ", خمسون"), so the rules are written here: masculine numbers for the riyal and
the thousands, feminine ones for the halala; a counted noun singular after 1-2 and 100s, plural after 3-10,
accusative singular after 11-99; the construct form (مئتا، ألفا) directly before the noun it counts.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

UNITS_M = ("", "واحد", "اثنان", "ثلاثة", "أربعة", "خمسة", "ستة", "سبعة", "ثمانية", "تسعة", "عشرة")
UNITS_F = ("", "واحدة", "اثنتان", "ثلاث", "أربع", "خمس", "ست", "سبع", "ثماني", "تسع", "عشر")
TEENS_M = ("أحد عشر", "اثنا عشر")
TEENS_F = ("إحدى عشرة", "اثنتا عشرة")
TENS = ("", "", "عشرون", "ثلاثون", "أربعون", "خمسون", "ستون", "سبعون", "ثمانون", "تسعون")
HUNDREDS = ("", "مئة", "مئتان", "ثلاثمئة", "أربعمئة", "خمسمئة", "ستمئة", "سبعمئة", "ثمانمئة", "تسعمئة")


@dataclass(frozen=True)
class Noun:
    """A counted noun's forms: one, two (free and before another noun), three to ten, eleven to 99."""

    singular: str
    dual: str
    dual_construct: str
    plural: str
    accusative: str
    feminine: bool = False
    one_after: str = "واحد"  # "ريال واحد", "هللة واحدة"


THOUSAND = Noun("ألف", "ألفان", "ألفا", "آلاف", "ألفاً")
MILLION = Noun("مليون", "مليونان", "مليونا", "ملايين", "مليوناً")
BILLION = Noun("مليار", "ملياران", "مليارا", "مليارات", "ملياراً")
SCALES = (BILLION, MILLION, THOUSAND)  # 10**9, 10**6, 10**3

RIYAL = Noun("ريال سعودي", "ريالان سعوديان", "ريالا", "ريالات سعودية", "ريالاً سعودياً")
HALALA = Noun("هللة", "هللتان", "هللتا", "هللات", "هللة", feminine=True, one_after="واحدة")
DOLLAR = Noun("دولار أمريكي", "دولاران أمريكيان", "دولارا", "دولارات أمريكية", "دولاراً أمريكياً")
EURO = Noun("يورو", "يوروان", "يوروا", "يوروات", "يورو")
CENT = Noun("سنت", "سنتان", "سنتا", "سنتات", "سنتاً")
CURRENCIES = {"SAR": (RIYAL, HALALA), "USD": (DOLLAR, CENT), "EUR": (EURO, CENT)}
LIMIT = 10**12


def _below_thousand(n: int, *, feminine: bool = False, construct: bool = False) -> str:
    """1..999 in words; `construct`: directly before the noun it counts (200 → مئتا)."""
    parts = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        parts.append("مئتا" if hundreds == 2 and construct and not rest else HUNDREDS[hundreds])
    if rest:
        units, tens = (UNITS_F, TEENS_F) if feminine else (UNITS_M, TEENS_M)
        if rest <= 10:
            parts.append(units[rest])
        elif rest < 13:
            parts.append(tens[rest - 11])
        elif rest < 20:
            parts.append(f"{units[rest - 10]} {'عشرة' if feminine else 'عشر'}")
        else:
            ten, unit = divmod(rest, 10)
            teens = ("إحدى" if feminine else "واحد") if unit == 1 else units[unit]
            parts.append(f"{teens} و{TENS[ten]}" if unit else TENS[ten])
    return " و".join(parts)


def _counted(n: int, noun: Noun, *, followed: bool) -> str:
    """`n` (≥ 1) of `noun`; `followed`: more words come after with و (ألفاً), else the noun ends the count."""
    if n == 1:
        return noun.singular if noun in SCALES else f"{noun.singular} {noun.one_after}"
    if n == 2:
        return noun.dual
    last_two = n % 100
    if 3 <= last_two <= 10:
        form = noun.plural
    elif last_two >= 11:
        form = noun.accusative if followed or noun not in SCALES else noun.singular
    else:
        form = noun.singular
    return f"{_below_thousand(n, feminine=noun.feminine, construct=True)} {form}"


def _whole(n: int, noun: Noun) -> str:
    """A whole number of `noun` (riyals), in words."""
    if n == 0:
        return f"صفر {noun.singular}"
    if n in (1, 2):
        return _counted(n, noun, followed=False)
    parts = []
    rest = n
    for power, scale in zip((10**9, 10**6, 10**3), SCALES, strict=True):
        count, rest = divmod(rest, power)
        if count == 2 and not rest:
            parts.append(scale.dual_construct)  # ألفا ريال
        elif count:
            parts.append(_counted(count, scale, followed=bool(rest)))
    if rest:
        last_two = rest % 100
        if 3 <= last_two <= 10:
            form = noun.plural
        elif last_two >= 11:
            form = noun.accusative
        else:
            form = noun.singular
        parts.append(_below_thousand(rest, feminine=noun.feminine, construct=True))
        return f"{' و'.join(parts)} {form}"
    return f"{' و'.join(parts)} {noun.singular}"


def _fraction(n: int, noun: Noun) -> str:
    """1..99 of the small unit (halalas), in words."""
    if n in (1, 2):
        return _counted(n, noun, followed=False)
    form = noun.plural if n <= 10 else noun.accusative
    return f"{_below_thousand(n, feminine=noun.feminine)} {form}"


def amount_in_words(amount: Decimal | int | str | None, currency: str = "SAR") -> str | None:
    """The amount in Arabic words with its currency and halalas ("... ريال سعودي وخمسون هللة"); None when it
    cannot be said (no amount, a negative one, a currency without words, a trillion or more)."""
    if amount is None or currency not in CURRENCIES:
        return None
    value = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value < 0 or value >= LIMIT:
        return None
    whole, cents = divmod(int(value * 100), 100)
    unit, small = CURRENCIES[currency]
    if whole == 0 and cents:
        return _fraction(cents, small)
    text = _whole(whole, unit)
    return f"{text} و{_fraction(cents, small)}" if cents else text
