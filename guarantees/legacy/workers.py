"""Worker processes for the passes over the legacy rows that are Python through and through: a migrate's scan
(by id range) and fold (by partition), and verify's reading (by id range).

In threads, that work would take turns with the migrating process's writes for the interpreter lock. Worker
processes, forked from the command's, each run whole tasks (a range to scan, a partition to fold) through a
connection of their own and send the result back; the command takes the results in task order and writes
them. At most as many tasks as workers are in flight, so memory stays flat however many there are.

A worker only reads, and ends its transaction after each task. It dies with the migrating process (a migrate
killed part-way leaves no worker behind to hold a connection). Where no process can be forked (an in-memory
SQLite database, which other connections cannot see; one CPU; a platform without fork), the tasks run here,
one after the other.
"""

import ctypes
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress

from sqlalchemy.engine import Connection, Engine

MAX_WORKERS = 4
WORKER_NICENESS = 5  # how far below the command the workers run (see _yield_to_parent)
IN_FLIGHT_SECONDS = 120  # how long a run that stopped early waits for each task in flight (one takes about a second)
PR_SET_PDEATHSIG = 1  # Linux prctl option: the signal a process gets when its parent dies

# What the workers run, and with what: set before they are forked (they inherit it; nothing of it is pickled).
_STATE: dict = {}


def workers_for(engine: Engine) -> int:
    """How many workers to start: none where they cannot share the database or a second CPU."""
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        return 0
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 0 if cpus < 2 else min(MAX_WORKERS, cpus)


@contextmanager
def mapped(engine: Engine, conn: Connection, function: Callable, tasks: Sequence, context) -> Iterator[Iterator]:
    """`function(connection, task, context)` for each task, results in task order: run by worker processes, or
    on `conn` here when there are none (or only one task). The workers start on their first tasks at once."""
    workers = min(workers_for(engine), len(tasks))
    if workers < 2:
        yield (function(conn, task, context) for task in tasks)
        return
    _STATE.update(engine=engine, context=context, function=function, connection=None, parent=os.getpid())
    pool = multiprocessing.get_context("fork").Pool(workers, initializer=_start_worker)
    waiting: deque = deque()
    try:
        yield _in_order(pool, tasks, workers, waiting)
    finally:
        # A run that stopped early (an error, Ctrl-C) lets the tasks in flight end first, and throws their results
        # away: a worker terminated while it sends one holds the pool's result queue locked, and the pool's own
        # shutdown then waits for that lock forever.
        for result in waiting:
            result.wait(IN_FLIGHT_SECONDS)
        pool.terminate()
        pool.join()
        _STATE.clear()


def _in_order(pool, tasks: Sequence, ahead: int, waiting: deque) -> Iterator:
    """Submit the first `ahead` tasks now, the others as the earlier results are taken (`waiting`: those in
    flight); yield the results in order."""
    following = iter(tasks)
    for task in following:
        waiting.append(pool.apply_async(_run, (task,)))
        if len(waiting) >= ahead:
            break
    return _results(pool, waiting, following)


def _results(pool, waiting: deque, following: Iterator) -> Iterator:
    while waiting:
        result = waiting.popleft().get()  # a worker's error ends the run here
        for task in following:
            waiting.append(pool.apply_async(_run, (task,)))
            break
        yield result


def _start_worker() -> None:
    _die_with_parent()
    _yield_to_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the migrating process, which ends the workers
    # The parent's pooled connections stay the parent's: this process opens its own.
    _STATE["engine"].dispose(close=False)


def _yield_to_parent() -> None:
    """Run below the command's own priority (nice): it is the one writer, and the run goes at its pace. With the
    workers as busy as itself on fewer cores than processes, it would get only its share of a core (about two
    thirds with two workers on two) and the workers' results would wait for it; behind it, the workers take every
    core it leaves."""
    with suppress(OSError, AttributeError):  # not allowed, or not POSIX: the workers run at the same priority
        os.nice(WORKER_NICENESS)


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown ends the workers
        pass
    if os.getppid() != _STATE["parent"]:  # the parent died before prctl took effect
        os._exit(1)


def _run(task):
    if _STATE["connection"] is None:
        _STATE["connection"] = _STATE["engine"].connect()
    conn = _STATE["connection"]
    try:
        return _STATE["function"](conn, task, _STATE["context"])
    finally:
        conn.rollback()  # no snapshot held while the migrating process writes
