"""A migrate killed with SIGKILL part-way (inside a chunk, then between chunks) resumes to the exact result of an
uninterrupted run: same guarantees with every field, items, actions, sessions, batches and links.

The run is a real `flask legacy migrate` in a subprocess; the crash point is its `migrate.commit` replaced (in
that process) by one that pauses, so that the test can kill it there.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.legacy.conftest import count, many_rows, snapshot, write_legacy

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))
# The child: `flask legacy migrate ARGS`, pausing at chunk N's commit ("in": before it, "after": after it).
CHILD = """
import signal, sys
from guarantees.legacy import migrate

where, chunk, args = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
real, done = migrate.commit, []

def pause():
    print("paused", file=sys.stderr, flush=True)
    while True:
        signal.pause()

def commit(conn):
    done.append(1)
    if where == "in" and len(done) == chunk:
        pause()
    real(conn)
    if where == "after" and len(done) == chunk:
        pause()

migrate.commit = commit
from flask.cli import main
sys.argv = ["flask", "--app", "app", "legacy", "migrate", *args]
main()
"""


def flask(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [FLASK, "--app", "app", *args], cwd=ROOT, env={**os.environ, "DATABASE_URL": url},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def migrate_until_killed(url: str, where: str, chunk: int, meanwhile=None) -> None:
    """Start a migrate that pauses at chunk `chunk`'s commit, run `meanwhile()`, then SIGKILL it."""
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, where, str(chunk), "--chunk-rows", "100"], cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    try:
        for line in process.stderr:
            if line.startswith("paused"):
                break
            assert time.monotonic() < deadline, "the migrate never reached its pause"
        else:
            pytest.fail(f"migrate ended without pausing (exit {process.wait()})")
        if meanwhile is not None:
            meanwhile()
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL


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
def test_killed_migrate_resumes_to_the_uninterrupted_result(loaded_pair):
    database, reference = loaded_pair
    done = flask(reference, "legacy", "migrate", "--chunk-rows", "100")
    assert done.returncode == 0, done.stderr

    migrate_until_killed(database, "in", 3)  # killed inside chunk 3: chunks 1 and 2 stay, chunk 3 is rolled back
    partial = count(database, "guarantees")
    assert 0 < partial < count(reference, "guarantees")
    assert flask(database, "legacy", "verify").returncode == 1  # rows still unlinked: not done yet
    migrate_until_killed(database, "after", 2)  # killed after two more chunks
    assert partial < count(database, "guarantees") < count(reference, "guarantees")

    resumed = flask(database, "legacy", "migrate", "--chunk-rows", "100")
    assert resumed.returncode == 0, resumed.stderr
    assert "already linked" in resumed.stdout
    assert snapshot(database) == snapshot(reference)
    for url in (database, reference):
        verified = flask(url, "legacy", "verify")
        assert verified.returncode == 0, verified.stdout
    again = flask(database, "legacy", "migrate")
    assert "Nothing to migrate" in again.stdout


@pytest.mark.slow
def test_a_second_migrate_while_one_runs_is_refused(database, tmp_path):
    sessions, rows = many_rows(600, 50)
    legacy = write_legacy(tmp_path / "legacy.sqlite", rows=rows, sessions=sessions)
    assert flask(database, "legacy", "load", str(legacy)).returncode == 0
    refused = []

    def second():
        refused.append(flask(database, "legacy", "migrate", "--chunk-rows", "100"))

    migrate_until_killed(database, "after", 1, meanwhile=second)
    (second_run,) = refused
    assert second_run.returncode == 1
    assert "Another `flask legacy migrate` is running on this database" in second_run.stderr
    partial = count(database, "guarantees")
    assert partial > 0  # the first run's committed chunk, and nothing from the refused one
    resumed = flask(database, "legacy", "migrate", "--chunk-rows", "100")
    assert resumed.returncode == 0, resumed.stderr
    assert flask(database, "legacy", "verify").returncode == 0
