"""The fold of a partition takes each number's rows by (created_at, id), a row without created_at first."""

from guarantees.legacy.partition import _in_order


def _row(legacy_id: int, created_at: str | None) -> tuple:
    return ("G-1", legacy_id, created_at)


def test_rows_are_folded_by_created_at_then_id():
    rows = [_row(4, "2025-02-01 08:00:00"), _row(2, "2025-01-01 08:00:00"), _row(1, "2025-02-01 08:00:00")]
    _in_order(rows)
    assert [row[1] for row in rows] == [2, 1, 4]


def test_a_row_without_created_at_comes_first_among_dated_ones():
    rows = [_row(3, "2025-01-01 08:00:00"), _row(7, None), _row(1, "2024-12-31 08:00:00"), _row(5, None)]
    _in_order(rows)
    assert [row[1] for row in rows] == [5, 7, 1, 3]


def test_rows_all_without_created_at_come_by_id():
    rows = [_row(9, None), _row(2, None), _row(6, None)]
    _in_order(rows)
    assert [row[1] for row in rows] == [2, 6, 9]
