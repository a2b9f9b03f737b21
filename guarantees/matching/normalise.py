"""Name normalisation for matching raw supplier and bank names (Arabic and English) to the dictionaries."""

import re
import unicodedata
from functools import lru_cache

# Arabic letter variants that typists use interchangeably; each folds to its plainest form.
_LETTERS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",  # alef wasla
        "ة": "ه",
        "ى": "ي",
        "ؤ": "و",
        "ئ": "ي",
        "ی": "ي",  # Persian yeh, common from some keyboards
        "ک": "ك",  # Persian kaf
        "ـ": "",  # tatweel: stretches a word, never changes it
    }
)
# Arabic-Indic and extended (Persian) digits to ASCII, so '١٢٣' and '123' are the same name.
_DIGITS = str.maketrans(
    {**{chr(0x0660 + i): str(i) for i in range(10)}, **{chr(0x06F0 + i): str(i) for i in range(10)}}
)

# Harakat, Quranic marks and the superscript alef: pronunciation only, never spelling.
_DIACRITICS = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
# Zero-width and direction marks are invisible; they must vanish rather than split a word.
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
# Abbreviations written with dots ('G.T.C.', 'L.L.C', 'J.P.') keep their letters together.
_DOTTED = re.compile(r"\b(?:[^\W\d_]\.){2,}(?:[^\W\d_]\b)?")
# Apostrophes join ("INT'L" is one word); every other non-word character separates words.
_APOSTROPHES = re.compile(r"['\u2019\u2018`´]")
_SEPARATORS = re.compile(r"[\W_]+")

# Legal-form words only: they say what kind of company it is, not which one. Words that tell
# companies apart (trading, contracting, medical, group, holding, …) stay.
LEGAL_FORM_WORDS = frozenset(
    {
        # English (after case-folding and punctuation removal)
        "co",
        "company",
        "ltd",
        "limited",
        "llc",
        "wll",
        "est",
        "establishment",
        "corp",
        "corporation",
        "inc",
        "incorporated",
        "plc",
        "jsc",
        "cjsc",
        "pjsc",
        "bsc",
        "pvt",
        "gmbh",
        # Arabic (after letter folding: ة→ه, ؤ→و)
        "شركه",
        "الشركه",
        "موسسه",
        "الموسسه",
        "المحدوده",
        "محدوده",
        "ذمم",  # ذ.م.م, limited liability
    }
)
# Words that are a legal form only as a whole: 'ذات المسؤولية المحدودة' (limited liability company).
LEGAL_FORM_PHRASES = (("ذات", "المسووليه"),)
# A partnership's or company's 'and partners' / '& Co.' at the end of a name ('… وشركاه', '… & Partners'):
# the firm is the name before it. Arabic writes the 'and' (و) joined to the word or apart.
PARTNERS_WORDS = frozenset(
    {"partners", "partner", "شركاه", "شركاوه", "شركاوها", "شركاوهم", "شركاهم", "شريكه", "شريكها", "شركه"}
)
_AND = frozenset({"and", "و"})
# Leading words that never tell a company apart.
_LEADING_ARTICLES = frozenset({"the"})


def _fold(text: str) -> str:
    """Unicode compatibility forms, Arabic letter variants, diacritics, digits and Latin case folded."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = _DIACRITICS.sub("", text).translate(_LETTERS).translate(_DIGITS)
    if not text.isascii():
        # Latin accents ('Société', 'Nestlé') are spelling variants too; decomposing and dropping
        # the marks also leaves any Arabic hamza the table above did not name on its bare letter.
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return text.casefold()


def _words(text: str) -> list[str]:
    """The words of a folded text, punctuation and every kind of space acting as separators."""
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", "") + " ", text)
    text = _APOSTROPHES.sub("", text).replace("&", " and ")
    return [word for word in _SEPARATORS.split(text) if word]


@lru_cache(maxsize=65536)
def normalise_name(text: str | None) -> str:
    """A name as matching compares it: folded, without punctuation or legal-form words, single-spaced."""
    if not text:
        return ""
    words = _words(_fold(str(text)))
    kept = _without_partners([word for word in _without_phrases(words) if word not in LEGAL_FORM_WORDS])
    if kept and kept[0] in _LEADING_ARTICLES and len(kept) > 1:
        kept = kept[1:]
    # A name made only of legal-form words ('Company Ltd') would otherwise vanish; keep it as written.
    return " ".join(kept or words)


def _without_phrases(words: list[str]) -> list[str]:
    """The words without any legal-form phrase."""
    for phrase in LEGAL_FORM_PHRASES:
        size = len(phrase)
        index = 0
        while index <= len(words) - size:
            if tuple(words[index : index + size]) == phrase:
                words = words[:index] + words[index + size :]
            else:
                index += 1
    return words


def _without_partners(words: list[str]) -> list[str]:
    """The words without a closing 'and partners' / 'وشركاه' or an 'and' left dangling by a dropped legal form."""
    while len(words) > 1:
        last = words[-1]
        if last in _AND or (last.startswith("و") and last[1:] in PARTNERS_WORDS):
            words = words[:-1]
        elif last in PARTNERS_WORDS and words[-2] in _AND and len(words) > 2:
            words = words[:-2]
        else:
            break
    return words


def compact_key(text: str | None) -> str:
    """The normalised name without any spaces, so 'AL HADA' and 'ALHADA' or 'و تقنيه' and 'وتقنيه' meet."""
    return normalise_name(text).replace(" ", "")
