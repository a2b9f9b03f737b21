"""The back-links of a one-transaction migrate: on SQLite written between the partitions from the run's own ids
(links.early_links), they are exactly those written from the items and actions, and a link the run cannot account
for fails the whole run."""

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


def test_a_link_the_run_cannot_account_for_fails_the_run(database, tmp_path, monkeypatch):
    if not database.startswith("sqlite"):
        pytest.skip("the back-links are written between the partitions on SQLite only")
    sessions, rows = many_rows(600, 40)
    legacy = write_legacy(tmp_path / "legacy.sqlite", rows=rows, sessions=sessions)
    real = links.early_links

    def losing_one(conn, scan, *args):
        scan.import_numbers.pop(next(iter(scan.import_numbers)))  # the rows of one legacy number stay unlinked
        return real(conn, scan, *args)

    monkeypatch.setattr(migrate_module, "early_links", losing_one)
    engine = sa.create_engine(database)
    try:
        load(engine, legacy)
        with pytest.raises(RuntimeError, match="import rows were linked"):
            migrate(engine, chunk_rows=100)
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT count(*) FROM guarantees")) == 0
            assert conn.scalar(sa.text("SELECT count(*) FROM import_batch_items")) == 0
            assert (
                conn.scalar(sa.text("SELECT count(*) FROM imported_records WHERE migrated_guarantee_id IS NOT NULL"))
                == 0
            )
    finally:
        engine.dispose()
