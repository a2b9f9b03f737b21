"""The scan and the fold of a migrate, and verify's reading, in worker processes give exactly the result of the same
work in the command's own process, and the workers never outlive it."""

import os
import signal
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from guarantees.legacy import scan, workers
from guarantees.legacy.load import load
from guarantees.legacy.migrate import migrate
from guarantees.legacy.verify import verify
from tests.legacy.conftest import alive, many_rows, snapshot, write_legacy


def _migrate(url: str, legacy) -> dict:
    engine = sa.create_engine(url)
    try:
        load(engine, legacy)
        summary = migrate(engine, chunk_rows=100)
    finally:
        engine.dispose()
    return summary.as_dict()


@pytest.mark.skipif(workers.workers_for(sa.create_engine("sqlite:///x.sqlite")) < 2, reason="needs two CPUs")
def test_workers_scan_and_fold_as_the_migrating_process_does(backend, database, tmp_path, monkeypatch):
    sessions, rows = many_rows(1500, 120)
    legacy = write_legacy(tmp_path / "legacy.sqlite", rows=rows, sessions=sessions)
    here = backend.fresh()
    monkeypatch.setattr(scan, "RANGE_ROWS", 190)  # several ranges, sessions (of 25 rows) across them
    try:
        pools = []
        in_order = workers._in_order
        monkeypatch.setattr(
            workers, "_in_order", lambda pool, *args, **kw: pools.append(pool) or in_order(pool, *args, **kw)
        )
        in_workers = _migrate(database, legacy)
        assert len(pools) == 2, "the rows were not scanned and folded by worker processes"
        monkeypatch.setattr(workers, "workers_for", lambda engine: 0)
        monkeypatch.setattr(scan, "RANGE_ROWS", 100_000)  # here, in one range: the numbering needs no offsets
        in_process = _migrate(here, legacy)
        assert len(pools) == 2
        for summary in (in_workers, in_process):
            summary.pop("seconds"), summary.pop("rows_per_second")
        assert in_workers == in_process
        assert in_workers["chunks"] > 2
        assert snapshot(database) == snapshot(here)
    finally:
        backend.drop(here)


def test_no_workers_where_they_cannot_share_the_database():
    assert workers.workers_for(sa.create_engine("sqlite://")) == 0
    assert workers.workers_for(sa.create_engine("sqlite:///:memory:")) == 0


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads /proc")
def test_a_worker_ends_when_the_migrating_process_dies():
    """A worker's start-up asks the kernel to end it with its parent: a parent that dies at once shows it."""
    pids_read, pids_write = os.pipe()
    ready_read, ready_write = os.pipe()
    parent = os.fork()
    if parent == 0:  # pragma: no cover - runs in the forked children
        worker = os.fork()
        if worker == 0:
            workers._STATE["parent"] = os.getppid()
            workers._die_with_parent()
            os.write(pids_write, f"{os.getpid()}\n".encode())
            os.write(ready_write, b"1")
            while True:
                signal.pause()
        os.read(ready_read, 1)
        os._exit(0)  # the parent dies; its worker must follow
    os.close(pids_write)
    worker = int(os.read(pids_read, 32))
    os.waitpid(parent, 0)
    for fd in (pids_read, ready_read, ready_write):
        os.close(fd)
    deadline = time.monotonic() + 10
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(worker)


@pytest.mark.skipif(workers.workers_for(sa.create_engine("sqlite:///x.sqlite")) < 2, reason="needs two CPUs")
def test_verify_in_workers_reports_as_in_one_pass(backend, database, tmp_path, monkeypatch):
    sessions, rows = many_rows(1500, 120)
    _migrate(database, write_legacy(tmp_path / "legacy.sqlite", rows=rows, sessions=sessions))
    engine = sa.create_engine(database)
    try:
        with engine.begin() as conn:  # links lost by hand, in several ranges: problems to find and to count
            conn.execute(sa.text("UPDATE imported_records SET migrated_guarantee_id = NULL WHERE id % 150 = 7"))
        pools = []
        in_order = workers._in_order
        monkeypatch.setattr(
            workers, "_in_order", lambda pool, *args, **kw: pools.append(pool) or in_order(pool, *args, **kw)
        )
        monkeypatch.setattr(scan, "RANGE_ROWS", 190)
        in_workers = verify(engine)
        assert len(pools) == 1, "the rows were not read by worker processes"
        monkeypatch.setattr(workers, "workers_for", lambda engine: 0)
        monkeypatch.setattr(scan, "RANGE_ROWS", 100_000)
        in_one_pass = verify(engine)
    finally:
        engine.dispose()
    assert in_workers == in_one_pass
    assert not in_workers["ok"]  # the examples come from several ranges, in id order
    unlinked = "8 migratable import rows are not linked to a guarantee (e.g. 7, 157, 307, 607, 757)"
    assert unlinked in in_workers["problems"]


def _slow_marked(conn, task, folder):
    time.sleep(0.3)
    (Path(folder) / f"done-{task}").write_text("done")
    return task


@pytest.mark.skipif(workers.workers_for(sa.create_engine("sqlite:///x.sqlite")) < 2, reason="needs two CPUs")
def test_a_run_that_stops_early_lets_the_tasks_in_flight_end_before_its_workers(tmp_path):
    """An error while workers are busy: they are not terminated half-way (one terminated while it sends its result
    would hold the pool's result queue locked, and the pool's shutdown would wait for that lock forever)."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'd.sqlite'}")
    with engine.connect():  # (the database in WAL mode before the workers connect to it at once)
        pass
    with (
        pytest.raises(RuntimeError),
        workers.mapped(engine, None, _slow_marked, list(range(8)), str(tmp_path)) as results,
    ):
        assert next(results) == 0
        raise RuntimeError("the run failed")  # tasks 1 and 2 are in flight
    assert sorted(path.name for path in tmp_path.glob("done-*")) == ["done-0", "done-1", "done-2"]


def _niceness(conn, task, context):
    return os.nice(0)


@pytest.mark.skipif(workers.workers_for(sa.create_engine("sqlite:///x.sqlite")) < 2, reason="needs two CPUs")
def test_workers_run_below_the_command_that_writes(tmp_path):
    """The command is the one writer and the run goes at its pace: its workers take only what it leaves."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'd.sqlite'}")
    with engine.connect():
        pass
    with workers.mapped(engine, None, _niceness, [1, 2, 3], None) as results:
        found = set(results)
    assert found == {min(19, os.nice(0) + workers.WORKER_NICENESS)}
