"""Load: gunicorn with 4 workers under a mix of searches, guarantee pages and manual entries, on loopback.

    .venv/bin/python bench/load.py [--seconds 60] [--workers 4] [--clients 8] [--database-url URL]
                                   [--guarantees 20000] [--actions 100000] [--mix 50,35,15] [--max-requests N]

Prepares a register with bench/common.py's generator (default 20,000 guarantees and 100,000 history rows;
an SQLite file in a temporary folder, or with --database-url a throw-away database created on that
PostgreSQL server), starts `.venv/bin/gunicorn --workers 4 --bind 127.0.0.1:<free port> app:app` in its
own process group (APP_ENV=production, LOG_FORMAT=json, logs to a file in the temporary folder), and runs
--clients closed-loop clients (Python threads + http.client, 127.0.0.1 only). Each client signs in
(POST /login with the form's CSRF token), then, until --seconds have passed or --max-requests were sent,
picks by the --mix weights: a search (/guarantees?q=..., half of them htmx), a guarantee page, or a
manual entry (htmx POST /batches/today with its CSRF token and a new unique number). At the end gunicorn
is stopped (its whole process group) and the database removed.

Prints requests/s, p50/p95 per kind as the clients saw them and as the server logged them (the `ms` of
its JSON access lines), and the errors (goal: none). No wrk needed: the load generator is Python.

With --import-rows N (the scenario of a long import during the load), gunicorn runs with JOBS=worker and a job
worker (`flask jobs work`) beside it, as `make serve` starts them, and one more client, once the load has
begun, imports a generated workbook of N rows (bench/excel_floor.py) through the pages as a person would: upload,
poll the job's progress every second until the preview shows, confirm, poll until the batch shows. Its requests
are the kind `import` (goal: none over IMPORT_GOAL_S seconds); the figures add how long the preview and the
commit jobs took, and whether the batch was written whole. The load and the import overlap for as long as both
run; the script waits for the import to end (up to --import-timeout seconds) before it stops the servers.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import date, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402  (puts the project root on sys.path)
import sqlalchemy as sa  # noqa: E402
from scale import search_queries  # noqa: E402

HOST = "127.0.0.1"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
KINDS = ("search", "view", "entry")
GOALS_MS = {"search": 50, "view": 50, "entry": None}  # entry: no latency goal, only no errors
IMPORT_GOAL_S = 5  # no request of a background import (upload, progress, preview, confirm) takes longer


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Client:
    """One browser: its cookies, its CSRF token; every request on a new loopback connection."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.token = ""
        self.last_location = ""

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        try:
            sent = {"Host": f"{HOST}:{self.port}", **(headers or {})}
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            data = None
            if body is not None:
                data = urlencode(body).encode()
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            self.last_location = response.headers.get("Location") or response.headers.get("HX-Redirect") or ""
            for header in response.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(header)
                for name, morsel in cookie.items():
                    self.cookies[name] = morsel.value
            return response.status, text
        finally:
            conn.close()

    def upload(self, path: str, filename: str, data: bytes):
        """POST a file as a browser's form does (multipart/form-data, with the CSRF token)."""
        boundary = f"bench{random.Random().randrange(16**12):012x}"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{self.token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
        ).encode()
        body = head + data + f"\r\n--{boundary}--\r\n".encode()
        conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        try:
            sent = {
                "Host": f"{HOST}:{self.port}",
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            }
            conn.request("POST", path, body=body, headers=sent)
            response = conn.getresponse()
            response.read()
            return response.status, response.headers.get("Location", "")
        finally:
            conn.close()

    def sign_in(self) -> None:
        status, page = self.request("GET", "/login")
        token = CSRF.search(page)
        if status != 200 or not token:
            raise RuntimeError(f"GET /login: {status}")
        form = {"username": common.BENCH_USER, "password": common.BENCH_PASSWORD, "csrf_token": token.group(1)}
        status, _ = self.request("POST", "/login", form)
        if status != 303:
            raise RuntimeError(f"POST /login: {status}")
        status, page = self.request("GET", "/batches/today")
        token = CSRF.search(page)
        if status != 200 or not token:
            raise RuntimeError(f"GET /batches/today: {status}")
        self.token = token.group(1)


class Load:
    """Closed-loop clients until the deadline or the request budget; results per kind."""

    def __init__(self, port, register, *, clients, seconds, max_requests, weights, timeout, seed=1) -> None:
        self.port = port
        self.register = register
        self.clients = clients
        self.seconds = seconds
        self.budget = max_requests
        self.weights = weights
        self.timeout = timeout
        self.seed = seed
        self.lock = threading.Lock()
        self.sent = 0
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.run_id = f"{random.Random().randrange(36**4):04X}"
        self.queries = [url for _category, url in search_queries(register, 2000, seed=seed)]
        self.top_id = max(register.sample_ids)

    def _take(self) -> bool:
        with self.lock:
            if self.sent >= self.budget:
                return False
            self.sent += 1
            return True

    def _record(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latency[kind].append(seconds)
            if error:
                self.errors.append(f"{kind}: {error}")

    def _client(self, number: int, deadline: float) -> None:
        rnd = random.Random(self.seed * 1000 + number)
        client = Client(self.port, self.timeout)
        try:
            client.sign_in()
        except (OSError, RuntimeError, http.client.HTTPException) as error:
            self._record("sign-in", 0.0, str(error))
            return
        entries = 0
        while time.monotonic() < deadline and self._take():
            kind = rnd.choices(KINDS, self.weights)[0]
            began = time.perf_counter()
            error = None
            try:
                if kind == "search":
                    htmx = rnd.random() < 0.5
                    status, _ = client.request(
                        "GET", rnd.choice(self.queries), headers={"HX-Request": "true"} if htmx else None
                    )
                    expected = 200
                elif kind == "view":
                    status, _ = client.request("GET", f"/guarantees/{rnd.randint(1, self.top_id)}")
                    expected = 200
                else:
                    entries += 1
                    bank = rnd.choice(self.register.banks)
                    form = {
                        "csrf_token": client.token,
                        "guarantee_number": f"LD{self.run_id}{number:03d}{entries:06d}",
                        "raw_supplier_name": rnd.choice(self.register.suppliers)["official_name"],
                        "raw_bank_name": bank[rnd.choice(("official_name_en", "official_name_ar"))],
                        "amount": f"{rnd.randrange(1000, 2_000_000)}.00",
                        "expiry_date": (date(2027, 1, 1) + timedelta(days=rnd.randrange(1000))).isoformat(),
                    }
                    status, _ = client.request("POST", "/batches/today", form, headers={"HX-Request": "true"})
                    expected = 200
                if status != expected:
                    error = f"HTTP {status}"
            except (OSError, http.client.HTTPException) as failure:
                error = f"{type(failure).__name__}: {failure}"
            self._record(kind, time.perf_counter() - began, error)

    def run(self) -> float:
        deadline = time.monotonic() + self.seconds
        threads = [
            threading.Thread(target=self._client, args=(number, deadline), daemon=True)
            for number in range(self.clients)
        ]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(0.1, deadline - time.monotonic()) + self.timeout + 5)
        return time.perf_counter() - began


class Importer:
    """One person importing a large workbook through the pages while the load runs: every request timed."""

    def __init__(self, port: int, data: bytes, rows: int, timeout: float, deadline: float) -> None:
        self.client = Client(port, timeout)
        self.data = data
        self.rows = rows
        self.deadline = deadline
        self.latency: list[float] = []
        self.slowest: tuple[float, str] = (0.0, "-")  # seconds, which request
        self.errors: list[str] = []
        self.jobs: dict[str, float] = {}  # preview / commit -> seconds from queued to done, as polled
        self.batch: str | None = None

    def _timed(self, call, label: str = "progress"):
        began = time.perf_counter()
        try:
            return call()
        finally:
            seconds = time.perf_counter() - began
            self.latency.append(seconds)
            self.slowest = max(self.slowest, (seconds, label))

    def _wait(self, job: str, label: str) -> str:
        """Poll the job's page every second, as its progress bar does, until it sends the browser on."""
        began = time.perf_counter()
        while time.monotonic() < self.deadline:
            status, text = self._timed(lambda: self.client.request("GET", job, headers={"HX-Request": "true"}))
            if status == 204:  # done: htmx is told where to go (HX-Redirect)
                break
            if status != 200 or 'role="alert"' in text:
                raise RuntimeError(f"{label} job: HTTP {status} {re.sub(r'<[^>]+>', ' ', text)[:200]!r}")
            time.sleep(1)
        else:
            raise RuntimeError(f"{label} job: not done before the deadline")
        self.jobs[label] = time.perf_counter() - began
        return self.client.last_location

    def run(self) -> None:
        try:
            self.client.sign_in()
            status, job = self._timed(lambda: self.client.upload("/imports", "bench-import.xlsx", self.data), "upload")
            if status != 303 or "/imports/jobs/" not in job:
                raise RuntimeError(f"upload: HTTP {status} {job}")
            preview = self._wait(job, "preview")
            status, _ = self._timed(lambda: self.client.request("GET", preview), "preview")
            if status != 200:
                raise RuntimeError(f"preview page: HTTP {status}")
            status, _ = self._timed(lambda: self.client.request("GET", preview + "?page=2&outcome=new"), "preview page")
            status, _ = self._timed(
                lambda: self.client.request("POST", preview + "/confirm", {"csrf_token": self.client.token}), "confirm"
            )
            job = self.client.last_location
            if status != 303 or "/imports/jobs/" not in job:
                raise RuntimeError(f"confirm: HTTP {status} {job}")
            self.batch = self._wait(job, "commit")
        except (OSError, RuntimeError, http.client.HTTPException) as error:
            self.errors.append(f"import: {type(error).__name__}: {error}")


def start_worker(url: str, log_path: Path, extra_env: dict) -> subprocess.Popen:
    """`flask jobs work`, as make serve starts it beside gunicorn (with gunicorn's settings)."""
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child, closed when it has been stopped
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": common.SECRET_KEY, "APP_ENV": "production",
           "LOG_FORMAT": "json", **extra_env}  # fmt: skip
    process = subprocess.Popen(
        [str(ROOT_BIN / "flask"), "--app", "app", "jobs", "work"], cwd=common.ROOT, env=env, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    process.log_file = log
    return process


def start_gunicorn(url: str, workers: int, port: int, log_path: Path, extra_env: dict | None = None):
    binary = ROOT_BIN / "gunicorn" if (ROOT_BIN / "gunicorn").exists() else Path(shutil.which("gunicorn") or "")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": common.SECRET_KEY,
        "APP_ENV": "production",
        "LOG_FORMAT": "json",
        **(extra_env or {}),
    }
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child, closed when it has been stopped
    process = subprocess.Popen(
        [str(binary), "--workers", str(workers), "--bind", f"{HOST}:{port}", "app:app"],
        cwd=common.ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped as a whole
    )
    process.log_file = log
    return process


def wait_ready(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                conn.close()
                return
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /health in time")


def stop_gunicorn(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    process.log_file.close()


def server_times(log_path: Path) -> tuple[dict[str, list[float]], int]:
    """The server's own request times (ms) per kind, from its JSON access lines; and its 5xx count."""
    times: dict[str, list[float]] = defaultdict(list)
    server_errors = 0
    for line in log_path.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("message") != "request":
            continue
        path, method = entry.get("path", ""), entry.get("method")
        if method == "GET" and path == "/guarantees":
            kind = "search"
        elif method == "GET" and re.fullmatch(r"/guarantees/\d+", path):
            kind = "view"
        elif method == "POST" and path == "/batches/today":
            kind = "entry"
        elif path.startswith("/imports"):
            kind = "import"
        else:
            kind = "other"
        times[kind].append(float(entry.get("ms", 0)) / 1000)
        if int(entry.get("status", 0)) >= 500:
            server_errors += 1
    return times, server_errors


ROOT_BIN = common.ROOT / ".venv" / "bin"


def _batch_rows(url: str, batch_path: str | None) -> int:
    """The items of the batch the import made (its page's path /batches/<id>), read from the database."""
    if not batch_path or not re.fullmatch(r"/batches/\d+", batch_path):
        return 0
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            query = sa.text("SELECT count(*) FROM import_batch_items WHERE batch_id = :id")
            return conn.execute(query, {"id": int(batch_path.rsplit("/", 1)[1])}).scalar()
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (threads)")
    parser.add_argument("--database-url", help="a PostgreSQL server to create a throw-away database on")
    parser.add_argument("--guarantees", type=int, default=20_000)
    parser.add_argument("--actions", type=int, default=100_000, help="history rows: items, actions and edits")
    parser.add_argument("--mix", default="50,35,15", help="weights of search, guarantee page, manual entry")
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="stop after this many requests")
    parser.add_argument("--timeout", type=float, default=30, help="seconds a request may take")
    parser.add_argument("--no-mirror", action="store_true", help="leave out the legacy rows and letter prints")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--import-rows", type=int, default=0,
                        help="also import a workbook of this many rows in the background during the load")  # fmt: skip
    parser.add_argument("--import-timeout", type=float, default=900, help="seconds the import may take in all")
    args = parser.parse_args()
    weights = [float(value) for value in args.mix.split(",")]
    if len(weights) != 3:
        parser.error("--mix takes three weights: search,view,entry")

    info = common.machine()
    url, drop = common.fresh_database(args.database_url, "load")
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    process = None
    try:
        print(f"database: {url.split('@')[-1]}; preparing {args.guarantees:,} guarantees...")
        app = common.migrated_app(url)
        engine = sa.create_engine(url)
        info["server"] = common.server_version(engine)
        register = common.generate(
            engine, args.guarantees, args.actions, mirror=not args.no_mirror, log=lambda *_: None
        )
        engine.dispose()
        common.create_user(app)
        with app.app_context():
            from guarantees.extensions import db

            db.engine.dispose()
        print(f"register ready in {register.seconds:.1f} s: {register.counts}")

        port = free_port()
        log_path = folder / "gunicorn.log"
        extra_env, importer, importing = None, None, None
        if args.import_rows:
            from excel_floor import make_workbook

            uploads = folder / "uploads"
            extra_env = {"JOBS": "worker", "UPLOAD_FOLDER": str(uploads),
                         "MAX_IMPORT_ROWS": str(max(200_000, args.import_rows + 10))}  # fmt: skip
            data = make_workbook(folder / "import.xlsx", args.import_rows).read_bytes()
            worker = start_worker(url, folder / "worker.log", extra_env)
            print(f"import: a {args.import_rows:,}-row workbook ({len(data) / 2**20:.1f} MB) with a job worker (pid "
                  f"{worker.pid})")  # fmt: skip
        process = start_gunicorn(url, args.workers, port, log_path, extra_env)
        wait_ready(port, process)
        print(f"gunicorn: {args.workers} workers on {HOST}:{port} (pid {process.pid}); {args.clients} clients for "
              f"{args.seconds:g} s, mix search/view/entry {args.mix}")  # fmt: skip
        load = Load(
            port, register, clients=args.clients, seconds=args.seconds, max_requests=args.max_requests,
            weights=weights, timeout=args.timeout,
        )  # fmt: skip
        if args.import_rows:
            began = time.perf_counter()
            importer = Importer(port, data, args.import_rows, args.timeout, time.monotonic() + args.import_timeout)
            importing = threading.Thread(target=importer.run, daemon=True)
            importing.start()
        elapsed = load.run()
        if importing is not None:
            importing.join(timeout=args.import_timeout)
            import_seconds = time.perf_counter() - began
        stop_gunicorn(process)
        process = None
        if args.import_rows:
            stop_gunicorn(worker)
        server, server_errors = server_times(log_path)
        info["load_end"] = common.machine()["load"]
        total = sum(len(values) for values in load.latency.values())
        results = {
            "machine": info,
            "seconds": elapsed,
            "requests": total,
            "rps": total / elapsed if elapsed else 0,
            "kinds": {},
            "errors": len(load.errors),
            "first_errors": load.errors[:10],
            "server_5xx": server_errors,
        }
        print(f"\nmachine: {info['cpus']} CPUs, {info['memory']}, Python {info['python']}, {info['server']}, "
              f"load average {info['load']} at start, {info['load_end']} at end, {info['date']}")  # fmt: skip
        print(f"{total:,} requests in {elapsed:.1f} s: {results['rps']:.1f} requests/s\n")
        print(f"{'kind':8} {'n':>6} {'client p50':>11} {'p95':>8} {'server p50':>11} {'p95':>8} {'goal p95':>9}")
        for kind in KINDS:
            client = common.summary_ms(load.latency.get(kind, []))
            logged = common.summary_ms(server.get(kind, []))
            results["kinds"][kind] = {"client": client, "server": logged, "goal_ms": GOALS_MS[kind]}
            print(f"{kind:8} {client['n']:6d} {client['p50']:11.1f} {client['p95']:8.1f} {logged['p50']:11.1f} "
                  f"{logged['p95']:8.1f} {'< ' + str(GOALS_MS[kind]) if GOALS_MS[kind] else '-':>9}")  # fmt: skip
        if importer is not None:
            client = common.summary_ms(importer.latency)
            logged = common.summary_ms(server.get("import", []))
            slowest, slowest_kind = importer.slowest
            written = _batch_rows(url, importer.batch)
            results["import"] = {
                "rows": args.import_rows, "client": client, "server": logged, "slowest_s": slowest,
                "slowest_request": slowest_kind, "server_slowest_s": max(server.get("import", []), default=0),
                "goal_s": IMPORT_GOAL_S, "jobs_s": importer.jobs, "seconds": import_seconds, "batch": importer.batch,
                "written": written, "errors": importer.errors,
            }  # fmt: skip
            print(f"{'import':8} {client['n']:6d} {client['p50']:11.1f} {client['p95']:8.1f} {logged['p50']:11.1f} "
                  f"{logged['p95']:8.1f} {'< ' + str(IMPORT_GOAL_S * 1000):>9}")  # fmt: skip
            jobs = ", ".join(f"{label} {seconds:.1f} s" for label, seconds in importer.jobs.items())
            print(f"\nimport of {args.import_rows:,} rows in the background: slowest request {slowest:.2f} s, the "
                  f"{slowest_kind} ({max(server.get('import', []), default=0):.2f} s in the server; goal: "
                  f"< {IMPORT_GOAL_S} s); jobs {jobs or '-'}; {import_seconds:.1f} s in all; batch "
                  f"{importer.batch or '-'} with {written:,} rows (goal: {args.import_rows:,})")  # fmt: skip
        print(f"\nerrors: {len(load.errors)} (goal: 0); server 5xx logged: {server_errors}")
        for error in load.errors[:10] + (importer.errors if importer else []):
            print(f"  {error}")
        if args.json:
            args.json.write_text(json.dumps(results, indent=2, default=str))
    finally:
        if process is not None:
            stop_gunicorn(process)
        if args.import_rows and "worker" in locals() and worker.poll() is None:
            stop_gunicorn(worker)
        shutil.rmtree(folder, ignore_errors=True)
        drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
