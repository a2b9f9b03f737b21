"""`flask jobs work`: the job worker that runs long imports (their preview, mapping and confirmation) in the
background, beside the web server (`make serve` starts one; the README shows a systemd unit).

    flask jobs work                 # until stopped (SIGTERM, SIGINT): the job under way is finished first
    flask jobs work --once          # the jobs queued now, then exit (cron, tests)

Exit status: 0 stopped or done; 1 a usage error.
"""

from __future__ import annotations

import os
import signal

import click
from flask.cli import AppGroup

from guarantees.services import jobs as service

jobs = AppGroup("jobs", help="Background jobs (long imports).")


@jobs.command("work")
@click.option("--once", is_flag=True, help="Run the jobs queued now, then exit.")
@click.option("--poll", type=click.FloatRange(min=0.05), default=1.0, show_default=True,
              help="Seconds between two looks at the queue when it is empty.")  # fmt: skip
@click.option("--stop-with", "parent", type=int, metavar="PID",
              help="Stop once the process PID has ended (make serve: the worker stops with make).")  # fmt: skip
def work(once: bool, poll: float, parent: int | None) -> None:
    """Take queued jobs one at a time and run each to its end."""
    stopping = {"asked": False}

    def stop(signum, _frame):
        stopping["asked"] = True
        click.echo(f"jobs: {signal.Signals(signum).name}, stopping after the job under way", err=True)

    for name in ("SIGTERM", "SIGINT"):
        signal.signal(getattr(signal, name), stop)

    def should_stop() -> bool:
        if parent is not None and not _alive(parent):
            stopping["asked"] = True
        return stopping["asked"]

    click.echo(f"jobs: worker {service.worker_name()} {'running the queued jobs' if once else 'waiting for jobs'}",
               err=True)  # fmt: skip
    ran = service.work(once=once, poll=poll, should_stop=should_stop)
    click.echo(f"jobs: {ran} job(s) run", err=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
