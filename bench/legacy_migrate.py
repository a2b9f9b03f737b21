"""Time `flask legacy load`, `migrate` and `verify` on a synthetic legacy database shaped like the real one.

    .venv/bin/python bench/legacy_migrate.py [--rows 200000] [--small 20000] [--database-url URL] [--json]

The legacy file is shaped like the real backup (see generate): lists re-imported session after session, about
12 rows per number and 18 per session, Arabic and English names, a few action rows and a few rows without an id
or a number. Each size runs in its own process on a fresh database (an SQLite
temporary file, or with --database-url a throw-away database created beside the one named), so that its
peak memory (ru_maxrss) is its own: the smaller size shows that memory stays flat as rows grow.
Goal: 1.5x the legacy PHP migration (about 11,000 rows/s), so about 16,000 rows/s at 200,000 rows.
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
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import COMMENTS, PREFIXES, TYPES, fresh_database, make_banks, make_suppliers  # noqa: E402

PHP_REFERENCE = 11_000  # rows/s of the legacy PHP migration on a quiet machine of this kind
GOALS = {"migrate": 16_000, "rss_mb": 300}  # 1.5x the PHP migration (issue 16)
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


def _guarantee(rnd: random.Random, index: int, suppliers: list, banks: list) -> dict:
    """One guarantee number's values as the legacy lists carry them."""
    supplier, bank = rnd.choice(suppliers), rnd.choice(banks)
    return {
        "number": f"{rnd.choice(PREFIXES)}{index:07d}",
        "supplier": supplier["official_name"], "supplier_id": supplier["id"] if rnd.random() < 0.8 else None,
        "bank": rnd.choice((bank["official_name"], bank["official_name_en"])), "bank_id": bank["id"],
        "amount": rnd.randrange(1_000, 5_000_000), "expiry": f"202{rnd.randrange(4, 8)}-{rnd.randrange(1, 13):02d}-"
        f"{rnd.randrange(1, 29):02d}", "contract": f"C/{rnd.randrange(1000):04d}/{rnd.randrange(20, 46)}",
        "type": rnd.choice(TYPES), "related": rnd.choice(("contract", "po", "purchase_order", None)),
        "status": "ready" if rnd.random() < 0.5 else "needs_review",
    }  # fmt: skip


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write a legacy database of about `rows` imported_records rows, shaped like the real backup: lists
    re-imported session after session (about 18 rows per session, 12 per number), most rows repeating their
    number's values, some changing them (an extension, a corrected amount) or leaving cells blank; Arabic and
    English names; a few rows without an id or a number; action sessions (releases, extensions) and a few renewal
    requests."""
    rnd = random.Random(seed)
    suppliers, banks = make_suppliers(rnd, 240), make_banks()
    con = sqlite3.connect(path)
    con.executescript(SCHEMA)
    con.executemany(
        "insert into suppliers (id, official_name, display_name, normalized_name) values (?, ?, ?, ?)",
        [(s["id"], s["official_name"], s["display_name"], s["normalized_name"]) for s in suppliers],
    )
    con.executemany(
        "insert into banks (id, official_name, official_name_en, short_code) values (?, ?, ?, ?)",
        [(b["id"], b["official_name"], b["official_name_en"], b["short_code"]) for b in banks],
    )
    numbers = [_guarantee(rnd, index, suppliers, banks) for index in range(max(1, rows // 12))]
    batch, record_id, session_id, moment = [], 0, 0, 0
    while record_id < rows:
        session_id += 1
        moment += rnd.randrange(600, 40_000)  # seconds from 2024-01-01
        kind = rnd.choices(["excel", "manual", "smart_paste", "list.xlsx", "actions"], [78, 8, 4, 8, 2])[0]
        con.execute(
            "insert into import_sessions (id, session_type, created_at) values (?, ?, ?)",
            (session_id, "release_action" if kind == "actions" else kind, _stamp(moment)),
        )
        for offset in range(min(rnd.randrange(6, 31), rows - record_id)):
            record_id += 1
            g = rnd.choice(numbers)
            number, record_type = g["number"], "import"
            if kind == "actions":
                record_type = rnd.choice(["release_action", "extension_action", "extension_action", "renewal_request"])
            elif rnd.random() < 0.002:
                number = None if rnd.random() < 0.5 else "  "
            elif rnd.random() < 0.03:
                number = f" {number.lower()} "
            if record_type != "import" or rnd.random() < 0.03:  # a value that changes from here on
                g["expiry"] = f"202{rnd.randrange(6, 9)}-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}"
            if rnd.random() < 0.01:
                g["amount"] = g["amount"] // 2
            blank = rnd.random() < 0.05
            amount = g["amount"]
            batch.append(
                (
                    None if rnd.random() < 0.0005 else record_id, session_id, "" if blank else g["supplier"],
                    g["bank"], "" if blank else (f"{amount:,}.00" if amount % 3 else f"{amount}.00"), number, None,
                    g["expiry"], None, None, g["status"], g["supplier_id"], g["bank_id"], _stamp(moment + offset),
                    "auto" if rnd.random() < 0.5 else None, g["contract"], g["type"],
                    rnd.choice(COMMENTS) if rnd.random() < 0.05 else None, None, None, g["related"], record_type,
                )
            )  # fmt: skip
        if len(batch) >= 10_000:
            con.executemany(f"insert into imported_records values ({', '.join('?' * 22)})", batch)
            batch = []
    if batch:
        con.executemany(f"insert into imported_records values ({', '.join('?' * 22)})", batch)
    con.commit()
    con.close()


def _stamp(seconds: int) -> str:
    return (datetime(2024, 1, 1) + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    """CPU seconds of this process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


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
        summary = migrate(db.engine)
        result["migrate_s"] = time.perf_counter() - started
        result["migrate_cpu_s"] = _cpu_s() - cpu
        result["rss_after_migrate_mb"] = round(_rss_mb(), 1)
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
    print(
        f"legacy migration bench on {backend}, one process; reference: legacy PHP migration ~{PHP_REFERENCE:,} rows/s"
    )
    print("rows/s by wall clock, and [by this process's CPU], which a busy machine does not distort")
    print(f"{'rows':>8} {'load':>16} {'migrate':>16} {'verify':>17} {'peak RSS':>9}  result")
    for r in results.values():
        verdict = "ok" if r["ok"] else f"PROBLEMS: {r['problems']}"
        cells = [f"{r[f'{p}_rows_per_s']:>7,} [{r[f'{p}_cpu_rows_per_s']:>7,}]" for p in ("load", "migrate", "verify")]
        print(
            f"{r['rows']:>8,} {cells[0]:>16} {cells[1]:>16} {cells[2]:>17} {r['peak_rss_mb']:>6.0f} MB  "
            f"{verdict} ({r['guarantees']:,} guarantees, {r['actions']:,} actions, {r['unmigrated']} unmigrated, "
            f"{r['renumbered']} renumbered; migrate {r['migrate_s']:.1f} s; RSS before/after load/after migrate "
            f"{r['rss_before_mb']:.0f}/{r['rss_after_load_mb']:.0f}/{r['rss_after_migrate_mb']:.0f} MB)"
        )
    print(
        "load average (1, 5, 15 min): "
        + "; ".join(f"{when} {', '.join(f'{v:.2f}' for v in values)}" for when, values in load.items())
    )
    largest = results[sizes[-1]]
    print(
        f"goals: migrate >= {GOALS['migrate']:,} rows/s ({largest['migrate_rows_per_s']:,} wall, "
        f"{largest['migrate_cpu_rows_per_s']:,} CPU), {largest['migrate_rows_per_s'] / PHP_REFERENCE:.1f}x the PHP "
        f"migration; peak RSS < {GOALS['rss_mb']} MB ({largest['peak_rss_mb']:.0f} MB)"
    )
    return 0 if all(r["ok"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
