"""deferred.insert_triggers_aside: a copy trigger set aside during a bulk write, its statement run once at the end."""

import pytest
import sqlalchemy as sa

from guarantees.legacy.deferred import insert_triggers_aside

COPY = "CREATE TRIGGER t_copy AFTER INSERT ON t BEGIN INSERT INTO c (rowid, body) VALUES (NEW.id, upper(NEW.a) || '|' || coalesce(NEW.b, '')); END"  # noqa: E501
GUARD = "CREATE TRIGGER t_guard AFTER INSERT ON t WHEN NEW.a = 'bad' BEGIN SELECT RAISE(ABORT, 'bad row'); END"


@pytest.fixture
def conn(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'd.sqlite'}")
    with engine.connect() as conn:
        for sql in (
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT)",
            "CREATE TABLE c (body TEXT)",
            COPY,
            GUARD,
        ):
            conn.exec_driver_sql(sql)
        conn.exec_driver_sql("INSERT INTO t (id, a, b) VALUES (1, 'old', NULL)")
        conn.commit()
        yield conn
    engine.dispose()


def triggers(conn) -> dict:
    return dict(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all())


def test_the_copy_runs_once_at_the_end_as_the_trigger_would_have(conn):
    before = triggers(conn)
    with insert_triggers_aside(conn, "t"):
        assert set(triggers(conn)) == {"t_guard"}  # only the copy is set aside; the guard still fires
        conn.exec_driver_sql("INSERT INTO t (id, a, b) VALUES (?, ?, ?)", [(2, "x", "y"), (3, "z", None)])
        with pytest.raises(sa.exc.DatabaseError, match="bad row"):
            conn.exec_driver_sql("INSERT INTO t (id, a) VALUES (4, 'bad')")
        assert conn.exec_driver_sql("SELECT count(*) FROM c").scalar() == 1
    assert triggers(conn) == before
    rows = conn.exec_driver_sql("SELECT rowid, body FROM c ORDER BY rowid").all()
    assert rows == [(1, "OLD|"), (2, "X|y"), (3, "Z|")]  # row 1 was copied by the trigger itself, once
    conn.exec_driver_sql("INSERT INTO t (id, a) VALUES (5, 'w')")  # the trigger is back
    assert conn.exec_driver_sql("SELECT body FROM c WHERE rowid = 5").scalar() == "W|"


def test_a_failure_leaves_the_rollback_to_restore_the_trigger(conn):
    before = triggers(conn)
    with pytest.raises(RuntimeError), insert_triggers_aside(conn, "t"):
        conn.exec_driver_sql("INSERT INTO t (id, a) VALUES (2, 'x')")
        raise RuntimeError("the run failed")
    conn.rollback()
    assert triggers(conn) == before
    assert conn.exec_driver_sql("SELECT count(*) FROM c").scalar() == 1


def test_sqlite_sets_aside_only_the_indexes_of_the_columns_named(conn):
    from guarantees.legacy.deferred import aside

    for sql in (
        "CREATE INDEX ix_t_a ON t (a)",
        "CREATE INDEX ix_t_b ON t (b)",
        "CREATE INDEX ix_t_a_b ON t (a, b)",
        "CREATE INDEX ix_t_upper_a ON t (upper(a))",
        "CREATE UNIQUE INDEX uq_t_b ON t (b)",
    ):
        conn.exec_driver_sql(sql)

    def indexes() -> dict:
        return dict(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index'").all())

    before = indexes()
    with aside(conn, ["t"], columns=["a"]):
        # (a, b) also names b, an expression no column; the unique index guards the rows meanwhile
        assert set(before) - set(indexes()) == {"ix_t_a"}
        conn.exec_driver_sql("UPDATE t SET a = 'new'")
    assert indexes() == before
    assert conn.exec_driver_sql("SELECT id FROM t INDEXED BY ix_t_a WHERE a = 'new'").all() == [(1,)]
    with aside(conn, ["t"], columns=["a", "b"]):
        assert set(before) - set(indexes()) == {"ix_t_a", "ix_t_b", "ix_t_a_b"}
    assert indexes() == before
