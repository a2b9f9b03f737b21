"""The rough transliteration that proposes a name written in the other script."""

import pytest

from guarantees.matching import normalise_name
from guarantees.matching.transliterate import is_arabic, skeleton


@pytest.mark.parametrize(
    ("latin", "arabic"),
    [
        ("ALMARSHD", "المرشد"),
        ("Al Hada", "الهدا"),
        ("ALHADA", "شركة الهدى"),
        ("Algosaibi", "القصيبي"),
        ("Sameer", "سمير"),
        ("Jameel", "جميل"),
        ("Rajhi", "الراجحي"),
        ("El-Khodari", "الخضري"),
    ],
)
def test_a_name_and_its_transliteration_share_a_skeleton(latin: str, arabic: str) -> None:
    assert skeleton(normalise_name(latin)) == skeleton(normalise_name(arabic))


def test_different_names_have_different_skeletons() -> None:
    assert skeleton(normalise_name("Sameer")) != skeleton(normalise_name("تموين"))


def test_script_detection() -> None:
    assert is_arabic("شركة X")
    assert not is_arabic("Saudi Bank 1")
