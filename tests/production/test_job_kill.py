"""A real `flask jobs work` process SIGKILLed while it writes a large import: nothing is written, the job turns
stale once its heartbeat stops, the page tells the user, and the import started again from the preview
completes (issue 19, item 6)."""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import Guarantee, ImportBatch, ImportBatchItem, Job
from guarantees.models.legacy import ImportedRecord
from tests.web.test_imports import upload

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "app"]
ROWS = 20_000
STALE = 3


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> bytes:
    spec = importlib.util.spec_from_file_location("excel_floor", ROOT / "bench" / "excel_floor.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_workbook(tmp_path_factory.mktemp("jobs") / "big.xlsx", rows=ROWS).read_bytes()


def env_for(app) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
        "SECRET_KEY": "k" * 40,
        "JOBS": "worker",
        "JOBS_STALE_SECONDS": str(STALE),
    }


def start_worker(app, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [*FLASK, "jobs", "work", "--poll", "0.2"], cwd=ROOT, env=env_for(app), stdout=out, stderr=out
        )


def job(job_id: int) -> Job:
    db.session.remove()
    return db.session.get(Job, job_id)


def wait_for(condition, seconds: float = 180, every: float = 0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(every)
    raise AssertionError("timed out")


def stage(app, job_id: int) -> str | None:
    try:
        return json.loads((Path(app.config["UPLOAD_FOLDER"]) / "jobs" / f"{job_id}.json").read_text())["stage"]
    except (OSError, ValueError, KeyError):
        return None


def upload_large(editor, data: bytes) -> str:
    """Upload; the page it sends to. The test client spools a large body to a temporary file it never closes:
    that file is collected here, its ResourceWarning being the client's, not the register's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        response = upload(editor, data, "big.xlsx")
        location = response.headers["Location"]
        del response
        gc.collect()
    return location


def count(model) -> int:
    db.session.remove()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.slow
def test_a_worker_killed_mid_import_writes_nothing_and_the_user_is_told(app, editor, workbook, tmp_path):
    app.config.update(JOBS="worker", JOBS_INLINE_ROWS=1_000, JOBS_STALE_SECONDS=STALE, MAX_IMPORT_ROWS=200_000)
    log = tmp_path / "worker.log"
    worker = start_worker(app, log)
    try:
        preview_job = int(upload_large(editor, workbook).rsplit("/", 1)[1])
        wait_for(lambda: job(preview_job).status == "done")
        token = job(preview_job).upload_token
        confirm = editor.post(f"/imports/{token}/confirm").headers["Location"]
        commit_job = int(confirm.rsplit("/", 1)[1])
        wait_for(lambda: stage(app, commit_job) == "writing")
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)

    # Killed in the middle of its one transaction: nothing of the batch is there.
    assert job(commit_job).status == "running"
    assert (count(ImportBatch), count(Guarantee), count(ImportBatchItem), count(ImportedRecord)) == (0, 0, 0, 0)

    # Once its heartbeat is older than JOBS_STALE_SECONDS, the page says what happened and how to go on.
    time.sleep(STALE + 0.5)
    db.session.remove()
    html = editor.get(confirm).get_data(as_text=True)
    assert "interrupted before it finished" in html and "Nothing was written to the register" in html
    assert "Back to the preview, to try again" in html and "hx-trigger" not in html
    assert job(commit_job).status == "stale"

    # Started again from the preview, with a worker running: the batch is written whole.
    worker = start_worker(app, log)
    try:
        again = editor.post(f"/imports/{token}/confirm").headers["Location"]
        retry = int(again.rsplit("/", 1)[1])
        assert retry != commit_job
        wait_for(lambda: job(retry).status in ("done", "failed"), seconds=600, every=0.5)
        assert job(retry).status == "done", job(retry).error
        worker.send_signal(signal.SIGTERM)  # a worker asked to stop ends cleanly between jobs
        assert worker.wait(30) == 0, log.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
    assert (count(ImportBatch), count(Guarantee), count(ImportBatchItem)) == (1, ROWS, ROWS)
    verified = subprocess.run(
        [*FLASK, "legacy", "verify", "--json"], cwd=ROOT, env=env_for(app), capture_output=True, text=True, timeout=600
    )
    report = json.loads(verified.stdout[verified.stdout.index("{") :])
    assert verified.returncode == 0 and report["ok"], report
