"""What a legacy row is and what its cells mean (no database)."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from guarantees.domain.times import legacy_day as sqlite_date
from guarantees.domain.times import parse_legacy_time as parse_timestamp
from guarantees.legacy.rows import (
    ACTION,
    IMPORT,
    action_day,
    batch_key,
    classify,
    parse_amount,
    parse_day,
)


@pytest.mark.parametrize(
    ("record_type", "number", "expected"),
    [
        (None, "jlg6900350 ", (IMPORT, "JLG6900350", None)),
        ("import", "ABC 200", (IMPORT, "ABC200", None)),
        ("modification", "x\u00a0y", (IMPORT, "XY", None)),
        ("release_action", "G1", (ACTION, "G1", None)),
        ("extension_action", "G1", (ACTION, "G1", None)),
        ("renewal_request", "G1", (None, "G1", "record type 'renewal_request' has no counterpart in the new model")),
        ("import", None, (None, "", "no guarantee number")),
        ("import", " \u00a0\t", (None, "", "no guarantee number")),
        ("import", "9" * 101, (None, "9" * 101, "guarantee number longer than 100 characters")),
    ],
)
def test_classify(record_type, number, expected):
    assert classify(record_type, number) == expected


def test_batch_key_follows_the_session():
    assert batch_key("excel", 7, "2025-01-10 09:00:00") == "excel_import|7"
    assert batch_key("list.xlsx", 8, None) == "excel_import|8"
    assert batch_key("daily_actions", 9, None) == "excel_import|9"
    assert batch_key(None, None, None) == "excel_import|"
    assert batch_key("manual", 3, "2025-01-12 08:00:00") == "manual_batch|2025-01-12"
    assert batch_key("smart_paste", 5, "2025-01-12T16:00") == "text_paste|2025-01-12"
    assert batch_key("paste", 6, "12/01/2025") == "text_paste|"


def test_days_and_timestamps():
    assert sqlite_date("2025-01-12 08:00:00") == date(2025, 1, 12)
    assert sqlite_date("2025-01-12") == date(2025, 1, 12)
    assert sqlite_date("2025-02-30 08:00:00") is None
    assert sqlite_date("yesterday") is None
    assert action_day(None) == "" and action_day("2025-01-14 10:00:00") == "2025-01-14"
    assert parse_timestamp("2025-01-14 10:00:00") == datetime(2025, 1, 14, 10, 0)
    assert parse_timestamp("2025-01-14T10:00:00+03:00") == datetime(2025, 1, 14, 7, 0)
    assert parse_timestamp("14/01/2025") == datetime(2025, 1, 14)
    assert parse_timestamp("") is None and parse_timestamp(None) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, (False, None)),
        ("  ", (False, None)),
        ("1,234.50", (True, Decimal("1234.50"))),
        ("25200", (True, Decimal("25200.00"))),
        (" 7.005 ", (True, Decimal("7.00"))),
        ("abc", (True, None)),
        ("-5", (True, None)),
        ("NaN", (True, None)),
    ],
)
def test_amounts_are_exact_decimals(text, expected):
    assert parse_amount(text) == expected


def test_dates_read_iso_first_then_day_first():
    assert parse_day("2025-06-01") == (True, date(2025, 6, 1))
    assert parse_day("2025-06-01 00:00:00") == (True, date(2025, 6, 1))
    assert parse_day("01/06/2025") == (True, date(2025, 6, 1))
    assert parse_day("not a date") == (True, None)
    assert parse_day("") == (False, None)


def test_an_items_changes_are_the_json_of_old_and_new_as_displayed():
    """The fold writes the changes' JSON text itself: it must be the text to_json gives for {name: [old, new]}."""
    import json

    from guarantees.legacy.plan import _changes, _created
    from guarantees.legacy.rows import display
    from guarantees.legacy.sql import to_json

    state = {
        "raw_supplier_name": 'شركة "الخليج"\\ \t\n\u2028', "amount": Decimal("1234.50"),
        "expiry_date": date(2025, 6, 1), "supplier_id": 7, "comment": None, "type": "FINAL",
    }  # fmt: skip
    values = {
        "raw_supplier_name": "Lana\u00a0Medical", "amount": Decimal("99.00"), "expiry_date": date(2026, 1, 31),
        "supplier_id": 8, "comment": "للتمديد", "type": "FINAL", "bank_id": 3, "issue_date": None,
    }  # fmt: skip
    changed = {name: [display(state.get(name)), display(v)] for name, v in values.items() if state.get(name) != v}
    assert _changes(state, values) == to_json(changed)
    assert json.loads(_changes(state, values)) == changed
    assert _changes(values, values) is None
    created = {name: [None, display(v)] for name, v in values.items() if v is not None}
    assert _created(values) == to_json(created) and _created({}) == "{}"
