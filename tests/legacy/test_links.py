"""The back-links of a one-transaction migrate: on SQLite written between the partitions from the run's own ids
(links.EarlyLinks), they are exactly those written from the items and actions, and a row they miss is linked from
its item."""

import pytest
import sqlalchemy as sa

from guarantees.legacy import links
from guarantees.legacy import migrate as migrate_module
from guarantees.legacy.load import load
from guarantees.legacy.migrate import migrate
from guarantees.legacy.verify import verify
from tests.legacy.conftest import many_rows, snapshot, write_legacy


def _run(url: str, legacy, **options) -> dict:
    engine = sa.create_engine(url)
    try:
        load(engine, legacy)
        summary = migrate(engine, chunk_rows=100, **options)
        report = verify(engine)
    finally:
        engine.dispose()
    assert report["ok"], report["problems"]
    return summary.as_dict()


@pytest.mark.parametrize("variant", ["latest", "early"])  # ("early": no record_type, every row's is NULL)
def test_the_one_transaction_run_links_as_the_items_do(backend, database, tmp_path, monkeypatch, variant):
    sessions, rows = many_rows(1200, 90)
    for row in rows[5::100] if variant == "latest" else ():  # ("early" has no row without a session)
        row["session_id"] = None  # import rows without a session: a batch of their own, linked as well
    legacy = write_legacy(tmp_path / "legacy.sqlite", variant, rows=rows, sessions=sessions)
    monkeypatch.setattr(links, "EARLY_RANGE", 70)  # more steps than partitions: the rest run after the last one
    now = migrate_module.utcnow()
    monkeypatch.setattr(migrate_module, "utcnow", lambda: now)  # (a session-less batch is dated by its run)
    chunked = backend.fresh()
    try:
        in_one = _run(database, legacy)
        by_chunk = _run(chunked, legacy, commit_chunks=True)
        assert in_one["one_transaction"] and not by_chunk["one_transaction"]
        assert in_one["chunks"] > 2
        assert in_one["links"] == by_chunk["links"] == in_one["import_rows"] + in_one["action_rows"]
        assert snapshot(database) == snapshot(chunked)
    finally:
        backend.drop(chunked)


def test_a_row_the_early_links_miss_is_linked_from_its_item(backend, database, tmp_path, monkeypatch):
    if not database.startswith("sqlite"):
        pytest.skip("the back-links are written between the partitions on SQLite only")
    sessions, rows = many_rows(600, 40)
    legacy = write_legacy(tmp_path / "legacy.sqlite", rows=rows, sessions=sessions)
    real = links.EarlyLinks
    made = []

    def losing_one(conn, scan, *args):
        scan.import_numbers.pop(next(iter(scan.import_numbers)))  # the rows of one legacy number are missed
        made.append(real(conn, scan, *args))
        return made[-1]

    monkeypatch.setattr(migrate_module, "EarlyLinks", losing_one)
    now = migrate_module.utcnow()
    monkeypatch.setattr(migrate_module, "utcnow", lambda: now)
    missed = _run(database, legacy)  # (verify included: every link as its item says)
    monkeypatch.undo()
    whole = backend.fresh()
    try:
        monkeypatch.setattr(migrate_module, "utcnow", lambda: now)
        assert _run(whole, legacy)["links"] == missed["links"] == missed["import_rows"] + missed["action_rows"]
        assert not made[0].complete and made[0].linked < missed["import_rows"]
        assert snapshot(database) == snapshot(whole)
    finally:
        backend.drop(whole)
