"""Speed at scale: server time of the search, guarantee and dashboard pages on a large register.

    .venv/bin/python bench/scale.py [--guarantees 200000] [--actions 1000000] [--database-url URL]
                                    [--queries 300] [--repeats 20] [--no-mirror] [--explain] [--json FILE]
                                    [--keep] [--existing URL]

Generates a register straight into a freshly migrated database (an SQLite file in a temporary folder, or
with --database-url a throw-away database created on that PostgreSQL server and dropped at the end):
~1,000 suppliers and 40 banks (Arabic and English names), --guarantees guarantees and --actions history
rows split into batch items (30%: one per guarantee plus repeats in later Excel files), issued actions
(45%: extensions, reductions, releases) and inline edits (25%); one guarantee has a 500-entry timeline and
one a 5-entry timeline. Unless --no-mirror, the dual-write legacy rows (imported_records: one per item,
action and edit save) and the letter prints (one per day's action session) are written too, as a
register that ran with DUAL_WRITE on and printed its letters would hold.

Then, in process with the Flask test client, signed in as an editor, it times (server time, p50/p95):
the search page /guarantees?q=... over --queries different queries (numbers, number fragments, supplier
fragments in Arabic and English, bank names, contract numbers; half of them as htmx requests), the
guarantee page with the 500-entry timeline, guarantee pages picked at random, and the dashboard; and it
counts the SQL statements each page runs (a before_cursor_execute listener), which must not grow with the
timeline (5 vs 500 entries) or the page number (1 vs 50). --explain prints the plan of the slowest
statement of each page. Figures are printed beside the goals, never asserted.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402  (puts the project root on sys.path)
import sqlalchemy as sa  # noqa: E402

GOALS_MS = {"search": 50, "guarantee": 50, "dashboard": 150}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class SqlLog:
    """Statements run on an engine (with their time), between start() and stop()."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.active = False
        self.statements: list[tuple[str, object, float]] = []
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if self.active:
            self.statements.append((statement, parameters, time.perf_counter() - conn.info.pop("bench_started", 0)))

    def start(self) -> None:
        self.statements = []
        self.active = True

    def stop(self) -> list[tuple[str, object, float]]:
        self.active = False
        return self.statements

    def remove(self) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._before)
        sa.event.remove(self.engine, "after_cursor_execute", self._after)


class Pages:
    """Requests through the test client, timed, with the SQL they ran."""

    def __init__(self, app, engine) -> None:
        self.client = app.test_client()
        self.sql = SqlLog(engine)
        self.errors: list[str] = []
        self.slowest: dict[str, tuple[float, str, object]] = {}
        self.sql_seconds: dict[str, list[float]] = defaultdict(list)
        self.by_statement: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.requests: dict[str, int] = defaultdict(int)
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.sign_in()

    def sign_in(self) -> None:
        page = self.client.get("/login")
        token = CSRF.search(page.get_data(as_text=True))
        response = self.client.post(
            "/login",
            data={"username": common.BENCH_USER, "password": common.BENCH_PASSWORD, "csrf_token": token.group(1)},
        )
        if response.status_code != 303:
            raise SystemExit(f"sign-in failed: {response.status_code}")

    def get(self, kind: str, url: str, *, htmx: bool = False) -> tuple[float, int]:
        """Seconds and SQL statements of one GET (and, in self.cpu, the CPU seconds this process spent on it)."""
        headers = {"HX-Request": "true"} if htmx else {}
        self.sql.start()
        cpu = time.process_time()
        began = time.perf_counter()
        response = self.client.get(url, headers=headers)
        response.get_data()
        seconds = time.perf_counter() - began
        self.cpu[kind].append(time.process_time() - cpu)
        statements = self.sql.stop()
        if response.status_code != 200:
            self.errors.append(f"{response.status_code} {url}")
        self.sql_seconds[kind].append(sum(s for _sql, _params, s in statements))
        self.requests[kind] += 1
        for statement, parameters, spent in statements:
            self.by_statement[kind][statement] += spent
            if spent > self.slowest.get(kind, (0,))[0]:
                self.slowest[kind] = (spent, statement, parameters)
        return seconds, len(statements)


def search_queries(register: common.Register, count: int, seed: int = 5) -> list[tuple[str, str]]:
    """(category, query string) pairs: numbers, fragments, names in both languages, banks, contracts."""
    rnd = random.Random(seed)
    suppliers = register.suppliers
    arabic = [s["official_name"] for s in suppliers if not s["official_name"].isascii()]
    english = [s["official_name"] for s in suppliers if s["official_name"].isascii()]

    def fragment(name: str) -> str:
        words = [w for w in name.split() if len(w) > 3] or name.split()
        return " ".join(words[: rnd.choice((1, 1, 2))])

    makers = (
        ("number", lambda: rnd.choice(register.numbers)),
        ("number fragment", lambda: rnd.choice(register.numbers)[-6:]),
        ("number as typed", lambda: rnd.choice(register.numbers).lower()[:3] + " " + rnd.choice(register.numbers)[3:]),
        ("supplier (ar)", lambda: fragment(rnd.choice(arabic))),
        ("supplier (en)", lambda: fragment(rnd.choice(english)).lower()),
        ("bank", lambda: rnd.choice(register.banks)[rnd.choice(("official_name_en", "official_name_ar"))]),
        ("contract", lambda: rnd.choice(register.contracts)),
        ("contract fragment", lambda: rnd.choice(register.contracts)[:9]),
    )
    queries = []
    for index in range(count):
        category, make = makers[index % len(makers)]
        params = {"q": make()}
        extra = index % 5
        if extra == 1:
            params["status"] = "active"
        elif extra == 2:
            params["sort"] = rnd.choice(("amount", "number", "supplier"))
            params["order"] = "desc"
        elif extra == 3:
            params["page"] = 2
        queries.append((category, "/guarantees?" + urlencode(params)))
    return queries


def measure(app, engine, register: common.Register, queries: int, repeats: int = 20) -> dict:
    pages = Pages(app, engine)
    results: dict = {"pages": {}, "categories": {}, "queries_per_page": {}}
    big, small = f"/guarantees/{register.big_id}", f"/guarantees/{register.small_id}"
    for url in ("/", "/guarantees", big, small, "/guarantees?q=gulf"):  # warm-up: templates, caches
        pages.get("warmup", url)
        pages.get("warmup", url, htmx=True)

    # statements per page: constant whatever the history or the page
    counts = results["queries_per_page"]
    for label, url, htmx in (
        ("guarantee, 5-entry timeline", small, False),
        ("guarantee, 500-entry timeline", big, False),
        ("list, page 1", "/guarantees", False),
        ("list, page 50", "/guarantees?page=50", False),
        ("list, page 1 (htmx)", "/guarantees", True),
        ("list, page 50 (htmx)", "/guarantees?page=50", True),
        ("search 'gulf', page 1", "/guarantees?q=gulf", False),
        ("search 'gulf', page 3", "/guarantees?q=gulf&page=3", False),
        ("dashboard", "/", False),
        ("list, expired", "/guarantees?status=expired", False),
        ("list, expiring within 90 days, no extension prepared", "/guarantees?days=90&todo=extend", False),
    ):
        counts[label] = pages.get("count", url, htmx=htmx)[1]

    timings: dict[str, list[float]] = defaultdict(list)
    by_category: dict[str, list[float]] = defaultdict(list)
    for index, (category, url) in enumerate(search_queries(register, queries)):
        seconds, _count = pages.get("search", url, htmx=index % 2 == 1)
        timings["search"].append(seconds)
        by_category[category].append(seconds)
    for _ in range(repeats):
        timings["list, no query, page 1"].append(pages.get("list", "/guarantees")[0])
        timings["list, no query, page 50"].append(pages.get("list50", "/guarantees?page=50")[0])
        timings["guarantee, 500-entry timeline"].append(pages.get("guarantee", big)[0])
        timings["dashboard"].append(pages.get("dashboard", "/")[0])
        timings["list, expired"].append(pages.get("expired", "/guarantees?status=expired")[0])
        timings["list, expired, page 20"].append(pages.get("expired20", "/guarantees?status=expired&page=20")[0])
        timings["list, to extend (worklist)"].append(pages.get("to extend", "/guarantees?days=90&todo=extend")[0])
    rnd = random.Random(3)
    for _ in range(repeats):
        gid = rnd.randint(1, max(register.sample_ids))
        timings["guarantee, random"].append(pages.get("guarantee random", f"/guarantees/{gid}")[0])
    kinds = {
        "search": "search", "list, no query, page 1": "list", "list, no query, page 50": "list50",
        "guarantee, 500-entry timeline": "guarantee", "dashboard": "dashboard", "guarantee, random": "guarantee random",
        "list, expired": "expired", "list, expired, page 20": "expired20", "list, to extend (worklist)": "to extend",
    }  # fmt: skip
    for label, values in timings.items():
        results["pages"][label] = common.summary_ms(values)
        cpu = common.summary_ms(pages.cpu[kinds[label]])
        results["pages"][label]["cpu_p50"], results["pages"][label]["cpu_p95"] = cpu["p50"], cpu["p95"]
    for category, values in by_category.items():
        results["categories"][category] = common.summary_ms(values)
    results["sql_ms_mean"] = {
        kind: 1000 * sum(values) / len(values) for kind, values in pages.sql_seconds.items() if kind != "warmup"
    }
    results["errors"] = pages.errors
    results["slowest"] = {
        kind: {"ms": spent * 1000, "sql": " ".join(statement.split())[:300], "parameters": parameters}
        for kind, (spent, statement, parameters) in pages.slowest.items()
        if kind not in ("warmup", "count")
    }
    results["top_statements"] = {
        kind: [
            {"ms_per_request": 1000 * spent / pages.requests[kind], "sql": _label(statement)}
            for statement, spent in sorted(statements.items(), key=lambda item: -item[1])[:3]
        ]
        for kind, statements in pages.by_statement.items()
        if kind not in ("warmup", "count")
    }
    pages.sql.remove()
    return results, {k: v for k, v in pages.slowest.items() if k not in ("warmup", "count")}


def _label(statement: str) -> str:
    """A statement, short: what it selects from and its WHERE/ORDER BY, without the column list."""
    text = " ".join(statement.split())
    head = text[:40]
    rest = text[text.find(" FROM ") :] if " FROM " in text else text
    return (head + " ..." + rest)[:400]


def explain(engine, slowest: dict, log=print) -> None:
    """The plan of the slowest statement of each page kind."""
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    raw = engine.raw_connection()
    try:
        for kind, (spent, statement, parameters) in slowest.items():
            log(f"\n-- {kind}: slowest statement {spent * 1000:.1f} ms\n{' '.join(statement.split())[:600]}")
            cursor = raw.cursor()
            cursor.execute(prefix + statement, parameters or ())
            for row in cursor.fetchall():
                log("   " + " | ".join(str(value) for value in row))
            cursor.close()
            raw.rollback()
    finally:
        raw.close()


def goal_of(label: str) -> float | None:
    if label.startswith("search") or label.startswith("list"):
        return GOALS_MS["search"]
    if label.startswith("guarantee"):
        return GOALS_MS["guarantee"]
    if label.startswith("dashboard"):
        return GOALS_MS["dashboard"]
    return None


def report(results: dict, register: common.Register, info: dict, log=print) -> None:
    log(f"\nmachine: {info['cpus']} CPUs, {info['memory']}, Python {info['python']}, {info['server']}, "
        f"load average {info['load']} at start, {info.get('load_end', '?')} at end, {info['date']}")  # fmt: skip
    log(f"register: {register.counts.get('guarantees', 0):,} guarantees; history "
        f"{register.counts.get('guarantee_actions', 0):,} actions + {register.counts.get('guarantee_edits', 0):,} edits"
        f" + {register.counts.get('import_batch_items', 0):,} batch items; "
        f"{register.counts.get('imported_records', 0):,} legacy rows, {register.counts.get('letter_prints', 0):,} "
        f"letter prints; generated in {register.seconds:.1f} s")  # fmt: skip
    log(f"\n{'page (server time, ms)':32} {'n':>5} {'p50':>8} {'p95':>8} {'max':>8} {'goal p95':>9}  verdict"
        f"   {'cpu p50':>8} {'cpu p95':>8}")  # fmt: skip
    for label, figures in results["pages"].items():
        goal = goal_of(label)
        verdict = "" if goal is None else ("ok" if figures["p95"] < goal else "MISSED")
        log(
            f"{label:32} {figures['n']:5d} {figures['p50']:8.1f} {figures['p95']:8.1f} {figures['max']:8.1f} "
            f"{'< ' + str(goal) if goal else '':>9}  {verdict:7} {figures['cpu_p50']:8.1f} {figures['cpu_p95']:8.1f}"
        )
    log(
        "(cpu: CPU time of this process per request: the whole request on SQLite, the Python side on PostgreSQL;"
        " it does not grow with the load other programs put on the machine)"
    )
    log(f"\n{'search by kind of query (ms)':36} {'n':>5} {'p50':>8} {'p95':>8} {'max':>8}")
    for label, figures in results["categories"].items():
        log(f"{label:36} {figures['n']:5d} {figures['p50']:8.1f} {figures['p95']:8.1f} {figures['max']:8.1f}")
    log(f"\n{'SQL statements per request':36} {'count':>5}")
    for label, count in results["queries_per_page"].items():
        log(f"{label:36} {count:5d}")
    pairs = (
        ("guarantee, 5-entry timeline", "guarantee, 500-entry timeline"),
        ("list, page 1", "list, page 50"),
        ("search 'gulf', page 1", "search 'gulf', page 3"),
    )
    counts = results["queries_per_page"]
    for first, second in pairs:
        same = counts[first] == counts[second]
        log(f"  {first} vs {second}: {'constant' if same else 'GROWS (N+1?)'}")
    log("\nmean SQL time per request (ms): " + ", ".join(f"{k} {v:.1f}" for k, v in results["sql_ms_mean"].items()))
    log("statements taking the most time, per page (ms per request):")
    for kind, tops in results["top_statements"].items():
        log(f"  {kind}:")
        for top in tops:
            log(f"    {top['ms_per_request']:8.1f}  {top['sql'][:200]}")
    log(f"errors: {len(results['errors'])}" + (f" (first: {results['errors'][0]})" if results["errors"] else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--guarantees", type=int, default=200_000)
    parser.add_argument("--actions", type=int, default=1_000_000, help="history rows: items, actions and edits")
    parser.add_argument("--database-url", help="a PostgreSQL server to create a throw-away database on")
    parser.add_argument("--queries", type=int, default=300, help="search queries to time")
    parser.add_argument("--repeats", type=int, default=20, help="times each other page is timed")
    parser.add_argument("--no-mirror", action="store_true", help="leave out the legacy rows and letter prints")
    parser.add_argument("--explain", action="store_true", help="print the plan of each page's slowest statement")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the database (prints its URL)")
    parser.add_argument("--existing", metavar="URL", help="measure a register kept earlier (--keep): no generation")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    info = common.machine()
    if args.existing:
        url, drop = common.normalise_url(args.existing), lambda: None
    else:
        url, drop = common.fresh_database(args.database_url, "scale")
    try:
        print(f"database: {url.split('@')[-1]}")
        began = time.perf_counter()
        app = common.migrated_app(url)
        engine = sa.create_engine(url)
        info["server"] = common.server_version(engine)
        if args.existing:
            register = common.describe(engine)
        else:
            print(f"migrated to head in {time.perf_counter() - began:.1f} s; generating...")
            register = common.generate(engine, args.guarantees, args.actions, seed=args.seed, mirror=not args.no_mirror)
            common.create_user(app)
        engine.dispose()
        from guarantees.extensions import db
        from guarantees.repositories import guarantees as repo
        from guarantees.repositories import history

        with app.app_context():
            lengths = {gid: len(history.timeline(repo.get(gid))) for gid in (register.small_id, register.big_id)}
            db.session.remove()
            print(f"timelines: guarantee {register.small_id} has {lengths[register.small_id]} entries, "
                  f"guarantee {register.big_id} has {lengths[register.big_id]}")  # fmt: skip
            results, slowest = measure(app, db.engine, register, args.queries, args.repeats)
            results["timeline_entries"] = {"small": lengths[register.small_id], "big": lengths[register.big_id]}
            info["load_end"] = common.machine()["load"]
            report(results, register, info)
            if args.explain:
                explain(db.engine, slowest)
            db.session.remove()
            db.engine.dispose()
        if args.json:
            payload = {"machine": info, "counts": register.counts, "generate_seconds": register.seconds, **results}
            args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
        if args.keep:
            print(f"kept: {url}")
    finally:
        if not args.keep:
            drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
