"""Time the Excel import on a generated workbook against the floor of any import of the same file.

    .venv/bin/python bench/import_excel.py [--rows 50000] [--database-url URL] [--keep]

Generates a workbook with bench/excel_floor.py's make_workbook (title row, header, Arabic and
English names), then, on a fresh migrated database (a temporary SQLite file unless
--database-url names an empty database to migrate and use), times:

* floor: python-calamine read + one executemany of the same rows into SQLite (excel_floor);
* dry run: import service evaluate() (read, detect, parse, evaluate against the register);
* commit: import service commit() of the file into the empty register (all rows new);
* re-run: dry run of the same file against the register it filled (all rows unchanged).

Floor and dry run are timed alternately, best of 3 each. Prints seconds, rows/s and the ratio
to the floor measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from excel_floor import floor_seconds, make_workbook  # noqa: E402

from guarantees import create_app  # noqa: E402
from guarantees.extensions import db  # noqa: E402
from guarantees.services import imports as service  # noqa: E402

GOAL_DRY_RUN = 2.5


def _timed(run):
    began = time.perf_counter()
    result = run()
    return time.perf_counter() - began, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--database-url", help="an empty database to migrate and import into (default: temp SQLite)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    path = make_workbook(work / f"guarantees-{args.rows}.xlsx", args.rows)
    url = args.database_url or f"sqlite:///{work / 'register.db'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-" + "x" * 32,
            "UPLOAD_FOLDER": str(work / "uploads"),
            "MAX_IMPORT_ROWS": max(200_000, args.rows + 10),
        }
    )
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        db.session.remove()
        # Floor and dry run alternate, best of 3 each, so that both see the same load on a shared machine.
        floors, dry_runs = [], []
        for _ in range(3):
            floors.append(floor_seconds(path))
            dry_runs.append(_timed(lambda: service.evaluate(path, path.name)))
            db.session.rollback()
        floor = min(floors)
        dry, preview = min(dry_runs, key=lambda run: run[0])
        done, result = _timed(lambda: service.commit(path, path.name, user="bench"))
        again, rerun = _timed(lambda: service.evaluate(path, path.name))
        db.session.remove()
        db.engine.dispose()

    rows = len(preview.rows)
    print(f"workbook: {path.name}, {path.stat().st_size / 1e6:.1f} MB, {rows} rows; database {url.split(':')[0]}")
    print(f"floor    {floor:7.3f} s  {rows / floor:9,.0f} rows/s")
    for label, seconds in (("dry run", dry), ("commit", done), ("re-run", again)):
        print(f"{label:8} {seconds:7.3f} s  {rows / seconds:9,.0f} rows/s  x{seconds / floor:.2f} floor")
    print(f"counts: dry run {preview.counts}; commit batch {result.batch_id}; re-run {rerun.counts}")
    ok = dry / floor <= GOAL_DRY_RUN
    print(f"dry run goal x{GOAL_DRY_RUN}: {'met' if ok else 'NOT met'}")
    if args.keep:
        print(f"kept {work}")
    else:
        for child in sorted(work.rglob("*"), reverse=True):
            child.unlink() if child.is_file() else child.rmdir()
        work.rmdir()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("APP_ENV", "development")
    sys.exit(main())
