"""The staged rows of a migrate (spool.py): what the scan appends, the fold reads back whole, numbered across
ranges, whatever the types of the values; the files are private to the run and gone at its end."""

import os
import stat
from datetime import datetime
from decimal import Decimal

from guarantees.legacy import spool
from guarantees.legacy.plan import BKEY, ROW_NUMBER
from guarantees.legacy.rows import ACTION, IMPORT


def _row(legacy_id: int, key: str | None, row_number: int | None, *cells) -> tuple:
    kind = IMPORT if key else ACTION
    return ("G-1", legacy_id, "2025-01-01 10:00:00", kind, None, key, row_number, *cells)


def test_rows_come_back_with_their_numbers_counted_over_every_range(monkeypatch):
    monkeypatch.setattr(spool, "FLUSH_ROWS", 2)  # several frames per range
    with spool.spool_directory() as directory:
        staged = spool.Spool(directory)
        first = spool.Writer(directory, 0)
        for legacy_id, number in ((1, 1), (2, 2), (3, 3)):
            first.add(0, _row(legacy_id, "excel_import|7", number, "supplier"))
        first.flush()
        second = spool.Writer(directory, 1)
        second.add(0, _row(4, "excel_import|7", 1, "supplier"))  # batch 7 goes on from range 0's three rows
        second.add(0, _row(5, "excel_import|8", 1, "bank"))  # batch 8 begins here
        second.add(0, _row(6, None, None, "action"))
        second.add(1, _row(7, "excel_import|8", 2, "other partition"))
        second.flush()
        staged.writers.add(first.pid)
        staged.offsets = [{}, {"excel_import|7": 3}]
        rows = sorted(spool.read(staged, 0), key=lambda row: row[1])
        assert [(row[1], row[BKEY], row[ROW_NUMBER]) for row in rows] == [
            (1, "excel_import|7", 1), (2, "excel_import|7", 2), (3, "excel_import|7", 3), (4, "excel_import|7", 4),
            (5, "excel_import|8", 1), (6, None, None),
        ]  # fmt: skip
        assert [row[-1] for row in rows] == ["supplier"] * 4 + ["bank", "action"]
        assert [row[1] for row in spool.read(staged, 1)] == [7]
        assert list(spool.read(staged, 2)) == []  # no file: no row
    assert not os.path.exists(directory)


def test_values_of_any_type_come_back_as_they_were_staged():
    """PostgreSQL's legacy columns give dates and decimals, which a frame holds as well as text and numbers."""
    cells = ("مؤسسة الاختبار", Decimal("1500.25"), datetime(2025, 3, 1, 9, 30), None, 3.5, 12)
    with spool.spool_directory() as directory:
        writer = spool.Writer(directory, 0)
        writer.add(3, _row(1, "manual_batch|2025-03-01", 1, *cells))
        writer.add(3, _row(2, "manual_batch|2025-03-01", 2, "plain", 1))
        writer.flush()
        staged = spool.Spool(directory, offsets=[{}], writers={writer.pid})
        rows = list(spool.read(staged, 3))
        mode = stat.S_IMODE(os.stat(directory).st_mode)
    assert rows[0][ROW_NUMBER + 1 :] == cells
    assert rows[1][ROW_NUMBER + 1 :] == ("plain", 1)
    assert mode == 0o700  # the files hold legacy rows: no other user reads them


def test_a_new_run_removes_what_killed_runs_left_and_nothing_else(tmp_path):
    import subprocess
    import sys

    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = int(ended.stdout)  # a process that has ended
    left = tmp_path / f"{spool.PREFIX}{gone}-abc"
    running = tmp_path / f"{spool.PREFIX}{os.getppid()}-def"  # a run still going (its process is alive)
    other = tmp_path / "legacy-migrate-notes"
    for folder in (left, running, other):
        folder.mkdir()
        (folder / "0.1").write_bytes(b"rows")
    with spool.spool_directory(str(tmp_path)) as directory:
        assert os.path.basename(directory).startswith(f"{spool.PREFIX}{os.getpid()}-")
        assert not left.exists()
        assert running.exists() and other.exists()
    assert not os.path.exists(directory)
