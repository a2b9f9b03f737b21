"""sql.bulk_insert: every row written once, in order, as bound; a refused row refuses its statement."""

import pytest
import sqlalchemy as sa

from guarantees.legacy import sql
from guarantees.legacy.sql import bulk_insert

TABLE = (
    "CREATE TABLE bulk_t (id INTEGER PRIMARY KEY, kind VARCHAR(10) NOT NULL, note TEXT, "
    "CONSTRAINT ck_bulk_t_kind CHECK (kind IN ('a', 'b', 'c')))"
)


@pytest.fixture
def conn(database):
    engine = sa.create_engine(database)
    with engine.connect() as conn:
        conn.exec_driver_sql(TABLE)
        conn.commit()
        yield conn
        conn.rollback()
    engine.dispose()


@pytest.mark.parametrize("count", [1, 99, 100, 101, 250])
def test_every_row_is_written_once_in_order(conn, count, monkeypatch):
    monkeypatch.setattr(sql, "VALUES_ROWS", 100)
    rows = [(i, "abc"[i % 3], f"نص {i}" if i % 2 else None) for i in range(1, count + 1)]
    bulk_insert(conn, "bulk_t", ("id", "kind", "note"), rows)
    conn.commit()
    assert conn.exec_driver_sql("SELECT id, kind, note FROM bulk_t ORDER BY id").all() == rows


def test_wide_rows_stay_within_the_bound_values_sqlite_takes(conn, monkeypatch):
    monkeypatch.setattr(sql, "SQLITE_VARIABLES", 7)  # 3 columns: 2 rows per statement
    rows = [(i, "a", str(i)) for i in range(1, 8)]
    bulk_insert(conn, "bulk_t", ("id", "kind", "note"), rows)
    assert conn.exec_driver_sql("SELECT count(*), sum(id) FROM bulk_t").one() == (7, 28)


def test_a_row_the_database_refuses_fails_the_insert(conn):
    rows = [(1, "a", None), (2, "z", None), (3, "b", None)]
    with pytest.raises(sa.exc.IntegrityError):  # as SQLAlchemy raises it: callers tell a conflict apart by it
        bulk_insert(conn, "bulk_t", ("id", "kind", "note"), rows)
    conn.rollback()
    assert conn.exec_driver_sql("SELECT count(*) FROM bulk_t").scalar() == 0
