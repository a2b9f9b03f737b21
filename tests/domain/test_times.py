"""Legacy timestamps: one reading for the migration and the history, every instant naive UTC."""

from datetime import date, datetime

import pytest

from guarantees.domain.times import legacy_day, parse_legacy_time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-12-19 10:05:00", datetime(2025, 12, 19, 10, 5)),
        ("2025-12-19T10:05:00", datetime(2025, 12, 19, 10, 5)),
        ("2025-12-19T10:05:00+03:00", datetime(2025, 12, 19, 7, 5)),  # PHP's date('c')
        ("2025-12-19T01:00:00+03:00", datetime(2025, 12, 18, 22, 0)),
        ("2025-12-19T10:05:00Z", datetime(2025, 12, 19, 10, 5)),
        ("2025-12-19 10:05:00.250000", datetime(2025, 12, 19, 10, 5, 0, 250000)),
        ("2025-12-19T10:05:00.5-02:30", datetime(2025, 12, 19, 12, 35, 0, 500000)),
        ("2025-12-19", datetime(2025, 12, 19)),
        (" 2025-12-19 ", datetime(2025, 12, 19)),
        ("19/12/2025", datetime(2025, 12, 19)),
        ("2025/12/19 08:30", datetime(2025, 12, 19, 8, 30)),
        ("", None),
        (None, None),
        ("yesterday", None),
        ("2025-02-30", None),
        ("31/02/2025", None),
    ],
)
def test_legacy_times_are_read_as_naive_utc(text, expected):
    value = parse_legacy_time(text)
    assert value == expected
    assert value is None or value.tzinfo is None


def test_times_with_and_without_offsets_compare_and_sort():
    texts = ["2025-12-19T10:05:00+03:00", "2025-12-19 08:00:00", "2025-12-19", "2025-12-19T06:00:00Z"]
    ordered = sorted(texts, key=parse_legacy_time)
    assert ordered == ["2025-12-19", "2025-12-19T06:00:00Z", "2025-12-19T10:05:00+03:00", "2025-12-19 08:00:00"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-12 08:00:00", date(2025, 1, 12)),
        ("2025-01-12", date(2025, 1, 12)),
        ("2025-12-19T01:00:00+03:00", date(2025, 12, 18)),  # SQLite's date() gives the UTC day
        ("2025-02-30 08:00:00", None),
        ("12/01/2025", None),  # date() reads no day-first form
        ("yesterday", None),
        (None, None),
    ],
)
def test_a_sessions_day_is_the_day_sqlite_reads(text, expected):
    assert legacy_day(text) == expected
