"""Row ids: the range, and the pattern that matches exactly the ids in it (what URL rules use)."""

import random
import re

import pytest

from guarantees.domain.ids import ID_PATTERN, MAX_ID, digits_upto, is_id


@pytest.mark.parametrize("highest", [*range(1, 120), 999, 1000, 1001, 4095, 20250])
def test_the_pattern_matches_exactly_one_to_the_highest(highest):
    pattern = re.compile(digits_upto(highest))
    for value in range(highest * 2 + 20):
        assert bool(pattern.fullmatch(str(value))) == (1 <= value <= highest), (highest, value)


def test_the_id_pattern_is_the_id_range():
    pattern = re.compile(ID_PATTERN)
    rng = random.Random(19)
    samples = [MAX_ID + d for d in range(-2000, 2000)] + [rng.randrange(2**40) for _ in range(20000)]
    samples += [10**k + d for k in range(12) for d in (-1, 0, 1)] + [2**31, 2**63, 2**64]
    for value in samples:
        assert bool(pattern.fullmatch(str(value))) == is_id(value), value


@pytest.mark.parametrize("text", ["", "0", "00", "01", "-1", "+1", "1.0", "1e3", "١٢", "１", " 1", "1 "])
def test_the_id_pattern_takes_only_plain_decimal_digits(text):
    assert not re.fullmatch(ID_PATTERN, text)
