"""Time `flask legacy load`, `migrate` and `verify` on a synthetic legacy database shaped like the real one.

    .venv/bin/python bench/legacy_migrate.py [--rows 200000] [--small 20000] [--database-url URL] [--json]

The legacy file repeats imports of the same numbers (about 12 rows per number, about 22 rows per
session, as in bgl-2025-12-17.sqlite), mixes Arabic and English names, and has some action rows and a
few rows without an id or a number. Each size runs in its own process on a fresh database (an SQLite
temporary file, or with --database-url a throw-away database created beside the one named), so that its
peak memory (ru_maxrss) is its own: the smaller size shows that memory stays flat as rows grow.
Reference: the legacy PHP migration moved about 11,000 rows/s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import fresh_database  # noqa: E402

PHP_REFERENCE = 11_000
GOALS = {"migrate": 40_000, "total": 20_000, "rss_mb": 300}
SUPPLIERS = [
    "شركة الخليج الطبية المحدودة", "شركة ريم الوسط للتجارة", "شركة الحياة الطبية", "Lana Medical Company",
    "TECH FLOW COMPANY FOR TRADING", "ALMARSHD ", "Al Faisaliah Medical Systems", "مؤسسة النهدي الطبية",
    "Gulf Pharmaceutical Industries", "شركة المستلزمات\u00a0الطبية",
]  # fmt: skip
BANKS = ["البنك العربي الوطني", "Banque Saudi Fransi", "Riyad Bank", "Bahrain bank", "مصرف الراجحي", "SNB"]
SCHEMA = """
create table import_sessions (id integer primary key autoincrement, session_type text not null,
    record_count integer default 0, created_at text);
create table imported_records (id integer, session_id integer, raw_supplier_name text, raw_bank_name text,
    amount text, guarantee_number text, issue_date text, expiry_date text, normalized_supplier text,
    normalized_bank text, match_status text, supplier_id integer, bank_id integer, created_at text,
    decision_result text, contract_number text, type text, comment text, bank_display text,
    supplier_display_name text, related_to text, record_type text);
create table suppliers (id integer primary key autoincrement, official_name text not null, display_name text,
    normalized_name text not null, is_confirmed integer default 0, created_at text, updated_at text);
create table banks (id integer primary key autoincrement, official_name text not null, official_name_en text,
    official_name_ar text, normalized_key text, short_code text, is_confirmed integer default 0,
    created_at text, updated_at text, address_line_1 text, address_line_2 text, contact_email text,
    department text);
"""


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write a legacy database of about `rows` imported_records rows."""
    rnd = random.Random(seed)
    con = sqlite3.connect(path)
    con.executescript(SCHEMA)
    con.executemany(
        "insert into suppliers (id, official_name, normalized_name) values (?, ?, ?)",
        [(i + 1, f"{SUPPLIERS[i % len(SUPPLIERS)]} {i}", f"s{i}") for i in range(150)],
    )
    con.executemany(
        "insert into banks (id, official_name, official_name_en) values (?, ?, ?)",
        [(i + 1, BANKS[i % len(BANKS)], f"Bank {i}") for i in range(40)],
    )
    numbers = max(1, rows // 12)
    batch, record_id, session_id, day = [], 0, 0, 0
    while record_id < rows:
        session_id += 1
        day += rnd.random() < 0.3
        stamp = (
            f"2024-{1 + (day // 28) % 12:02d}-{1 + day % 28:02d} {rnd.randrange(8, 18):02d}:{rnd.randrange(60):02d}:00"
        )
        kind = rnd.choices(["excel", "manual", "smart_paste", "report.xlsx", "actions"], [70, 10, 5, 10, 5])[0]
        con.execute(
            "insert into import_sessions (id, session_type, created_at) values (?, ?, ?)",
            (session_id, "release_action" if kind == "actions" else kind, stamp),
        )
        start = rnd.randrange(numbers)
        for offset in range(min(rnd.randrange(10, 35), rows - record_id)):
            record_id += 1
            index = (start + offset) % numbers
            number = f"BG{index:07d}"
            record_type = "import"
            if kind == "actions":
                record_type = rnd.choice(["release_action", "extension_action", "extension_action", "renewal_request"])
            elif rnd.random() < 0.001:
                number = None if rnd.random() < 0.5 else "  "
            elif rnd.random() < 0.05:
                number = f" {number.lower()} "
            # Each number has its own values; most re-imports repeat them, some change, some leave cells blank.
            base = random.Random(index)
            supplier, bank = base.randrange(150), base.randrange(40)
            amount = base.randrange(1_000, 5_000_000) * (2 if rnd.random() < 0.1 else 1)
            expiry = f"202{base.randrange(4, 8)}-{base.randrange(1, 13):02d}-{base.randrange(1, 29):02d}"
            if rnd.random() < 0.1:
                expiry = f"2028-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}"
            blank = rnd.random() < 0.1
            batch.append(
                (
                    None if rnd.random() < 0.0005 else record_id, session_id,
                    "" if blank else SUPPLIERS[supplier % len(SUPPLIERS)], "" if blank else BANKS[bank % len(BANKS)],
                    "" if blank else (f"{amount:,}.00" if index % 3 == 0 else f"{amount}.00"), number, None,
                    expiry, f"s{supplier}", f"b{bank}", "ready" if base.random() < 0.6 else "needs_review",
                    supplier + 1, bank + 1, stamp, "auto" if rnd.random() < 0.5 else None,
                    f"C/{base.randrange(1000):04d}/2{base.randrange(10)}",
                    ["FINAL", "Final", None, "ADVANCED"][index % 4],
                    "للتمديد" if index % 5 == 0 else None, None, None,
                    ["contract", "purchase_order", None][index % 3], record_type,
                )
            )  # fmt: skip
        if len(batch) >= 10_000:
            con.executemany(f"insert into imported_records values ({', '.join('?' * 22)})", batch)
            batch = []
    if batch:
        con.executemany(f"insert into imported_records values ({', '.join('?' * 22)})", batch)
    con.commit()
    con.close()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _mb(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.0f} MB"


def _cpu_s() -> float:
    """CPU seconds of this process and of its children that have ended (the migrate's fold workers)."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    )


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            return next((int(line.split()[1]) for line in rollup if line.startswith("Pss:")), 0)
    except OSError:
        return 0


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(entry.read_text().rsplit(") ", 1)[1].split()[1]) == pid:
                found.append(int(entry.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


class MemoryPeak(threading.Thread):
    """The peak memory of this process and its worker processes together: the sum of their proportional set
    sizes (each page shared after a fork counted once, split among its sharers), sampled five times a second."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kb = 0
        self.stopped = threading.Event()
        self.available = Path(f"/proc/{os.getpid()}/smaps_rollup").exists()

    def run(self) -> None:
        while self.available and not self.stopped.wait(0.2):
            me = os.getpid()
            self.peak_kb = max(self.peak_kb, _pss_kb(me) + sum(_pss_kb(pid) for pid in _children(me)))

    def stop(self) -> float | None:
        self.stopped.set()
        self.join()
        return round(self.peak_kb / 1024, 1) if self.available else None


def child(legacy: str, url: str) -> dict:
    """Upgrade, load, migrate, verify in this process; timings and peak memory."""
    from flask_migrate import upgrade

    from guarantees import create_app
    from guarantees.extensions import db
    from guarantees.legacy.load import load
    from guarantees.legacy.migrate import migrate
    from guarantees.legacy.verify import verify

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    result = {}
    with app.app_context():
        upgrade()
        result["rss_before_mb"] = round(_rss_mb(), 1)
        started, cpu = time.perf_counter(), _cpu_s()
        loaded = load(db.engine, legacy)
        result["load_s"] = time.perf_counter() - started
        result["load_cpu_s"] = _cpu_s() - cpu
        result["rss_after_load_mb"] = round(_rss_mb(), 1)
        started, cpu = time.perf_counter(), _cpu_s()
        memory = MemoryPeak()
        memory.start()
        summary = migrate(db.engine)
        result["migrate_s"] = time.perf_counter() - started
        result["migrate_cpu_s"] = _cpu_s() - cpu
        result["rss_after_migrate_mb"] = round(_rss_mb(), 1)
        result["migrate_peak_pss_mb"] = memory.stop()
        result["worker_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
        started, cpu = time.perf_counter(), _cpu_s()
        report = verify(db.engine)
        result["verify_s"] = time.perf_counter() - started
        result["verify_cpu_s"] = _cpu_s() - cpu
        result.update(
            rows=loaded.copied["imported_records"], renumbered=loaded.renumbered_total, ok=report["ok"],
            problems=report["problems"], guarantees=report["counts"]["guarantees"],
            actions=report["counts"]["guarantee_actions"], unmigrated=report["counts"]["unmigrated_rows"],
            items=dict(summary.items), peak_rss_mb=round(_rss_mb(), 1),
        )  # fmt: skip
        db.engine.dispose()
    return result


def run_size(rows: int, url: str | None, folder: Path) -> dict:
    legacy = folder / f"legacy-{rows}.sqlite"
    started = time.perf_counter()
    generate(legacy, rows)
    generated = time.perf_counter() - started
    # An SQLite URL is not kept: each size needs a fresh file, so it gets a temporary one like no URL at all.
    target, drop = fresh_database(None if not url or url.startswith("sqlite") else url, f"legacy-{rows}")
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(legacy), "--database-url", target],
            capture_output=True, text=True, check=False, cwd=ROOT,
        )  # fmt: skip
    finally:
        drop()
    if out.returncode != 0:
        raise SystemExit(f"bench child failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["generate_s"] = generated
    n = result["rows"]
    for phase in ("load", "migrate", "verify"):
        result[f"{phase}_rows_per_s"] = round(n / result[f"{phase}_s"])
        result[f"{phase}_cpu_rows_per_s"] = round(n / result[f"{phase}_cpu_s"])
    total = result["load_s"] + result["migrate_s"] + result["verify_s"]
    result["total_s"] = total
    result["total_rows_per_s"] = round(n / total)
    cpu = result["load_cpu_s"] + result["migrate_cpu_s"] + result["verify_cpu_s"]
    result["total_cpu_rows_per_s"] = round(n / cpu)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--small", type=int, default=20_000, help="a smaller size, to show memory is flat (0: skip)")
    parser.add_argument("--database-url", help="a PostgreSQL database to create throw-away databases beside")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", metavar="LEGACY", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.database_url)))
        return 0
    sizes = [size for size in (args.small, args.rows) if size]
    results = {}
    # The machine may be shared: the load average says how much of it the figures had.
    load = {"start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="bench-legacy-") as folder:
        for size in sizes:
            results[size] = run_size(size, args.database_url, Path(folder))
    load["end"] = os.getloadavg()
    backend = "postgresql" if args.database_url and not args.database_url.startswith("sqlite") else "sqlite"
    if args.json:
        print(json.dumps({"backend": backend, "php_reference_rows_per_s": PHP_REFERENCE, "results": results,
                          "load_average": load}))  # fmt: skip
        return 0 if all(r["ok"] for r in results.values()) else 1
    cpu_note = "the CPU of this process and its fold workers" + (
        " (the server's work is not in it)" if backend == "postgresql" else ""
    )
    print(f"legacy migration bench on {backend}; reference: legacy PHP migration ~{PHP_REFERENCE:,} rows/s")
    print(f"rows/s by wall clock, and [by {cpu_note}], which a busy machine does not distort")
    print(f"{'rows':>8} {'load':>16} {'migrate':>16} {'verify':>17} {'total':>16} {'peak RSS':>9}  result")
    for r in results.values():
        verdict = "ok" if r["ok"] else f"PROBLEMS: {r['problems']}"
        cells = [
            f"{r[f'{p}_rows_per_s']:>7,} [{r[f'{p}_cpu_rows_per_s']:>7,}]"
            for p in ("load", "migrate", "verify", "total")
        ]
        print(
            f"{r['rows']:>8,} {cells[0]:>16} {cells[1]:>16} {cells[2]:>17} {cells[3]:>16} {r['peak_rss_mb']:>6.0f} MB  "
            f"{verdict} ({r['guarantees']:,} guarantees, {r['actions']:,} actions, {r['unmigrated']} unmigrated, "
            f"{r['renumbered']} renumbered; RSS after load/migrate/verify {r['rss_after_load_mb']:.0f}/"
            f"{r['rss_after_migrate_mb']:.0f}/{r['peak_rss_mb']:.0f} MB; a fold worker's peak RSS "
            f"{r['worker_peak_rss_mb']:.0f} MB, pages shared with this process included; the migrate and its "
            f"workers together at most {_mb(r['migrate_peak_pss_mb'])} (PSS))"
        )
    print(
        "load average (1, 5, 15 min): "
        + "; ".join(f"{when} {', '.join(f'{v:.2f}' for v in values)}" for when, values in load.items())
    )
    largest = results[sizes[-1]]
    print(
        f"goals: migrate >= {GOALS['migrate']:,} rows/s ({largest['migrate_rows_per_s']:,} wall, "
        f"{largest['migrate_cpu_rows_per_s']:,} CPU); load+migrate+verify >= {GOALS['total']:,} rows/s "
        f"({largest['total_rows_per_s']:,} wall, {largest['total_cpu_rows_per_s']:,} CPU); peak RSS < "
        f"{GOALS['rss_mb']} MB ({largest['peak_rss_mb']:.0f} MB; with the fold workers "
        f"{_mb(largest['migrate_peak_pss_mb'])} PSS); migrate "
        f"{largest['migrate_rows_per_s'] / PHP_REFERENCE:.1f}x the PHP migration by wall clock"
    )
    return 0 if all(r["ok"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
