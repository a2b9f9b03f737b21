"""SIGKILL in the middle of an import commit or an `issue all`: the database stays consistent, a re-run completes."""

import importlib.util
import json
import os
import signal
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import ActionSession, Guarantee, GuaranteeAction, ImportBatch, ImportBatchItem
from guarantees.models.legacy import ImportedRecord
from guarantees.services import actions

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "app"]
ROWS = 6_000


def env_for(url: str) -> dict:
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "k" * 40, "FLASK_APP": "app"}


def run(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*FLASK, *args], cwd=ROOT, env=env_for(url), capture_output=True, text=True, timeout=600)


def kill_after(command: list[str], url: str, seconds: float) -> int:
    """Start a command, SIGKILL it after `seconds` (if still running); its exit code."""
    process = subprocess.Popen(
        command, cwd=ROOT, env=env_for(url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        return process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        return process.wait()


def verify(url: str) -> dict:
    result = run(url, "legacy", "verify", "--json")
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert result.returncode == 0 and report["ok"], report
    return report


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("excel_floor", ROOT / "bench" / "excel_floor.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_workbook(tmp_path_factory.mktemp("kill") / "big.xlsx", rows=ROWS)


@pytest.mark.slow
def test_import_killed_mid_commit_leaves_all_or_nothing(app, database, workbook):
    for seconds in (1.0, 2.5, 4.0):
        kill_after([*FLASK, "import-excel", str(workbook), "--confirm-duplicate-file"], database, seconds)
        db.session.remove()
        batches = count(ImportBatch)
        assert batches in (0, 1)
        assert count(ImportBatchItem) == batches * ROWS
        assert count(Guarantee) in (0, ROWS)
        assert count(ImportedRecord) == batches * ROWS
        verify(database)
        if batches:
            break
    db.session.remove()
    done = run(database, "import-excel", str(workbook), "--json", "--confirm-duplicate-file")
    assert done.returncode == 0, done.stderr
    db.session.remove()
    assert count(Guarantee) == ROWS
    verify(database)


ISSUE_ALL = """
import sys
from guarantees import create_app
from guarantees.services import actions
app = create_app()
with app.app_context():
    actions.issue_session(int(sys.argv[1]), user="approver")
"""


@pytest.mark.slow
def test_issue_all_killed_midway_issues_all_or_nothing(app, database, make_guarantee):
    # not yet expired on the day the issuing process sees (it has no fixed day): a later expiry than the default
    expiry = (date.today() + timedelta(days=200)).isoformat()
    ids = [make_guarantee(f"KILL-{n:04d}", expiry_date=expiry).id for n in range(150)]
    session_id = actions.start_session(ids, "extension", user="preparer").id
    db.session.remove()
    for seconds in (0.8, 1.6, 3.0):
        kill_after([sys.executable, "-c", ISSUE_ALL, str(session_id)], database, seconds)
        db.session.remove()
        issued = count(GuaranteeAction, GuaranteeAction.action_status == "issued")
        locked = db.session.get(ActionSession, session_id).is_locked
        assert (issued, locked) in ((0, False), (len(ids), True))
        assert count(Guarantee, Guarantee.is_locked.is_(True)) == issued
        verify(database)
        if locked:
            break
    else:
        subprocess.run([sys.executable, "-c", ISSUE_ALL, str(session_id)], cwd=ROOT, env=env_for(database), check=True)
    db.session.remove()
    assert count(GuaranteeAction, GuaranteeAction.action_status == "issued") == len(ids)
    assert db.session.get(ActionSession, session_id).is_locked
    verify(database)
