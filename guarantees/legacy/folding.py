"""The fold of a migrate's partitions in worker processes, while the migrating process writes (step 3).

The fold (each number's legacy rows into a guarantee, its items and its actions) is Python through and
through: in threads it would take turns with the writes for the interpreter lock. Worker processes, forked
from the migrating one, each read and fold whole partitions through a connection of their own and send the
folded partition back; the migrating process writes them in partition order. At most a few partitions are
folded ahead of the writes, so memory stays flat however many there are.

A worker only reads, and ends its transaction after each partition. It dies with the migrating process
(a migrate killed part-way leaves no worker behind to hold a connection). Where no process can be forked
(an in-memory SQLite database, which other connections cannot see; one CPU; a platform without fork), the
partitions are folded here, one after the other.
"""

import ctypes
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine

MAX_WORKERS = 4
PR_SET_PDEATHSIG = 1  # Linux prctl option: the signal a process gets when its parent dies

# What a worker folds with, set before the workers are forked (they inherit it; nothing is pickled).
_STATE: dict = {}


def workers_for(engine: Engine) -> int:
    """How many fold workers to start: none where they cannot share the database or a second CPU."""
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        return 0
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 0 if cpus < 2 else min(MAX_WORKERS, cpus)


@contextmanager
def folded(engine: Engine, conn: Connection, parts: int, ctx, plan: Callable) -> Iterator[Iterator]:
    """The folded partitions 0..parts-1 in order (empty ones left out): `plan(connection, part, ctx)` run by
    worker processes, or on `conn` here when there are none."""
    workers = min(workers_for(engine), parts)
    if workers < 2:
        yield (planned for part in range(parts) if (planned := plan(conn, part, ctx)) is not None)
        return
    _STATE.update(engine=engine, ctx=ctx, plan=plan, connection=None, parent=os.getpid())
    pool = multiprocessing.get_context("fork").Pool(workers, initializer=_start_worker)
    try:
        yield _in_order(pool, parts, ahead=workers)
    finally:
        pool.terminate()  # a partition folded for a run that stopped early is thrown away
        pool.join()
        _STATE.clear()


def _in_order(pool, parts: int, ahead: int) -> Iterator:
    """Submit partitions as the earlier ones are taken, `ahead` at most in flight; yield them in order."""
    waiting: deque = deque()
    following = iter(range(parts))
    for part in following:
        waiting.append(pool.apply_async(_fold, (part,)))
        if len(waiting) >= ahead:
            break
    while waiting:
        planned = waiting.popleft().get()  # a worker's error ends the run here
        part = next(following, None)
        if part is not None:
            waiting.append(pool.apply_async(_fold, (part,)))
        if planned is not None:
            yield planned


def _start_worker() -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the migrating process, which ends the workers
    # The parent's pooled connections stay the parent's: this process opens its own.
    _STATE["engine"].dispose(close=False)


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown ends the workers
        pass
    if os.getppid() != _STATE["parent"]:  # the parent died before prctl took effect
        os._exit(1)


def _fold(part: int):
    if _STATE["connection"] is None:
        _STATE["connection"] = _STATE["engine"].connect()
    conn = _STATE["connection"]
    try:
        return _STATE["plan"](conn, part, _STATE["ctx"])
    finally:
        conn.rollback()  # no snapshot held while the migrating process writes
