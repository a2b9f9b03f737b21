"""A migrate killed with SIGKILL part-way (inside a chunk, then between chunks) resumes to the exact result of an
uninterrupted run: same guarantees with every field, items, actions, sessions, batches and links."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from guarantees.legacy import workers
from tests.legacy.conftest import alive, children, count, many_rows, schema, snapshot, write_legacy

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))


def flask(url: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [FLASK, "--app", "app", *args], cwd=ROOT, env={**os.environ, "DATABASE_URL": url, **(env or {})},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def migrate_until_killed(url: str, hook: str, chunk: int, meanwhile=None, options=("--commit-chunks",)) -> None:
    """Start `flask legacy migrate`, wait for the hook to say it paused, run `meanwhile()`, then SIGKILL it."""
    process = subprocess.Popen(
        [FLASK, "--app", "app", "legacy", "migrate", "--chunk-rows", "100", *options], cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, hook: str(chunk)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    try:
        for line in process.stderr:
            if "legacy migrate test hook" in line:
                break
            assert time.monotonic() < deadline, "the migrate never reached its pause"
        else:
            pytest.fail(f"migrate ended without pausing (exit {process.wait()})")
        if meanwhile is not None:
            meanwhile()
        running = children(process.pid)
        assert running or workers.workers_for(sa.create_engine(url)) < 2, "no worker was running"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 10  # its fold workers die with it: none is left holding a connection
    while (left := [pid for pid in running if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left


@pytest.fixture
def loaded_pair(backend, database, tmp_path):
    """The same synthetic legacy file loaded into `database` and into a reference database: (database, reference)."""
    sessions, rows = many_rows(3000, 250)
    legacy = write_legacy(tmp_path / "legacy.sqlite", rows=rows, sessions=sessions)
    reference = backend.fresh()
    try:
        for url in (database, reference):
            loaded = flask(url, "legacy", "load", str(legacy))
            assert loaded.returncode == 0, loaded.stderr
        yield database, reference
    finally:
        backend.drop(reference)


@pytest.mark.slow
def test_a_killed_one_transaction_run_leaves_the_register_as_it_was(loaded_pair):
    database, reference = loaded_pair
    done = flask(reference, "legacy", "migrate", "--chunk-rows", "100")  # one transaction: the register is empty
    assert done.returncode == 0, done.stderr
    assert "in one transaction" in done.stdout
    before, indexes = snapshot(database), schema(database)

    migrate_until_killed(database, "LEGACY_MIGRATE_PAUSE_IN_CHUNK", 3, options=())
    assert snapshot(database) == before  # no batch, guarantee, item, action or link: all or nothing
    assert count(database, "import_batches") == 0
    # The indexes and foreign keys it had set aside are all back, and nothing else is left in the database.
    assert schema(database) == indexes

    resumed = flask(database, "legacy", "migrate", "--chunk-rows", "100")
    assert resumed.returncode == 0, resumed.stderr
    assert snapshot(database) == snapshot(reference)
    assert schema(database) == indexes == schema(reference)  # built again at the end, as they were
    assert flask(database, "legacy", "verify").returncode == 0


@pytest.mark.slow
def test_killed_migrate_resumes_to_the_uninterrupted_result(loaded_pair):
    """Chunks committed one by one (--commit-chunks): each kill keeps what was committed; the resumed run, in a
    transaction per chunk since the register is no longer empty, ends where one uninterrupted transaction does."""
    database, reference = loaded_pair
    done = flask(reference, "legacy", "migrate", "--chunk-rows", "100")
    assert done.returncode == 0, done.stderr
    assert "in one transaction" in done.stdout

    migrate_until_killed(database, "LEGACY_MIGRATE_PAUSE_IN_CHUNK", 3)  # killed inside chunk 3
    partial = count(database, "guarantees")
    assert 0 < partial < count(reference, "guarantees")
    assert flask(database, "legacy", "verify").returncode == 1
    migrate_until_killed(database, "LEGACY_MIGRATE_PAUSE_AFTER_CHUNK", 2)  # killed after two more chunks
    assert partial < count(database, "guarantees") < count(reference, "guarantees")

    resumed = flask(database, "legacy", "migrate", "--chunk-rows", "100")
    assert resumed.returncode == 0, resumed.stderr
    assert "already linked" in resumed.stdout and "a transaction per chunk" in resumed.stdout
    assert snapshot(database) == snapshot(reference)
    for url in (database, reference):
        verified = flask(url, "legacy", "verify")
        assert verified.returncode == 0, verified.stdout
    again = flask(database, "legacy", "migrate")
    assert "Nothing to migrate" in again.stdout


@pytest.mark.slow
def test_a_second_migrate_while_one_runs_is_refused(backend, database, tmp_path):
    sessions, rows = many_rows(600, 50)
    legacy = write_legacy(tmp_path / "legacy.sqlite", rows=rows, sessions=sessions)
    assert flask(database, "legacy", "load", str(legacy)).returncode == 0
    refused = []

    def second():
        refused.append(flask(database, "legacy", "migrate", "--chunk-rows", "100"))

    migrate_until_killed(database, "LEGACY_MIGRATE_PAUSE_AFTER_CHUNK", 1, meanwhile=second)
    (second_run,) = refused
    assert second_run.returncode == 1
    assert "Another `flask legacy migrate` is running on this database" in second_run.stderr
    partial = count(database, "guarantees")
    assert partial > 0  # the first run's committed chunk, and nothing from the refused one
    resumed = flask(database, "legacy", "migrate", "--chunk-rows", "100")
    assert resumed.returncode == 0, resumed.stderr
    assert flask(database, "legacy", "verify").returncode == 0
