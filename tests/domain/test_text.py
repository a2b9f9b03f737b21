"""Guarantee numbers: the Python normaliser and its SQL twin agree, on every space and on real numbers."""

import sqlite3
import sys

import pytest
import sqlalchemy as sa

from guarantees.domain.text import SPACES, clean_text, normalise_number, normalised_number_sql
from tests.conftest import shared_fixture


def test_spaces_hold_every_character_python_calls_a_space():
    assert {chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()} <= set(SPACES)
    assert len(set(SPACES)) == len(SPACES)


@pytest.mark.parametrize("space", SPACES, ids=lambda c: f"U+{ord(c):04X}")
def test_each_space_is_removed_from_a_number_and_folded_in_text(space):
    assert normalise_number(f"{space}jlg{space}69 00{space}") == "JLG6900"
    assert clean_text(f"{space}Riyad{space}{space}Bank{space}") == "Riyad Bank"


def _sql_normalise(database, values: list[str]) -> list[str]:
    engine = sa.create_engine(database)
    try:
        with engine.connect() as connection:
            table = sa.table("numbers", sa.column("position", sa.Integer), sa.column("number", sa.Text))
            connection.execute(sa.text("CREATE TEMPORARY TABLE numbers (position INTEGER, number TEXT)"))
            connection.execute(table.insert(), [{"position": i, "number": v} for i, v in enumerate(values)])
            query = sa.select(normalised_number_sql(table.c.number)).order_by(table.c.position)
            return list(connection.scalars(query))
    finally:
        engine.dispose()


def _spellings() -> list[str]:
    spellings = [f"{space}ab{space}12{space}c" for space in SPACES]
    return [*spellings, SPACES + "x-1/2" + SPACES, "jlg6900350 ", "ABC 200", "  "]


def test_sql_twin_agrees_with_python_on_every_space(database):
    values = _spellings()
    assert _sql_normalise(database, values) == [normalise_number(v) for v in values]


def test_sql_twin_agrees_with_python_on_the_real_legacy_numbers(database):
    path = shared_fixture("legacy", "bgl-2025-12-17.sqlite")
    with sqlite3.connect(path) as legacy:
        numbers = [row[0] for row in legacy.execute("SELECT guarantee_number FROM imported_records") if row[0]]
    assert len(numbers) > 1000
    assert _sql_normalise(database, numbers) == [normalise_number(n) for n in numbers]
