"""What a header cell means: its key and, for each field of the import, how well it names it.

Each header cell is reduced to a key (NFKC, case folded, punctuation dropped, Arabic letter
variants folded: أ إ آ -> ا, ة -> ه, ى -> ي, diacritics and tatweel removed) and scored
for every field:

* 100 when the key is one of the field's known headers (English and Arabic, misspellings);
* 80-90 when its words carry the field's concepts (e.g. a "guarantee" word, misspelt or
  not, plus a "number" word), minus 10 for each word the importer does not know;
* 0 when a word marks a derived column (status, days, today, owner, renewal, release,
  serial number ...) or the words fit another field better (a "bank guarantee number" is
  not a bank name; "date" alone or "today" is no expiry date).
"""

from __future__ import annotations

import re
from functools import lru_cache

from flask_babel import lazy_gettext as _l

from guarantees.domain.text import clean_text
from guarantees.importer.values import strip_invisible

__all__ = ["FIELDS", "FIELD_WORDS", "MIN_SCORE", "TEMPLATE_HEADERS", "fold_header", "header_key", "score_header"]

FIELDS = (
    "guarantee_number",
    "supplier",
    "bank",
    "amount",
    "currency",
    "issue_date",
    "expiry_date",
    "contract_number",
    "po_number",
    "type",
    "comment",
)

# What the import's messages call each field (lower case: the error reads "amount: 'abc' is not a number").
FIELD_WORDS = {
    "guarantee_number": _l("guarantee number"),
    "supplier": _l("supplier"),
    "bank": _l("bank"),
    "amount": _l("amount"),
    "currency": _l("currency"),
    "issue_date": _l("issue date"),
    "expiry_date": _l("expiry date"),
    "contract_number": _l("contract number"),
    "po_number": _l("PO number"),
    "type": _l("type"),
    "comment": _l("comment"),
}
MIN_SCORE = 30
_MAX_HEADER_LENGTH = 80  # a longer cell is a title or a note, not a column header


# ----------------------------------------------------------------------------- header keys

_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي"})
_ARABIC_MARKS = re.compile("[\u0640\u064b-\u065f\u0670]")
_LETTER_SLASH = re.compile(r"(?<![^\W_])(\w)/(?=\w(?![^\W_]))")  # L/G -> LG, S/N -> SN
_PUNCT = re.compile(r"[\W_]+")


def fold_header(text: object) -> str:
    """Header text folded for comparison: spaces of every kind (NBSP too) folded and trimmed, case folded."""
    return (clean_text(strip_invisible(str(text))) or "").casefold()


@lru_cache(maxsize=4096)
def header_key(text: str) -> str:
    """The header's words, folded: Arabic letter variants, punctuation and L/G-style abbreviations unified."""
    folded = fold_header(text)
    folded = _ARABIC_MARKS.sub("", folded).translate(_ARABIC_FOLD)
    folded = folded.replace("#", " no ").replace(".", "").replace("'", "").replace("’", "")
    folded = _LETTER_SLASH.sub(r"\1", folded)
    return " ".join(_PUNCT.sub(" ", folded).split())


# ----------------------------------------------------------------------------- concepts

GUAR, NUM, BANK, NAME, SUPPLIER, AMOUNT, CURRENCY = ["GUAR", "NUM", "BANK", "NAME", "SUPPLIER", "AMOUNT", "CURRENCY"]
DATE, ISSUE, EXPIRY, VALID, UNTIL, CONTRACT, PO = ["DATE", "ISSUE", "EXPIRY", "VALID", "UNTIL", "CONTRACT", "PO"]
PURCHASE, ORDER, TYPE, COMMENT, DERIVED, NEUTRAL = ["PURCHASE", "ORDER", "TYPE", "COMMENT", "DERIVED", "NEUTRAL"]

_CONCEPT_WORDS = {
    GUAR: "guarantee guarantees guaranty guarantie bg bgs lg lgs ضمان ضمانات",
    NUM: "number numbers no nos num nbr nr ref reference رقم",
    BANK: "bank banks بنك بنوك مصرف",
    NAME: "name names اسم",
    SUPPLIER: "supplier suppliers contractor contractors vendor vendors applicant company firm مورد موردين مقاول شركه"
    " متعهد",
    AMOUNT: "amount amounts amt value مبلغ قيمه",
    CURRENCY: "currency curr ccy cur عمله",
    DATE: "date dates dt dated تاريخ",
    ISSUE: "issue issued issuance issuing start اصدار بدايه",
    EXPIRY: "expiry expiration expire expires expiring exp validity maturity end انتهاء صلاحيه",
    VALID: "valid",
    UNTIL: "until till upto حتي",
    CONTRACT: "contract contracts agreement عقد عقود",
    PO: "po pos lpo",
    PURCHASE: "purchase purchasing شراء مشتريات",
    ORDER: "order orders امر",
    TYPE: "type types kind category نوع",
    COMMENT: "comment comments remark remarks note notes observation ملاحظات ملاحظه تعليق تعليقات",
    DERIVED: "status state days day today owner renewal renew renewed release released unrelease un sn serial"
    " remaining reminder words old previous responsible حاله الحاله ايام يوم مسؤول موظف افراج تمديد",
    NEUTRAL: "of the in for on by letter sar sr riyal riyals خطاب ب في",
}
_CONCEPTS: dict[str, str] = {word: concept for concept, words in _CONCEPT_WORDS.items() for word in words.split()}
# Words a misspelling is matched against (first letter equal, at most this many edits).
_FUZZY = {
    "guarantee": 2,
    "guaranty": 1,
    "supplier": 2,
    "contractor": 2,
    "expiry": 1,
    "expiration": 2,
    "validity": 2,
    "amount": 1,
    "currency": 2,
    "comment": 1,
    "remarks": 1,
    "number": 1,
    "purchase": 2,
}
_ARTICLES = ("وال", "بال", "كال", "فال", "لل", "ال")

_EXACT_HEADERS = {
    "guarantee_number": [
        "BANK GUARANTEE NUMBER",
        "BANK GURANTEE NUMBER",
        "BANK GUARANTEE NO",
        "BANK GUARANTEE NO.",
        "GUARANTEE NUMBER",
        "GUARANTEE NO",
        "GUARANTEE NO.",
        "BG NO",
        "BG NO.",
        "BG NUMBER",
        "BG #",
        "LG NO",
        "LG NO.",
        "LG NUMBER",
        "L/G NO",
        "LETTER OF GUARANTEE NUMBER",
        "LETTER OF GUARANTEE NO",
        "BG",
        "LG",
        "رقم الضمان",
        "رقم خطاب الضمان",
        "رقم الضمان البنكي",
        "رقم خطاب الضمان البنكي",
    ],
    "supplier": [
        "SUPPLIER",
        "SUPPLIER NAME",
        "CONTRACTOR",
        "CONTRACTOR NAME",
        "VENDOR",
        "VENDOR NAME",
        "APPLICANT",
        "COMPANY NAME",
        "اسم المورد",
        "المورد",
        "المقاول",
        "اسم المقاول",
        "اسم الشركة",
        "الشركة",
    ],
    "bank": ["BANK", "BANK NAME", "ISSUING BANK", "البنك", "اسم البنك", "البنك المصدر"],
    "amount": [
        "AMOUNT",
        "BG AMOUNT",
        "LG AMOUNT",
        "GUARANTEE AMOUNT",
        "BANK GUARANTEE AMOUNT",
        "GUARANTEE VALUE",
        "VALUE",
        "المبلغ",
        "مبلغ الضمان",
        "قيمة الضمان",
        "القيمة",
    ],
    "currency": ["CURRENCY", "CCY", "CUR", "العملة"],
    "issue_date": ["ISSUE DATE", "DATE OF ISSUE", "ISSUANCE DATE", "BG ISSUE DATE", "تاريخ الإصدار", "تاريخ الاصدار"],
    "expiry_date": [
        "EXPIRY DATE",
        "EXPIRY",
        "EXPIRATION DATE",
        "VALIDITY DATE",
        "VALIDITY",
        "VALID UNTIL",
        "BG EXPIRY DATE",
        "LG EXPIRY DATE",
        "تاريخ الانتهاء",
        "تاريخ انتهاء الضمان",
        "تاريخ الصلاحية",
    ],
    "contract_number": ["CONTRACT NO", "CONTRACT NO.", "CONTRACT NUMBER", "CONTRACT", "رقم العقد", "العقد"],
    "po_number": [
        "PO NO",
        "PO NO.",
        "PO NUMBER",
        "PO",
        "P.O",
        "P.O.",
        "P.O NO",
        "P.O. NO.",
        "PURCHASE ORDER",
        "PURCHASE ORDER NO",
        "PURCHASE ORDER NUMBER",
        "أمر الشراء",
        "رقم أمر الشراء",
    ],
    "type": ["TYPE", "BG TYPE", "LG TYPE", "GUARANTEE TYPE", "TYPE OF GUARANTEE", "النوع", "نوع الضمان"],
    "comment": ["COMMENT", "COMMENTS", "REMARK", "REMARKS", "NOTE", "NOTES", "ملاحظات", "الملاحظات", "ملاحظة", "تعليق"],
}
# The headers of the import template (template.py): English and Arabic in one cell.
TEMPLATE_HEADERS = {
    "guarantee_number": "BANK GUARANTEE NUMBER / رقم الضمان",
    "supplier": "SUPPLIER / المورد",
    "bank": "BANK NAME / اسم البنك",
    "amount": "AMOUNT / المبلغ",
    "currency": "CURRENCY / العملة",
    "issue_date": "ISSUE DATE / تاريخ الإصدار",
    "expiry_date": "EXPIRY DATE / تاريخ الانتهاء",
    "contract_number": "CONTRACT NO. / رقم العقد",
    "po_number": "PO NO. / رقم أمر الشراء",
    "type": "TYPE / النوع",
    "comment": "COMMENT / ملاحظات",
}
_EXACT: dict[str, str] = {header_key(text): name for name, texts in _EXACT_HEADERS.items() for text in texts}
_EXACT.update({header_key(text): name for name, text in TEMPLATE_HEADERS.items()})
assert set(_EXACT.values()) == set(FIELDS)


def _distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, giving up (limit + 1) once it exceeds limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


@lru_cache(maxsize=4096)
def _concept(word: str) -> str | None:
    if word in _CONCEPTS:
        return _CONCEPTS[word]
    for article in _ARTICLES:
        if word.startswith(article) and len(word) > len(article) + 1 and word[len(article) :] in _CONCEPTS:
            return _CONCEPTS[word[len(article) :]]
    if len(word) >= 5 and word.isascii():
        for known, limit in _FUZZY.items():
            if word[0] == known[0] and _distance(word, known, limit) <= limit:
                return _CONCEPTS[known]
    return None


def _has(concepts: set[str], *wanted: str) -> bool:
    return any(c in concepts for c in wanted)


def _rule_scores(concepts: set[str]) -> dict[str, int]:
    c = concepts
    scores: dict[str, int] = {}
    if DERIVED in c:
        return scores
    if GUAR in c and NUM in c and not _has(c, AMOUNT, DATE, TYPE, CURRENCY, SUPPLIER, NAME, CONTRACT, PO, PURCHASE):
        scores["guarantee_number"] = 90
    elif GUAR in c and c <= {GUAR, BANK, NEUTRAL}:
        scores["guarantee_number"] = 50
    if SUPPLIER in c and not _has(c, BANK, AMOUNT, DATE, NUM, CURRENCY, TYPE, CONTRACT, PO):
        scores["supplier"] = 85
    if BANK in c and not _has(c, GUAR, NUM, AMOUNT, DATE, SUPPLIER, TYPE, CURRENCY, CONTRACT, PO, COMMENT):
        scores["bank"] = 85
    if AMOUNT in c and not _has(c, DATE, NUM, TYPE, CURRENCY, NAME, SUPPLIER):
        scores["amount"] = 85
    if CURRENCY in c and not _has(c, DATE, NUM, NAME):
        scores["currency"] = 85
    if ISSUE in c and DATE in c and not _has(c, EXPIRY, VALID, UNTIL, NUM, BANK):
        scores["issue_date"] = 85
    if (EXPIRY in c or UNTIL in c or (VALID in c and DATE in c)) and not _has(c, ISSUE, NUM, AMOUNT, NAME):
        scores["expiry_date"] = 85
    if CONTRACT in c and not _has(c, SUPPLIER, AMOUNT, DATE, NAME, TYPE, PO, PURCHASE):
        scores["contract_number"] = 85
    if (PO in c or (PURCHASE in c and ORDER in c)) and not _has(c, AMOUNT, DATE, NAME, CONTRACT):
        scores["po_number"] = 85
    if TYPE in c and not _has(c, NUM, AMOUNT, DATE, NAME, SUPPLIER, CURRENCY):
        scores["type"] = 80
    if COMMENT in c:
        scores["comment"] = 80
    return scores


@lru_cache(maxsize=4096)
def score_header(text: str) -> dict[str, int]:
    """Scores (MIN_SCORE..100) of the fields this header text may hold; empty when none."""
    key = header_key(text)
    if not key or len(key) > _MAX_HEADER_LENGTH:
        return {}
    if key in _EXACT:
        return {_EXACT[key]: 100}
    concepts: set[str] = set()
    unknown = 0
    for word in key.split():
        concept = _concept(word)
        if concept is None:
            unknown += 1
        else:
            concepts.add(concept)
    return {
        name: score - 10 * unknown
        for name, score in _rule_scores(concepts).items()
        if score - 10 * unknown >= MIN_SCORE
    }
