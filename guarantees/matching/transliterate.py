"""A rough Latin consonant skeleton of a normalised name, Arabic or English, so that a name written in one
script can be proposed for a dictionary entry written in the other ('ALMARSHD' / 'المرشد').

Only a proposal: transliteration is too loose (vowels are dropped, letters that sound alike are merged) to
decide a match on its own.
"""

from __future__ import annotations

import re

# Arabic letters (after normalise_name's folding) to the Latin consonant they are usually written with;
# long vowels and the glottal letters (ا و ي ع ء) carry no consonant of their own.
_ARABIC = str.maketrans(
    {
        "ب": "b",
        "ت": "t",
        "ث": "t",
        "ج": "j",
        "ح": "h",
        "خ": "k",
        "د": "d",
        "ذ": "d",
        "ر": "r",
        "ز": "z",
        "س": "s",
        "ش": "s",
        "ص": "s",
        "ض": "d",
        "ط": "t",
        "ظ": "z",
        "غ": "k",
        "ف": "f",
        "ق": "k",
        "ك": "k",
        "ل": "l",
        "م": "m",
        "ن": "n",
        "ه": "h",
        "ا": "",
        "و": "",
        "ي": "",
        "ع": "",
        "ء": "",
    }
)
# English spellings of one Arabic sound, and letters English uses for the same consonant.
# g and k are merged: Gulf speech writes ق as g ('Algosaibi' / 'القصيبي').
_DIGRAPHS = re.compile(r"sh|th|dh|kh|gh|ph|ch|ck|[qcxg]|[aeiouwy]")
_LATIN = {
    "sh": "s",
    "th": "t",
    "dh": "d",
    "kh": "k",
    "gh": "k",
    "ph": "f",
    "ch": "s",
    "ck": "k",
    "q": "k",
    "c": "k",
    "x": "ks",
    "g": "k",
}
# The definite article, written joined or apart ('الهدا', 'Al Hada', 'ALHADA', 'El-Khodari').
_ARABIC_ARTICLE = re.compile(r"^(?:ال|لل)(?=..)")
_LATIN_ARTICLE = re.compile(r"^(?:al|el)(?=...)")
_ARTICLES = frozenset({"al", "el"})
_ARABIC_LETTERS = re.compile(r"[\u0600-\u06ff]")
_DOUBLED = re.compile(r"(.)\1+")


def is_arabic(text: str) -> bool:
    """True when the text has any Arabic letter."""
    return bool(_ARABIC_LETTERS.search(text))


def skeleton(name: str) -> str:
    """The consonants of a normalised name as Latin letters, one word after another without spaces."""
    words = []
    for word in name.split():
        if is_arabic(word):
            word = _ARABIC_ARTICLE.sub("", word)
            # A closing ه is almost always a folded taa marbuta ('ة'), a vowel in speech.
            word = (word[:-1] if word.endswith("ه") and len(word) > 2 else word).translate(_ARABIC)
        elif word not in _ARTICLES:
            word = _DIGRAPHS.sub(lambda m: _LATIN.get(m.group(0), ""), _LATIN_ARTICLE.sub("", word))
        else:
            continue
        words.append(word)
    return _DOUBLED.sub(r"\1", "".join(words))
