"""Long imports in the background (issue 19, item 6), through the web on both databases: a large upload's preview,
a new mapping and the confirmation run as jobs of `flask jobs work`, the page polls a progress bar and moves on
when the job is done; failures, interruptions and other users' jobs. And parse-once: an upload is read once,
whatever its preview pages, filters, mapping changes and confirmation ask."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.importer.reader import read_workbook
from guarantees.models import Guarantee, ImportBatch, ImportBatchItem, Job
from guarantees.models.base import utcnow
from guarantees.services import import_uploads, imports, jobs
from tests.importer.test_hostile_workbooks import far_cell, one_huge_shared_string
from tests.web.test_imports import guarantee_rows, upload, uploaded

HX_REDIRECT = "HX-Redirect"


@pytest.fixture
def worker_mode(app):
    """JOBS=worker, and any file of more than 5 rows is large."""
    app.config.update(JOBS="worker", JOBS_INLINE_ROWS=5)
    return app


def run_worker() -> int:
    """What `flask jobs work --once` does, in this process: run the queued jobs."""
    ran = jobs.work(once=True)
    db.session.remove()
    return ran


def job_path(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    location = response.headers["Location"]
    assert re.fullmatch(r"/imports/jobs/\d+", location), location
    return location


def poll(client, path):
    """One htmx poll of a job's progress (on a session of its own, as each request has outside the tests, where
    this test's app context keeps one session for all its requests)."""
    db.session.remove()
    return client.get(path, htmx=True)


def numbers(n: int, prefix: str = "BG") -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(n)]


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


# -- parse once -------------------------------------------------------------------------------------------------


def test_an_upload_is_read_once_whatever_its_pages_filters_mapping_and_confirmation(
    app, editor, xlsx_bytes, monkeypatch
):
    reads, evaluations = [], []
    monkeypatch.setattr(imports, "read_workbook", lambda *a, **k: reads.append(1) or read_workbook(*a, **k))
    real_build = imports.build_preview
    monkeypatch.setattr(imports, "build_preview", lambda *a, **k: evaluations.append(1) or real_build(*a, **k))
    rows = guarantee_rows(*numbers(120))
    rows[1].append("MEMO")
    path = uploaded(editor, xlsx_bytes(rows))
    assert (len(reads), len(evaluations)) == (1, 1)
    for query in ("", "?page=2", "?page=3", "?outcome=new", "?outcome=error&page=1"):
        assert editor.get(path + query).status_code in (200, 422)
        assert editor.get(path + query, htmx=True).status_code in (200, 422)
    assert editor.get(path + "/errors.xlsx").status_code == 200
    assert (len(reads), len(evaluations)) == (1, 1)  # the pages read the kept preview
    assert editor.post(path + "/mapping", data={"map-comment": "MEMO", "was-comment": ""}).status_code == 303
    assert (len(reads), len(evaluations)) == (1, 2)  # a new mapping evaluates the kept parse again
    assert "Page 2 of 3" in editor.get(path + "?page=2").get_data(as_text=True)
    assert editor.post(path + "/confirm").status_code == 303
    assert (len(reads), len(evaluations)) == (1, 3)  # the confirmation evaluates once more, in its transaction
    assert count(ImportBatchItem) == 120


def test_the_preview_pages_filter_from_the_kept_preview(app, editor, xlsx_bytes):
    path = uploaded(editor, xlsx_bytes([*guarantee_rows(*numbers(60)), ["BAD-1", "", "", 5, "", "", ""]]))
    errors = editor.get(path + "?outcome=error", htmx=True).get_data(as_text=True)
    assert "BAD-1" in errors and "BG0001" not in errors
    last = editor.get(path + "?page=2&outcome=new").get_data(as_text=True)
    assert "BG0059" in last and "BG0001" not in last and "Page 2 of 2" in last


# -- the whole flow as jobs -------------------------------------------------------------------------------------


def test_a_large_upload_previews_maps_and_imports_as_jobs(worker_mode, editor, xlsx_bytes):
    rows = guarantee_rows(*numbers(12))
    rows[1].append("MEMO")
    for row in rows[2:]:
        row.append("for extension")
    response = upload(editor, xlsx_bytes(rows), "big.xlsx")
    path = job_path(response)
    page = editor.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "Reading big.xlsx" in html
    assert "Waiting for the job worker" in html and 'hx-trigger="every 1s"' in html
    fragment = poll(editor, path).get_data(as_text=True)
    assert "<html" not in fragment and 'id="job-progress"' in fragment and 'hx-trigger="every 1s"' in fragment
    assert count(Job, Job.status == "queued") == 1 and count(ImportBatch) == 0

    assert run_worker() == 1
    done = poll(editor, path)
    token = done.headers[HX_REDIRECT].rsplit("/", 1)[1]
    assert done.headers[HX_REDIRECT] == f"/imports/{token}"
    assert editor.get(path).headers["Location"] == f"/imports/{token}"  # the page, reloaded, moves on too
    preview = editor.get(f"/imports/{token}").get_data(as_text=True)
    assert "BG0000" in preview and "12 new" in preview and "for extension" not in preview

    # A new mapping of a large upload is a job too; the preview shows it once done.
    mapped = job_path(editor.post(f"/imports/{token}/mapping", data={"map-comment": "MEMO", "was-comment": ""}))
    assert editor.get(f"/imports/{token}").headers["Location"] == mapped  # while it runs, the preview is its page
    assert run_worker() == 1
    assert poll(editor, mapped).headers[HX_REDIRECT] == f"/imports/{token}"
    assert '<option value="MEMO" selected>' in editor.get(f"/imports/{token}").get_data(as_text=True)

    # The confirmation: a job that writes the batch in one transaction, then the batch page.
    confirm = job_path(editor.post(f"/imports/{token}/confirm"))
    assert "Importing big.xlsx" in editor.get(confirm).get_data(as_text=True)
    assert count(ImportBatch) == 0
    assert run_worker() == 1
    batch = db.session.scalars(sa.select(ImportBatch)).one()
    finished = poll(editor, confirm)
    assert finished.headers[HX_REDIRECT] == f"/batches/{batch.id}"
    page = editor.get(f"/batches/{batch.id}").get_data(as_text=True)
    assert "Imported big.xlsx: 12 new, 0 updated, 0 unchanged, 0 rejected." in page
    assert batch.total_records == 12 and batch.created_by == "editor-user"
    assert count(Guarantee, Guarantee.comment == "for extension") == 12
    job = db.session.get(Job, int(confirm.rsplit("/", 1)[1]))
    assert job.status == "done" and job.result["batch_id"] == batch.id
    assert editor.get(f"/imports/{token}").status_code == 404  # the upload is gone


def test_a_small_upload_stays_instant_with_a_worker(worker_mode, editor, xlsx_bytes):
    path = uploaded(editor, xlsx_bytes(guarantee_rows(*numbers(3))))  # 5 rows with the title and the header
    assert "BG0002" in editor.get(path).get_data(as_text=True)
    assert editor.post(path + "/confirm").headers["Location"].startswith("/batches/")
    assert count(Job) == 0


def test_the_bar_shows_the_rows_written_while_the_worker_writes(worker_mode, editor, xlsx_bytes, monkeypatch):
    token = _prepared(editor, xlsx_bytes(guarantee_rows(*numbers(12))))
    confirm = job_path(editor.post(f"/imports/{token}/confirm"))
    writing, go_on = threading.Event(), threading.Event()
    real_commit = imports.commit

    def paused(*args, progress, **kwargs):
        progress("writing", 0.5, done=6, total=12)
        writing.set()
        go_on.wait(30)
        return real_commit(*args, progress=progress, **kwargs)

    monkeypatch.setattr(import_uploads.imports, "commit", paused)
    app = worker_mode

    def worker():
        with app.app_context():
            run_worker()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert writing.wait(30)
        fragment = poll(editor, confirm).get_data(as_text=True)
        assert "Writing the batch: 6 of 12 rows." in fragment
        assert re.search(r'<progress max="100" value="67"', fragment) and 'hx-trigger="every 1s"' in fragment
    finally:
        go_on.set()
        thread.join(60)
    assert poll(editor, confirm).headers[HX_REDIRECT].startswith("/batches/")


def _prepared(editor, data: bytes) -> str:
    """Upload a large workbook and let the worker make its preview; the upload's token."""
    path = job_path(upload(editor, data, "list.xlsx"))
    assert run_worker() == 1
    return poll(editor, path).headers[HX_REDIRECT].rsplit("/", 1)[1]


# -- failures ---------------------------------------------------------------------------------------------------


def test_a_large_file_that_does_not_map_fails_with_its_message(worker_mode, editor, xlsx_bytes):
    path = job_path(upload(editor, xlsx_bytes([["just", "some"], *[["words", "here"]] * 10])))
    assert run_worker() == 1
    html = editor.get(path).get_data(as_text=True)
    assert "No header row" in html and 'role="alert"' in html and "hx-trigger" not in html
    assert "Upload the file again" in html
    assert db.session.scalars(sa.select(Job)).one().status == "failed"
    assert count(ImportBatch) == 0


def test_a_file_imported_meanwhile_asks_for_the_confirmation(worker_mode, editor, xlsx_bytes):
    data = xlsx_bytes(guarantee_rows(*numbers(8)))
    first, second = _prepared(editor, data), _prepared(editor, data)
    job_path(editor.post(f"/imports/{first}/confirm"))
    assert run_worker() == 1
    refused = job_path(editor.post(f"/imports/{second}/confirm"))
    assert run_worker() == 1
    html = editor.get(refused).get_data(as_text=True)
    assert "already imported" in html and "Back to the preview" in html and count(ImportBatch) == 1
    preview = editor.get(f"/imports/{second}").get_data(as_text=True)
    assert 'name="confirm_duplicate"' in preview  # the kept preview learnt of the earlier import
    job_path(editor.post(f"/imports/{second}/confirm", data={"confirm_duplicate": "1"}))
    assert run_worker() == 1
    assert count(ImportBatch) == 2


def test_a_job_is_its_users_own(worker_mode, editor, signed_in, xlsx_bytes):
    path = job_path(upload(editor, xlsx_bytes(guarantee_rows(*numbers(8)))))
    other = signed_in("editor", "other-editor")
    assert other.get(path).status_code == 404
    assert editor.get("/imports/jobs/999999").status_code == 404
    assert editor.get(f"/imports/jobs/{2**63}").status_code == 404


def test_a_job_no_worker_takes_says_so(worker_mode, editor, xlsx_bytes):
    path = job_path(upload(editor, xlsx_bytes(guarantee_rows(*numbers(8)))))
    db.session.execute(sa.update(Job).values(created_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    assert "No job worker has taken this job yet" in editor.get(path).get_data(as_text=True)


def test_an_interrupted_job_is_stale_and_the_import_can_be_started_again(worker_mode, editor, xlsx_bytes):
    worker_mode.config["JOBS_STALE_SECONDS"] = 1
    token = _prepared(editor, xlsx_bytes(guarantee_rows(*numbers(8))))
    confirm = job_path(editor.post(f"/imports/{token}/confirm"))
    job_id = jobs.claim("gone-worker:1")  # a worker took it, then died before writing anything
    assert job_id == int(confirm.rsplit("/", 1)[1])
    db.session.remove()
    fragment = poll(editor, confirm).get_data(as_text=True)
    assert "Writing" not in fragment and 'hx-trigger="every 1s"' in fragment  # still running, for now
    time.sleep(1.2)
    html = editor.get(confirm).get_data(as_text=True)
    assert "interrupted before it finished" in html and "Nothing was written" in html and "hx-trigger" not in html
    assert db.session.get(Job, job_id).status == "stale" and count(ImportBatch) == 0
    again = job_path(editor.post(f"/imports/{token}/confirm"))  # from the preview, as the page offers
    assert again != confirm and run_worker() == 1
    assert poll(editor, again).headers[HX_REDIRECT].startswith("/batches/") and count(ImportBatch) == 1


def test_a_job_marked_stale_while_it_runs_commits_nothing(worker_mode, editor, xlsx_bytes, monkeypatch):
    token = _prepared(editor, xlsx_bytes(guarantee_rows(*numbers(8))))
    confirm = job_path(editor.post(f"/imports/{token}/confirm"))
    job_id = int(confirm.rsplit("/", 1)[1])
    real_commit = imports.commit

    def judged_dead_meanwhile(*args, **kwargs):
        db.session.execute(sa.update(Job).where(Job.id == job_id).values(status="stale"))
        db.session.commit()
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(import_uploads.imports, "commit", judged_dead_meanwhile)
    assert run_worker() == 1
    assert db.session.get(Job, job_id).status == "stale"
    assert count(ImportBatch) == 0 and count(Guarantee) == 0  # its transaction rolled back with the job's end


def test_a_job_that_breaks_fails_with_a_message_and_writes_nothing(worker_mode, editor, xlsx_bytes, monkeypatch):
    token = _prepared(editor, xlsx_bytes(guarantee_rows(*numbers(8))))
    confirm = job_path(editor.post(f"/imports/{token}/confirm"))
    monkeypatch.setattr(import_uploads.imports, "commit", lambda *a, **k: 1 / 0)
    assert run_worker() == 1
    html = editor.get(confirm).get_data(as_text=True)
    assert "unexpected error; nothing was written" in html and count(ImportBatch) == 0


def test_the_upload_cannot_be_discarded_while_its_job_runs(worker_mode, editor, xlsx_bytes):
    token = _prepared(editor, xlsx_bytes(guarantee_rows(*numbers(8))))
    confirm = job_path(editor.post(f"/imports/{token}/confirm"))
    assert editor.post(f"/imports/{token}/discard").headers["Location"] == confirm
    assert editor.post(f"/imports/{token}/confirm").headers["Location"] == confirm  # not twice


# -- the command ------------------------------------------------------------------------------------------------


def test_flask_jobs_work_once_runs_the_queued_jobs(worker_mode, editor, runner, xlsx_bytes):
    path = job_path(upload(editor, xlsx_bytes(guarantee_rows(*numbers(8)))))
    db.session.remove()
    result = runner.invoke(args=["jobs", "work", "--once"])
    assert result.exit_code == 0, result.output
    assert "1 job(s) run" in result.output
    assert poll(editor, path).headers[HX_REDIRECT].startswith("/imports/")
    empty = runner.invoke(args=["jobs", "work", "--once"])
    assert empty.exit_code == 0 and "0 job(s) run" in empty.output


def test_two_workers_never_take_one_job(worker_mode, editor, xlsx_bytes):
    job_path(upload(editor, xlsx_bytes(guarantee_rows(*numbers(8)))))
    assert jobs.claim("one:1") is not None
    assert jobs.claim("two:2") is None


def test_the_worker_marks_its_predecessors_dead_job_stale(worker_mode, editor, xlsx_bytes):
    worker_mode.config["JOBS_STALE_SECONDS"] = 1
    job_path(upload(editor, xlsx_bytes(guarantee_rows(*numbers(8)))))
    job_id = jobs.claim("gone-worker:1")
    db.session.execute(sa.update(Job).values(started_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    assert run_worker() == 0  # nothing queued; the dead worker's job is found and marked
    assert db.session.get(Job, job_id).status == "stale"


# -- hostile workbooks through the page -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["inline", "worker"])
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (far_cell, "has 1,048,576 rows; an import takes at most 200,000 rows per sheet"),
        (one_huge_shared_string, "longer than an Excel cell can"),
    ],
    ids=["far-cell", "huge-shared-string"],
)
def test_hostile_workbooks_are_refused_on_the_upload_page_at_once(app, editor, make, message, mode):
    app.config.update(JOBS=mode, JOBS_INLINE_ROWS=5)
    began = time.perf_counter()
    response = upload(editor, make(), "hostile.xlsx")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html and html.count('role="alert"') == 1
    assert time.perf_counter() - began < 2
    assert count(Job) == 0 and count(ImportBatch) == 0
    assert not list((Path(app.config["UPLOAD_FOLDER"]) / "pending").glob("*"))
    assert editor.get("/imports/new").status_code == 200  # and the worker serves on
