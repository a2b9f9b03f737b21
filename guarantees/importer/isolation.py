"""Run one function in a forked child with memory and time limits, and get its result back.

The reader parses a workbook this way: whatever a file makes the parser do (python-calamine aborts the whole
process when an allocation fails, and a grid it builds can ask for hundreds of gigabytes), only the child
dies, and the caller gets a clear refusal instead of a dead worker. The child:

* may grow by `memory` bytes of address space beyond what it inherited (RLIMIT_AS), writes no core file,
  and gets `seconds` of CPU (RLIMIT_CPU); the parent also kills it after `seconds` of wall time;
* sends back its result pickled through a pipe (the result must be picklable), or the exception it raised
  when that is one of `passes` (pickled too), then leaves with os._exit: no atexit handler, no buffered
  output of the parent's, no connection it inherited is closed or touched.

Where os.fork does not exist, the function runs in the calling process.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class OutOfMemory(Exception):
    """The child needed more memory than it was allowed."""


class OutOfTime(Exception):
    """The child ran longer than it was allowed."""


def available() -> bool:
    return hasattr(os, "fork")


def _address_space() -> int:
    """This process's current virtual size, in bytes."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit(memory: int, seconds: float) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = _address_space() + memory
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    if seconds:
        cpu = max(1, int(seconds) + 1)
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        if hard == resource.RLIM_INFINITY or hard >= cpu:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, hard))


def _child(write_fd: int, function: Callable[[], T], passes: tuple[type[BaseException], ...], memory, seconds):
    status = 0
    try:
        for name in ("SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGCHLD", "SIGALRM"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_DFL)
        # Quiet: a parser that aborts prints its own message and backtrace to stderr (and faulthandler, when the
        # parent enabled it, a Python one on a file of its own).
        if faulthandler.is_enabled():
            faulthandler.disable()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        _limit(memory, seconds)
        try:
            payload = (True, function())
        except MemoryError:
            payload = (False, OutOfMemory())
        except passes as error:
            payload = (False, error)
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(write_fd, view) :]
    except MemoryError:
        status = 3
    except BaseException:  # noqa: BLE001 - anything else: the parent reports a failed child
        status = 4
    finally:
        os._exit(status)


def run(
    function: Callable[[], T],
    *,
    memory: int,
    seconds: float,
    passes: tuple[type[BaseException], ...] = (),
) -> T:
    """function() in a child process; its exceptions of a `passes` type are raised here. OutOfMemory when it ran out
    of memory (or died of a signal), OutOfTime when it ran out of time, RuntimeError when it failed otherwise."""
    if not available():
        return function()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_fd)
        _child(write_fd, function, passes, memory, seconds)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + seconds if seconds else None
    timed_out = False
    try:
        while True:
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([read_fd], [], [], wait)
            if not ready:
                continue
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        if timed_out:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if timed_out:
        raise OutOfTime()
    if os.WIFSIGNALED(status):
        if os.WTERMSIG(status) == signal.SIGXCPU:
            raise OutOfTime()
        raise OutOfMemory()
    code = os.WEXITSTATUS(status)
    if code == 3:
        raise OutOfMemory()
    if code != 0 or not chunks:
        raise RuntimeError(f"the child process failed (exit status {code})")
    ok, value = pickle.loads(b"".join(chunks))  # noqa: S301 - written by our own child
    if ok:
        return value
    raise value
