"""Expiry defined once: a guarantee covers through its expiry day; the SQL form agrees with the Python one."""

from datetime import date

import pytest

from guarantees.domain import expiry

TODAY = date(2026, 12, 7)


@pytest.mark.parametrize(
    ("status", "expiry_date", "state"),
    [
        ("active", date(2026, 12, 7), "active"),  # the expiry day itself is still covered
        ("active", date(2026, 12, 6), "expired"),
        ("active", None, "active"),
        ("released", date(2020, 1, 1), "released"),
        ("released", date(2030, 1, 1), "released"),
    ],
)
def test_state(status, expiry_date, state):
    assert expiry.state(status, expiry_date, TODAY) == state


def test_days_left():
    assert expiry.days_left(date(2026, 12, 14), TODAY) == 7
    assert expiry.days_left(date(2026, 12, 7), TODAY) == 0
    assert expiry.days_left(date(2026, 12, 1), TODAY) == -6
    assert expiry.days_left(None, TODAY) is None


@pytest.mark.parametrize(
    ("days", "reached"), [(91, None), (90, 90), (61, 90), (60, 60), (8, 30), (7, 7), (0, 7), (-1, None), (None, None)]
)
def test_threshold_is_the_smallest_reached(days, reached):
    assert expiry.threshold(days) == reached


def test_thresholds_are_parsed_distinct_and_most_distant_first():
    assert expiry.parse_thresholds("30, 90 7,60,30") == (90, 60, 30, 7)
    for bad in ("", "0", "3651", "ten", "-5", "7.5"):
        with pytest.raises(ValueError):
            expiry.parse_thresholds(bad)


@pytest.mark.parametrize(
    ("state", "days", "level"),
    [
        ("expired", -3, "expired"),
        ("active", 0, "urgent"),
        ("active", 7, "urgent"),
        ("active", 8, "soon"),
        ("active", 90, "soon"),
        ("active", 91, ""),
        ("active", None, ""),
        ("released", 3, ""),
    ],
)
def test_urgency_follows_the_thresholds(state, days, level):
    assert expiry.urgency(state, days) == level
    assert expiry.urgency("active", 20, (30, 15)) == "soon"
    assert expiry.urgency("active", 20, ()) == ""
