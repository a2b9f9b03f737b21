"""The standard list of guarantee types, and the one mapping of a type as written (a cell, a legacy row) to it.

A guarantee keeps the type text it arrived with (`guarantees.type`) and its standard code (`type_code`), which is
always `type_code(type)`: a type chosen from the list is stored as that code's standard text, so the two never
disagree. Text the list does not know maps to `other` and is shown beside the label.

The key a text is looked up by is made with steps SQL can repeat (ASCII lower case, fixed replacements, trim):
migration 0019 fills `type_code` with the same steps and the same aliases in SQL, and a test holds its literal
copy equal to this one and its SQL's answers equal to `type_code()` on both databases.
"""

from flask_babel import lazy_gettext as _l

BID, PERFORMANCE, ADVANCE_PAYMENT, RETENTION, OTHER = "bid", "performance", "advance_payment", "retention", "other"
TYPE_CODES = (BID, PERFORMANCE, ADVANCE_PAYMENT, RETENTION, OTHER)

TYPE_LABELS = {
    BID: _l("Bid (initial)"),
    PERFORMANCE: _l("Performance (final)"),
    ADVANCE_PAYMENT: _l("Advance payment"),
    RETENTION: _l("Retention"),
    OTHER: _l("Other"),
}

# The text a type chosen from the list is stored as (upper case, as the legacy system and the workbooks write it).
STANDARD_TEXT = {BID: "BID", PERFORMANCE: "FINAL", ADVANCE_PAYMENT: "ADVANCE PAYMENT", RETENTION: "RETENTION"}

# How a text becomes its lookup key, in order: ASCII letters lowered, then each replacement, then spaces trimmed.
# (Arabic letter forms folded the way people type them: أ إ آ → ا, ى → ي, ة → ه, the tatweel dropped.)
KEY_REPLACEMENTS = (
    ("\u00a0", " "), ("\t", " "), ("\n", " "), ("\r", " "), ("-", " "), ("_", " "), (".", " "), ("/", " "),
    ("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ى", "ي"), ("ة", "ه"), ("ـ", ""),
    ("  ", " "), ("  ", " "), ("  ", " "), ("  ", " "),
)  # fmt: skip

# Every spelling seen in the real workbooks and legacy rows (FINAL, Final, ADVANCED), and the usual others in
# both languages, as keys.
ALIASES = {
    BID: (
        "bid", "bid bond", "bid guarantee", "bid bond guarantee", "tender", "tender bond", "tender guarantee",
        "initial", "initial guarantee", "preliminary", "provisional", "ابتدائي", "ضمان ابتدائي", "ابتدايي",
        "مبدئي", "ضمان مبدئي", "دخول عطاء", "ضمان دخول عطاء",
    ),
    PERFORMANCE: (
        "final", "final guarantee", "performance", "performance bond", "performance guarantee", "good performance",
        "final performance", "نهائي", "ضمان نهائي", "نهايي", "حسن التنفيذ", "حسن تنفيذ", "ضمان حسن التنفيذ",
        "ضمان حسن تنفيذ", "نهائي حسن التنفيذ", "حسن الاداء", "ضمان حسن الاداء",
    ),
    ADVANCE_PAYMENT: (
        "advance", "advanced", "advance payment", "advanced payment", "advance payment guarantee",
        "advance payment bond", "down payment", "دفعه مقدمه", "ضمان دفعه مقدمه", "الدفعه المقدمه",
        "ضمان الدفعه المقدمه", "دفعه مقدما", "مقدم", "دفعات مقدمه",
    ),
    RETENTION: (
        "retention", "retention money", "retention bond", "retention guarantee", "محتجزات", "المحتجزات",
        "ضمان محتجزات", "ضمان المحتجزات", "محتجز",
    ),
}  # fmt: skip
CODE_OF_KEY = {key: code for code, keys in ALIASES.items() for key in keys}

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def type_key(text: str) -> str:
    """The lookup key of a type as written: 'Advance-Payment ' → 'advance payment', 'نهائى' → 'نهايي'."""
    key = text.translate(_ASCII_LOWER)
    for old, new in KEY_REPLACEMENTS:
        key = key.replace(old, new)
    return key.strip(" ")


def type_code(text: str | None) -> str:
    """The standard code of a type as written; `other` for none, and for text the list does not know."""
    if text is None:
        return OTHER
    return CODE_OF_KEY.get(type_key(text), OTHER)


def chosen_type(value: str | None, current: str | None) -> str | None:
    """The type text to store when a user gives `value`: a code chosen from the list keeps the current text if it
    already means that code and is otherwise stored as the code's standard text (none for `other`); any other
    text is kept as typed."""
    if value not in TYPE_CODES:
        return value
    if current is not None and type_code(current) == value:
        return current
    return STANDARD_TEXT.get(value)


def type_label(code: str | None) -> str:
    """The translated label of a code (the code itself when it is not one of the list)."""
    found = TYPE_LABELS.get(code) if code else None
    return str(found) if found is not None else (code or "")


def original_text(code: str | None, text: str | None) -> str | None:
    """The original text a page shows beside the label: only for `other`, when there is one."""
    return text if code == OTHER and text else None
