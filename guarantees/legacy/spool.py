"""The staged legacy rows of a migrate: each partition's rows, as the scan read them, in files of the run's own.

The scan (one worker process per id range at a time, see scan.py) appends each migratable row to its partition's
file, a file per partition and process, in frames (a range's rows of that partition, marshalled: about twice as
fast as pickle both ways; pickled when a value is of a type marshal does not take); the fold of a
partition (see partition.py) reads its files back. The rows go from one pass over imported_records to the fold
without being written to the database and looked up in it again: the two steps cost about what reading
imported_records once costs. The directory is private to the run (mode 0700: the files hold legacy rows) and
removed at its end; one that a run killed part-way left behind is removed when the next run starts.

A row is a plan.ROW_COLUMNS tuple whose row number counts the import rows of its batch in its own range only;
`Spool.offsets` says, for each range, what to add for the batches that began in an earlier one.
"""

import marshal
import os
import pickle
import shutil
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from guarantees.legacy.plan import BKEY, NUMBER, ROW_NUMBER

_HEADER = struct.Struct("<cQ")  # a frame: how it is encoded, its length
_MARSHAL, _PICKLE = b"m", b"p"

FLUSH_ROWS = 10_000  # rows a scan worker holds before appending them to the files: its memory stays flat


@dataclass
class Spool:
    directory: str
    offsets: list[dict] = field(default_factory=list)  # per range: batch key → its import rows in earlier ranges
    writers: set[int] = field(default_factory=set)  # the processes that wrote files


PREFIX = "legacy-migrate-"


@contextmanager
def spool_directory(parent: str | None = None) -> Iterator[str]:
    """A new private directory, removed with everything in it at the end. Named after this process: the
    directories that killed runs left behind, whose process is gone, are removed first."""
    parent = parent or tempfile.gettempdir()
    _remove_orphans(parent)
    directory = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=parent)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


class Writer:
    """The rows of one range, appended to the files of their partitions by the process scanning it, and the numbers
    of each partition's rows."""

    def __init__(self, directory: str, index: int) -> None:
        self.directory, self.index = directory, index
        self.pid = os.getpid()
        self.parts: dict[int, tuple[list, set]] = {}  # partition → its rows not written yet, its numbers
        self.held = 0

    def add(self, part: int, row: tuple) -> None:
        held = self.parts.get(part)
        if held is None:
            held = self.parts[part] = ([], set())
        held[0].append(row)
        held[1].add(row[NUMBER])
        self.held += 1
        if self.held >= FLUSH_ROWS:
            self.flush()

    def numbers(self) -> dict[int, set]:
        return {part: numbers for part, (_, numbers) in self.parts.items()}

    def flush(self) -> None:
        for part, (rows, _) in self.parts.items():
            if not rows:
                continue
            frame = (self.index, rows)
            try:
                kind, data = _MARSHAL, marshal.dumps(frame)
            except ValueError:  # a date, a decimal (PostgreSQL's columns)
                kind, data = _PICKLE, pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
            with open(_path(self.directory, part, self.pid), "ab") as out:
                out.write(_HEADER.pack(kind, len(data)))
                out.write(data)
            rows.clear()
        self.held = 0


def read(spool: Spool, part: int) -> Iterator[tuple]:
    """The rows of partition `part`, with their row numbers counted over all ranges."""
    for pid in sorted(spool.writers):
        try:
            source = open(_path(spool.directory, part, pid), "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:  # that process staged no row of this partition
            continue
        with source:
            while header := source.read(_HEADER.size):
                kind, size = _HEADER.unpack(header)
                data = source.read(size)
                # (files of this run, in its own directory, written by its own processes)
                index, rows = marshal.loads(data) if kind == _MARSHAL else pickle.loads(data)  # noqa: S301, S302
                offsets = spool.offsets[index]
                if not offsets:
                    yield from rows
                    continue
                for row in rows:
                    offset = offsets.get(row[BKEY])
                    if offset:
                        row = (*row[:ROW_NUMBER], row[ROW_NUMBER] + offset, *row[ROW_NUMBER + 1 :])
                    yield row


def _remove_orphans(parent: str) -> None:
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        pid = name[len(PREFIX) :].split("-", 1)[0]
        if not name.startswith(PREFIX) or not pid.isdigit() or _alive(int(pid)):
            continue
        path = os.path.join(parent, name)
        if os.path.isdir(path) and os.stat(path).st_uid == os.getuid():
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # (PermissionError: another user's process, alive)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _path(directory: str, part: int, pid: int) -> str:
    return os.path.join(directory, f"{part}.{pid}")
