"""Background jobs: long imports queued by the pages and run by `flask jobs work`, with progress the pages poll.

A job is a row of the ``jobs`` table, in the register's own database: it works the same on SQLite and
PostgreSQL, needs nothing else installed or running, and a job's end is written in the same transaction as its
work (an import's batch and its job's `done` commit together, or neither does). Its life:

    queued --claim--> running --its transaction commits--> done
                              --a refusal or an error-----> failed   (nothing written; the message is kept)
                              --its worker stops beating--> stale    (nothing written: the transaction never
                                                                      committed; the page says so, and the user
                                                                      can start it again)

* ``claim``: one UPDATE ... WHERE status = 'queued' of the oldest queued job (PostgreSQL: over a SELECT ...
  FOR UPDATE SKIP LOCKED, so workers never wait for each other), so a job runs once however many workers ask.
* Progress and heartbeat go to a small file (UPLOAD_FOLDER/jobs/<id>.json), not to the database: on SQLite
  the job's transaction holds the write lock for as long as it writes. The worker rewrites the file as its
  work advances and touches it every HEARTBEAT_SECONDS from a thread of its own; a running job whose file is
  older than JOBS_STALE_SECONDS is stale. The web and the worker share UPLOAD_FOLDER (the uploads live there).
* Handlers run under the locale of whoever queued the job, so that its messages are in their language.
* ``JOBS=inline`` (development, tests): the pages never queue; long work runs in the request.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from guarantees.extensions import db
from guarantees.models import Job
from guarantees.models.base import utcnow
from guarantees.services.errors import DomainError
from guarantees.services.transaction import unit_of_work

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
_WRITE_EVERY = 0.25  # seconds between two progress files
# Each stage's share of the bar: (start, end) in percent. A commit's reading is loading the parse kept at upload.
SPANS = {
    "import_preview": {"reading": (0, 40), "checking": (40, 80), "saving": (80, 100)},
    "import_commit": {"reading": (0, 5), "checking": (5, 35), "writing": (35, 100)},
}


class JobLost(Exception):
    """The job is no longer this worker's to finish (marked stale meanwhile): its transaction must not commit."""


def inline() -> bool:
    """Whether long work runs in the request (no worker configured)."""
    return current_app.config.get("JOBS", "inline") != "worker"


def _folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"]) / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def progress_path(job_id: int) -> Path:
    return _folder() / f"{job_id}.json"


def _sweep() -> None:
    """Forget the progress of jobs older than a day."""
    limit = time.time() - 24 * 3600
    for path in _folder().iterdir():
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < limit:
                path.unlink()


# ----------------------------------------------------------------------------- queueing and reading


def enqueue(kind: str, *, token: str | None, payload: dict, user: str) -> Job:
    """Queue a job (committed at once, so a worker can take it)."""
    _sweep()
    with unit_of_work() as session:
        job = Job(kind=kind, status="queued", upload_token=token, payload=payload, created_by=user)
        session.add(job)
        session.flush()
        job_id = job.id
    return db.session.get(Job, job_id)


def find(job_id: int, *, user: str) -> Job | None:
    """The job of this id if it is the user's own."""
    job = db.session.get(Job, job_id)
    return job if job is not None and job.created_by == user else None


def active_for(token: str) -> Job | None:
    """The queued or running job working on this upload, if any (the newest)."""
    query = (
        sa.select(Job)
        .where(Job.upload_token == token, Job.status.in_(("queued", "running")))
        .order_by(Job.id.desc())
        .limit(1)
    )
    return db.session.scalars(query).first()


@dataclass(frozen=True)
class Progress:
    """How far a job has come, as its worker last wrote it."""

    stage: str | None  # reading, checking, saving, writing
    percent: int
    done: int | None  # rows written, while writing
    total: int | None


def progress_of(job: Job) -> Progress:
    try:
        found = json.loads(progress_path(job.id).read_text())
    except (OSError, ValueError):
        return Progress(None, 0, None, None)
    return Progress(found.get("stage"), int(found.get("percent", 0)), found.get("done"), found.get("total"))


def _silent_for(job: Job) -> float:
    """Seconds since the job's worker last showed it was alive: its progress file, else its claim of the job."""
    seconds = (utcnow() - (job.started_at or job.created_at)).total_seconds()
    with contextlib.suppress(OSError):
        seconds = min(seconds, time.time() - progress_path(job.id).stat().st_mtime)
    return seconds


def waiting_long(job: Job) -> bool:
    """A job queued for longer than a worker would take to start it: no worker runs, it seems."""
    return (
        job.status == "queued"
        and (utcnow() - job.created_at).total_seconds() > current_app.config["JOBS_STALE_SECONDS"]
    )


def check_stale(job: Job) -> Job:
    """Mark a running job whose worker has stopped beating as stale (it wrote nothing); the job as it now is."""
    if job.status != "running" or _silent_for(job) <= current_app.config["JOBS_STALE_SECONDS"]:
        return job
    _mark_stale(job.id)
    db.session.expire(job)
    return db.session.get(Job, job.id)


def _mark_stale(job_id: int) -> bool:
    try:
        with unit_of_work() as session:
            result = session.execute(
                sa.update(Job)
                .where(Job.id == job_id, Job.status == "running")
                .values(status="stale", finished_at=utcnow())
            )
            changed = bool(result.rowcount)
    except DomainError:  # SQLite busy: the worker is alive after all (it holds the write lock); look again later
        return False
    if changed:
        log.warning("job stale", extra={"job": job_id})
    return changed


def reap_stale() -> int:
    """Mark every running job whose worker stopped beating as stale; how many."""
    limit = current_app.config["JOBS_STALE_SECONDS"]
    since = utcnow() - timedelta(seconds=limit)
    running = db.session.scalars(sa.select(Job).where(Job.status == "running", Job.started_at < since)).all()
    db.session.rollback()
    return sum(1 for job in running if _silent_for(job) > limit and _mark_stale(job.id))


# ----------------------------------------------------------------------------- running


def claim(worker: str) -> int | None:
    """Take the oldest queued job for this worker (atomically: one worker gets it); its id, or None."""
    with unit_of_work() as session:
        oldest = sa.select(Job.id).where(Job.status == "queued").order_by(Job.id).limit(1)
        if session.get_bind().dialect.name == "postgresql":
            oldest = oldest.with_for_update(skip_locked=True)
        taken = session.execute(
            sa.update(Job)
            .where(Job.id == oldest.scalar_subquery(), Job.status == "queued")
            .values(status="running", started_at=utcnow(), worker=worker)
            .returning(Job.id)
        ).scalar()
    return taken


def finish_in(session: Session, job_id: int, result: dict) -> None:
    """Mark the job done inside the caller's transaction (the work's own): JobLost if it is no longer running."""
    done = session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.status == "running")
        .values(status="done", result=result, finished_at=utcnow())
    )
    if not done.rowcount:
        raise JobLost(job_id)


def _fail(job_id: int, message: str) -> None:
    with unit_of_work() as session:
        session.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.status == "running")
            .values(status="failed", error=message, finished_at=utcnow())
        )


class Reporter:
    """What a handler reports its progress through: stage(name, fraction, done=, total=). Writes the progress file
    (at most every _WRITE_EVERY seconds, always on a new stage) and, from a thread, touches it as a heartbeat."""

    def __init__(self, job_id: int, kind: str) -> None:
        self.path = progress_path(job_id)
        self.spans = SPANS.get(kind, {})
        self._written = 0.0
        self._stage: str | None = None
        self._stop = threading.Event()

    def __call__(self, stage: str, fraction: float = 0.0, *, done: int | None = None, total: int | None = None):
        now = time.monotonic()
        if stage == self._stage and now - self._written < _WRITE_EVERY and fraction < 1:
            return
        start, end = self.spans.get(stage, (0, 100))
        percent = int(start + (end - start) * max(0.0, min(1.0, fraction)))
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps({"stage": stage, "percent": percent, "done": done, "total": total}))
        os.replace(partial, self.path)
        self._stage, self._written = stage, now

    @contextlib.contextmanager
    def beating(self) -> Iterator[None]:
        def beat():
            while not self._stop.wait(HEARTBEAT_SECONDS):
                with contextlib.suppress(OSError):
                    os.utime(self.path)

        self("reading")
        thread = threading.Thread(target=beat, name="job-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._stop.set()
            thread.join()


# A handler does the job's work and ends it with finish(session, result) inside its last transaction.
Handler = Callable[[Job, Callable, Callable[[Session, dict], None]], None]


def _handler(kind: str) -> Handler:
    from guarantees.services import import_uploads

    return {"import_preview": import_uploads.run_preview_job, "import_commit": import_uploads.run_commit_job}[kind]


def run(job_id: int) -> str:
    """Run a claimed job to its end; its final status."""
    job = db.session.get(Job, job_id)
    reporter = Reporter(job.id, job.kind)
    locale = (job.payload or {}).get("locale") or "en"
    began = time.monotonic()
    status = "done"
    with reporter.beating(), force_locale(locale):
        try:
            _handler(job.kind)(job, reporter, lambda session, result: finish_in(session, job_id, result))
        except JobLost:
            status = "stale"
        except DomainError as error:
            status = "failed"
            _fail(job_id, error.message)
        except Exception:
            log.exception("job failed", extra={"job": job_id, "kind": job.kind})
            status = "failed"
            _fail(job_id, _("The job stopped on an unexpected error; nothing was written. Try again, or tell the "
                            "register's administrator if it happens again."))  # fmt: skip
        finally:
            db.session.remove()
    log.info("job finished", extra={"job": job_id, "status": status, "seconds": round(time.monotonic() - began, 1)})
    return status


def _queued() -> bool:
    found = db.session.scalar(sa.select(sa.func.count()).select_from(Job).where(Job.status == "queued"))
    db.session.remove()
    return bool(found)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def work(*, once: bool = False, poll: float = 1.0, should_stop: Callable[[], bool] = lambda: False) -> int:
    """Take and run jobs until should_stop() (once=True: until none is queued); how many ran."""
    name = worker_name()
    ran = 0
    while not should_stop():
        try:
            reap_stale()
            job_id = claim(name)
        except DomainError:  # SQLite: another worker's import holds the write lock; ask again in a moment
            job_id = None
        db.session.remove()
        if job_id is None:
            if once and not _queued():
                break
            time.sleep(poll)
            continue
        run(job_id)
        ran += 1
    return ran
