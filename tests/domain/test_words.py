"""Amounts in Arabic words (تفقيط), checked against amounts written out by hand."""

from decimal import Decimal

import pytest

from guarantees.domain.words import amount_in_words

BY_HAND = [
    ("1", "ريال سعودي واحد"),
    ("2", "ريالان سعوديان"),
    ("3", "ثلاثة ريالات سعودية"),
    ("10", "عشرة ريالات سعودية"),
    ("11", "أحد عشر ريالاً سعودياً"),
    ("12", "اثنا عشر ريالاً سعودياً"),
    ("21", "واحد وعشرون ريالاً سعودياً"),
    ("100", "مئة ريال سعودي"),
    ("200", "مئتا ريال سعودي"),
    ("1000", "ألف ريال سعودي"),
    ("2000", "ألفا ريال سعودي"),
    ("2500", "ألفان وخمسمئة ريال سعودي"),
    ("5000", "خمسة آلاف ريال سعودي"),
    ("11000", "أحد عشر ألف ريال سعودي"),
    ("25200", "خمسة وعشرون ألفاً ومئتا ريال سعودي"),
    ("200000", "مئتا ألف ريال سعودي"),
    ("1250000.50", "مليون ومئتان وخمسون ألف ريال سعودي وخمسون هللة"),
    ("3000000", "ثلاثة ملايين ريال سعودي"),
    ("1300000.25", "مليون وثلاثمئة ألف ريال سعودي وخمس وعشرون هللة"),
    ("750.01", "سبعمئة وخمسون ريالاً سعودياً وهللة واحدة"),
    ("15.02", "خمسة عشر ريالاً سعودياً وهللتان"),
    ("4.11", "أربعة ريالات سعودية وإحدى عشرة هللة"),
    ("0.05", "خمس هللات"),
    ("2000000000", "مليارا ريال سعودي"),
]


@pytest.mark.parametrize(("amount", "words"), BY_HAND)
def test_amounts_written_out_by_hand(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_other_currencies_and_what_cannot_be_said():
    assert amount_in_words(Decimal("3.50"), "USD") == "ثلاثة دولارات أمريكية وخمسون سنتاً"
    assert amount_in_words(None) is None
    assert amount_in_words(Decimal("-1")) is None
    assert amount_in_words(Decimal("1"), "JPY") is None
    assert amount_in_words(Decimal(10) ** 12) is None
