"""Shared helpers of bench/scale.py and bench/load.py: throw-away databases, a fast register generator, figures.

The generator writes a register straight into the tables (set-based, in chunks: executemany on SQLite,
COPY on PostgreSQL), never through the services, which would take hours at this size. It respects the
schema: guarantees go in with their final state (locked, released) because the triggers refuse later
updates to locked rows; actions go in issued and locked; items and edits are insert-only anyway.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

SECRET_KEY = "bench-" + "x" * 32
BENCH_USER = "bench"
BENCH_PASSWORD = "bench-password-1"  # noqa: S105 - a throw-away account in a throw-away database
CHUNK = 20_000
CENT = Decimal("0.01")

# -- databases -------------------------------------------------------------------------------------------------


def normalise_url(url: str) -> str:
    """postgres:// and postgresql:// as the psycopg 3 dialect, as the app's own settings do."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def fresh_database(url: str | None, label: str) -> tuple[str, callable]:
    """A new empty database and the function that removes it.

    No URL: an SQLite file in a temporary folder. A PostgreSQL URL: a throw-away database created on that
    server beside the one named (dropped by the returned function). An SQLite URL: that file, which must
    not exist yet (kept).
    """
    if not url:
        folder = Path(tempfile.mkdtemp(prefix=f"bench-{label}-"))
        return f"sqlite:///{folder / 'register.sqlite'}", lambda: shutil.rmtree(folder, ignore_errors=True)
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = Path(sa.engine.make_url(url).database or "")
        if path.exists():
            raise SystemExit(f"{path} exists: give a new file (the benchmark fills a fresh register)")
        return url, lambda: None
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin.url.set(database=name).render_as_string(hide_password=False), drop


def migrated_app(url: str, **config):
    """The app on `url`, migrated to head (flask db upgrade, programmatically)."""
    import logging

    from flask_migrate import upgrade

    from guarantees import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY, **config})
    with app.app_context():
        upgrade()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return app


def create_user(app, username: str = BENCH_USER, password: str = BENCH_PASSWORD, role: str = "editor") -> None:
    from guarantees.extensions import db
    from guarantees.models import User

    with app.app_context():
        user = User(username=username, role=role, active=True)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        db.session.remove()


def machine() -> dict:
    """What the figures ran on."""
    import os
    import platform
    import sqlite3

    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0, 0, 0)
    return {
        "cpus": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load": " ".join(f"{value:.2f}" for value in load),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def server_version(engine) -> str:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            return "PostgreSQL " + conn.exec_driver_sql("SHOW server_version").scalar()
    import sqlite3

    return "SQLite " + sqlite3.sqlite_version


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of `values`."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summary_ms(seconds: list[float]) -> dict:
    ms = [value * 1000 for value in seconds]
    return {
        "n": len(ms),
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "max": max(ms) if ms else float("nan"),
        "mean": statistics.fmean(ms) if ms else float("nan"),
    }


# -- names -----------------------------------------------------------------------------------------------------

AR_HEADS = ("شركة", "مؤسسة", "مصنع", "مجموعة", "مكتب", "شركة")
AR_WORDS = (
    "الخليج", "الوطنية", "النهدي", "الرياض", "المتحدة", "الحياة", "الطبية", "الشرق", "الأمل", "الفيصلية",
    "الدولية", "السلام", "النور", "المستقبل", "الجزيرة", "العربية", "البحر", "الأحمر", "النخبة", "الرواد",
    "ريم", "الوسط", "المراعي", "الصحة", "الشفاء", "الهلال", "الفجر", "الأفق", "البناء", "التقنية", "الراية",
    "المملكة", "نجد", "الحجاز", "تبوك", "القصيم", "الدمام", "جدة", "المدينة", "الأصالة", "الإبداع", "الريادة",
)  # fmt: skip
AR_TAILS = ("للتجارة", "المحدودة", "للمقاولات", "للأجهزة الطبية", "للخدمات الطبية", "التجارية", "القابضة", "")
EN_WORDS = (
    "Gulf", "Al Faisaliah", "Tech Flow", "Lana", "Medical", "Systems", "Nahdi", "Riyadh", "United", "Horizon",
    "Crescent", "Al Marshad", "Future", "Peninsula", "Arabian", "Red Sea", "Elite", "Pioneer", "Reem", "Central",
    "Health", "Shifa", "Dawn", "Najd", "Hijaz", "Tabuk", "Qassim", "Dammam", "Jeddah", "Al Madinah", "Heritage",
    "Creative", "Leading", "Delta", "Orbit", "Falcon", "Oasis", "Summit", "Atlas", "Vertex",
)  # fmt: skip
EN_TAILS = ("Company", "Trading Est.", "Co. Ltd", "for Contracting", "Medical Supplies", "Group", "Pharma", "")
BANKS = (
    ("Riyad Bank", "بنك الرياض", "RIBL"), ("Saudi National Bank", "البنك الأهلي السعودي", "SNB"),
    ("Al Rajhi Bank", "مصرف الراجحي", "RJHI"), ("Banque Saudi Fransi", "البنك السعودي الفرنسي", "BSF"),
    ("Arab National Bank", "البنك العربي الوطني", "ANB"), ("Saudi British Bank", "البنك السعودي البريطاني", "SABB"),
    ("Alinma Bank", "مصرف الإنماء", "INMA"), ("Bank Albilad", "بنك البلاد", "ALBI"),
    ("Bank AlJazira", "بنك الجزيرة", "BJAZ"), ("Saudi Investment Bank", "البنك السعودي للاستثمار", "SIBC"),
    ("Gulf International Bank", "بنك الخليج الدولي", "GIB"), ("Emirates NBD", "بنك الإمارات دبي الوطني", "ENBD"),
    ("Bahrain bank", "بنك البحرين الوطني", "NBB"), ("First Abu Dhabi Bank", "بنك أبوظبي الأول", "FAB"),
    ("Qatar National Bank", "بنك قطر الوطني", "QNB"), ("National Bank of Kuwait", "بنك الكويت الوطني", "NBK"),
    ("Muscat Bank", "بنك مسقط", "BKMB"), ("Deutsche Bank", "دويتشه بنك", "DB"),
    ("JP Morgan Chase", "جي بي مورغان", "JPM"), ("Standard Chartered", "ستاندرد تشارترد", "SCB"),
)  # fmt: skip
BRANCHES = (("Riyadh", "الرياض"), ("Jeddah", "جدة"))
USERS = ("s.alharbi", "m.alqahtani", "treasury1", "a.alotaibi", "n.alshehri", "finance.clerk", "r.alzahrani")
TYPES = ("FINAL", "FINAL", "FINAL", "ADVANCE", "INITIAL", "PERFORMANCE", None)
COMMENTS = ("للتمديد", "for extension", "Release pending", "طلب إفراج", "تم التمديد", "call the bank", "مراجعة")
PREFIXES = ("JLG", "LG", "BG", "04BG", "MD", "TF", "GU")
LOCK_READY = "it was matched (ready) in the legacy system"
LOCK_ACTION = "it has an issued {kind} letter"
RECORD_TYPES = {"extension": "extension_action", "release": "release_action", "reduction": "modification"}


def _typo(rnd: random.Random, text: str) -> str:
    if len(text) < 5:
        return text
    at = rnd.randrange(1, len(text) - 1)
    if text[at] == " ":
        return text
    return text[:at] + text[at + 1 :] if rnd.random() < 0.5 else text[:at] + text[at] + text[at:]


def make_suppliers(rnd: random.Random, count: int) -> list[dict]:
    """`count` distinct supplier names, half Arabic and half English, with a display name each."""
    names: dict[str, str] = {}
    while len(names) < count:
        if len(names) % 2 == 0:
            words = " ".join(rnd.sample(AR_WORDS, rnd.choice((1, 2, 2, 3))))
            name = f"{rnd.choice(AR_HEADS)} {words} {rnd.choice(AR_TAILS)}".strip()
        else:
            words = " ".join(rnd.sample(EN_WORDS, rnd.choice((1, 2, 2, 3))))
            name = f"{words} {rnd.choice(EN_TAILS)}".strip()
        names.setdefault(name, name.upper() if rnd.random() < 0.3 and name.isascii() else name)
    return [
        {"id": index, "official_name": name, "display_name": display, "normalized_name": " ".join(name.lower().split())}
        for index, (name, display) in enumerate(names.items(), start=1)
    ]


def make_banks() -> list[dict]:
    """40 banks: each real name once for its head office and once per branch."""
    banks = []
    for branch_en, branch_ar in (("", ""), *BRANCHES):
        for en, ar, code in BANKS:
            if len(banks) >= 40:
                break
            name_en = f"{en} - {branch_en}" if branch_en else en
            name_ar = f"{ar} - {branch_ar}" if branch_ar else ar
            banks.append(
                {
                    "id": len(banks) + 1,
                    "official_name": name_ar,
                    "official_name_en": name_en,
                    "official_name_ar": name_ar,
                    "normalized_key": name_en.lower(),
                    "short_code": code,
                    "address_line_1": f"P.O. Box {1000 + len(banks) * 37}",
                    "address_line_2": branch_en or "Riyadh",
                    "contact_email": f"guarantees@{code.lower()}.example",
                    "department": "Trade Finance",
                }
            )
    return banks


# -- the generator ---------------------------------------------------------------------------------------------

COLUMNS = {
    "suppliers": ("id", "official_name", "display_name", "normalized_name", "is_confirmed", "created_at"),
    "banks": (
        "id", "official_name", "official_name_en", "official_name_ar", "normalized_key", "short_code", "is_confirmed",
        "created_at", "address_line_1", "address_line_2", "contact_email", "department",
    ),
    "import_sessions": ("id", "session_type", "record_count", "created_at"),
    "legacy_day_sessions": ("day", "purpose", "import_session_id"),
    "import_batches": (
        "id", "batch_type", "description", "filename", "file_sha256", "batch_date", "total_records", "ready_records",
        "origin", "legacy_session_id", "created_by", "created_at",
    ),
    "action_sessions": (
        "id", "session_date", "description", "total_actions", "issued_actions", "is_locked", "locked_at", "origin",
        "created_by", "issued_by", "created_at",
    ),
    "guarantees": (
        "id", "guarantee_number", "raw_supplier_name", "raw_bank_name", "contract_number", "po_number", "related_to",
        "amount", "currency", "issue_date", "expiry_date", "type", "comment", "supplier_id", "bank_id",
        "supplier_display_name", "bank_display", "match_status", "status", "is_locked", "lock_reason",
        "import_batch_id", "import_type", "import_date", "version", "created_by", "created_at", "updated_at",
    ),
    "guarantee_actions": (
        "id", "guarantee_id", "guarantee_number", "action_type", "action_session_id", "action_date",
        "previous_expiry_date", "new_expiry_date", "previous_amount", "new_amount", "notes", "supplier_id", "bank_id",
        "supplier_display_name", "bank_display", "action_status", "is_locked", "origin", "legacy_record_id",
        "created_by", "created_at", "issued_by", "issued_at",
    ),
    "guarantee_edits": (
        "id", "guarantee_id", "field", "old_value", "new_value", "edited_by", "edited_at", "legacy_record_id",
    ),
    "import_batch_items": (
        "id", "batch_id", "row_number", "guarantee_id", "outcome", "changes", "raw", "legacy_record_id", "created_by",
        "created_at",
    ),
    "imported_records": (
        "id", "session_id", "raw_supplier_name", "raw_bank_name", "amount", "guarantee_number", "issue_date",
        "expiry_date", "match_status", "supplier_id", "bank_id", "created_at", "contract_number", "type", "comment",
        "bank_display", "supplier_display_name", "related_to", "record_type", "migrated_guarantee_id",
        "migrated_action_id", "import_batch_id",
    ),
    "letter_prints": ("id", "action_ids", "action_session_id", "language", "printed_by", "printed_at"),
    "letter_print_actions": ("letter_print_id", "action_id"),
}  # fmt: skip
ID_TABLES = (
    "suppliers", "banks", "import_sessions", "import_batches", "action_sessions", "guarantees", "guarantee_actions",
    "guarantee_edits", "import_batch_items", "imported_records", "letter_prints",
)  # fmt: skip


class Writer:
    """Rows into tables: executemany on SQLite, COPY on PostgreSQL; values already in the driver's shape."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.proxy = engine.raw_connection()
        self.conn = self.proxy.driver_connection
        self.rows = {}
        if self.dialect == "sqlite":
            self.conn.execute("PRAGMA synchronous = OFF")

    def write(self, table: str, rows: list[tuple]) -> None:
        if not rows:
            return
        columns = COLUMNS[table]
        self.rows[table] = self.rows.get(table, 0) + len(rows)
        if self.dialect == "sqlite":
            marks = ", ".join("?" * len(columns))
            self.conn.execute("BEGIN")
            try:
                for start in range(0, len(rows), CHUNK):
                    self.conn.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows[start : start + CHUNK]
                    )
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
        else:
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with self.conn.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
            self.conn.commit()

    def execute(self, statement: str) -> None:
        if self.dialect == "sqlite":
            self.conn.execute("BEGIN")
            self.conn.execute(statement)
            self.conn.execute("COMMIT")
        else:
            with self.conn.cursor() as cursor:
                cursor.execute(statement)
            self.conn.commit()

    def close(self) -> None:
        self.proxy.close()


@dataclass
class Register:
    """What the generator made: counts, and guarantees worth a look."""

    counts: dict = field(default_factory=dict)
    big_id: int = 0
    small_id: int = 0
    seconds: float = 0.0
    numbers: list = field(default_factory=list)
    contracts: list = field(default_factory=list)
    suppliers: list = field(default_factory=list)
    banks: list = field(default_factory=list)
    sample_ids: list = field(default_factory=list)


def _poisson(rnd: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, rnd.random()
    while p > limit:
        k += 1
        p *= rnd.random()
    return k


def add_years(day: date, years: int = 1) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class Generator:
    """A register of `guarantees` guarantees and about `history` history rows (items, actions, edits).

    The split of `history`: batch items 30% (one `created` per guarantee, the rest repeats in later
    Excel batches), issued actions 45% (extensions, reductions, releases), inline edits 25%. With
    `mirror`, the dual-write legacy rows (imported_records, one per item, action and edit save, linked
    both ways) and the letter prints (one per day's action session, as bulk printing does) are written too.
    """

    def __init__(self, engine, guarantees: int, history: int, *, seed: int = 11, mirror: bool = True, log=print):
        self.engine = engine
        self.writer = Writer(engine)
        self.sqlite = self.writer.dialect == "sqlite"
        self.n = guarantees
        self.mirror = mirror
        self.log = log
        self.rnd = random.Random(seed)
        items = max(guarantees, round(history * 0.30))
        self.repeat_rate = (items - guarantees) / guarantees
        self.action_rate = history * 0.45 / guarantees
        # edit saves: a save may change two fields, but edits after a release are dropped, about a wash
        self.edit_rate = history * 0.25 / guarantees
        self.release_share = 0.3 * min(1.0, self.action_rate / 2.25)
        # history ends at midnight (UTC) starting today: today's manual batch is left to the load benchmark
        self.end = datetime.now(UTC).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
        self.first_day = (self.end - timedelta(days=4 * 365)).date()
        self.days = (self.end.date() - self.first_day).days
        self.go_live = int(self.days * 0.15)  # days before it: migrated from the legacy system
        self.big_index = guarantees // 3
        self.small_index = guarantees // 3 + 1
        self.next_id = {table: 1 for table in ID_TABLES}
        self.batch_rows: dict[int, int] = {}
        self.prints: dict[int, list[int]] = {}
        self.register = Register(big_id=self.big_index + 1, small_id=self.small_index + 1)

    # value shapes per driver: SQLite gets what SQLAlchemy would store, psycopg takes Python values
    def d(self, value: date | None):
        return value.isoformat() if self.sqlite and value is not None else value

    def t(self, value: datetime | None):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite and value is not None else value

    def m(self, value: Decimal | None):
        return str(value) if self.sqlite and value is not None else value

    @staticmethod
    def j(value) -> str | None:
        return None if value is None else json.dumps(value)

    def new_id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def day(self, index: int) -> date:
        return self.first_day + timedelta(days=index)

    def day_index(self, moment: datetime) -> int:
        return (moment.date() - self.first_day).days

    # -- dictionaries, batches and sessions, made up front ----------------------------------------------------
    def dictionaries(self) -> None:
        rnd = self.rnd
        self.suppliers = make_suppliers(rnd, 1000)
        self.banks = make_banks()
        stamp = self.first_day.isoformat() + " 08:00:00"
        self.writer.write(
            "suppliers",
            [(s["id"], s["official_name"], s["display_name"], s["normalized_name"], 1, stamp) for s in self.suppliers],
        )
        self.writer.write(
            "banks",
            [
                (b["id"], b["official_name"], b["official_name_en"], b["official_name_ar"], b["normalized_key"],
                 b["short_code"], 1, stamp, b["address_line_1"], b["address_line_2"], b["contact_email"],
                 b["department"])
                for b in self.banks
            ],
        )  # fmt: skip
        self.next_id["suppliers"] = len(self.suppliers) + 1
        self.next_id["banks"] = len(self.banks) + 1
        # a few suppliers carry most guarantees, as in real registers
        self.supplier_weights = [1 / (rank + 10) for rank in range(len(self.suppliers))]
        self.bank_weights = [1 / (rank + 2) for rank in range(len(self.banks))]

    def batches(self) -> None:
        """Excel batches every third day, a manual batch each working day, a paste batch each week; their legacy
        import_sessions rows; an action session and a legacy daily-actions session per day."""
        rnd = self.rnd
        batches, sessions, day_sessions, action_sessions = [], [], [], []
        self.excel_batch: dict[int, tuple[int, datetime]] = {}
        self.manual_batch: dict[int, tuple[int, datetime]] = {}
        self.paste_batch: dict[int, tuple[int, datetime]] = {}
        self.legacy_session: dict[int, int] = {}  # batch id -> import_sessions id
        for index in range(self.days):
            day = self.day(index)
            legacy = index < self.go_live
            kinds = []
            if index % 3 == 0:
                kinds.append(("excel_import", self.excel_batch, 9))
            if day.weekday() not in (4, 5):
                kinds.append(("manual_batch", self.manual_batch, 8))
            if index % 7 == 3:
                kinds.append(("text_paste", self.paste_batch, 11))
            for batch_type, registry, hour in kinds:
                batch_id = self.new_id("import_batches")
                created = datetime.combine(day, datetime.min.time()) + timedelta(
                    hours=hour, minutes=rnd.randrange(60), seconds=rnd.randrange(60)
                )
                session_id = self.new_id("import_sessions")
                legacy_type = {"excel_import": "excel", "manual_batch": "manual", "text_paste": "smart_paste"}
                sessions.append((session_id, legacy_type[batch_type], 0, created.strftime("%Y-%m-%d %H:%M:%S")))
                self.legacy_session[batch_id] = session_id
                filename = f"guarantees-{day.isoformat()}.xlsx" if batch_type == "excel_import" else None
                sha = hashlib.sha256(f"{batch_id}".encode()).hexdigest() if filename else None
                description = {
                    "excel_import": f"Import of {filename}",
                    "manual_batch": f"Manual entries of {day.isoformat()}",
                    "text_paste": f"Pasted entries of {day.isoformat()}",
                }[batch_type]
                batches.append(
                    (batch_id, batch_type, ("Migrated: " if legacy else "") + description, filename, sha,
                     self.d(day), 0, 0, "legacy" if legacy else "app", session_id,
                     None if legacy else rnd.choice(USERS), self.t(created))
                )  # fmt: skip
                registry[index] = (batch_id, created)
        for index in range(self.days):
            day = self.day(index)
            session_id = self.new_id("import_sessions")
            sessions.append((session_id, "daily_actions", 0, f"{day.isoformat()} 07:00:00"))
            day_sessions.append((self.d(day), "daily_actions", session_id))
            self.legacy_session[-index - 1] = session_id  # day -> its daily session
            opened = datetime.combine(day, datetime.min.time()) + timedelta(hours=7)
            action_sessions.append(
                (index + 1, self.d(day), f"Letters of {day.isoformat()}", 0, 0, False, None, "app",
                 rnd.choice(USERS), None, self.t(opened))
            )  # fmt: skip
        self.next_id["action_sessions"] = self.days + 1
        self.writer.write("import_sessions", sessions)
        self.writer.write("legacy_day_sessions", day_sessions)
        self.writer.write("import_batches", batches)
        self.writer.write("action_sessions", action_sessions)

    # -- one guarantee and its history -------------------------------------------------------------------------
    def guarantee(self, index: int, out: dict) -> None:
        rnd = self.rnd
        gid = index + 1
        day_index = min(self.days - 1, index * self.days // self.n)
        big, small = index == self.big_index, index == self.small_index
        # the batch it came in: mostly Excel, some manual, a few pasted
        roll = rnd.random()
        if roll < 0.15 and day_index in self.manual_batch:
            batch_id, batch_time = self.manual_batch[day_index]
            import_type = "manual"
            created = batch_time + timedelta(minutes=rnd.randrange(1, 480))
        elif roll < 0.20 and day_index in self.paste_batch:
            batch_id, batch_time = self.paste_batch[day_index]
            import_type = "paste"
            created = batch_time + timedelta(seconds=rnd.randrange(1, 60))
        else:
            slot = day_index - day_index % 3
            batch_id, batch_time = self.excel_batch[slot]
            import_type = "excel"
            created = batch_time + timedelta(seconds=rnd.randrange(1, 120))
        created = min(created, self.end - timedelta(hours=1))
        legacy_origin = day_index < self.go_live
        user = None if legacy_origin else rnd.choice(USERS)

        number = f"{PREFIXES[index % len(PREFIXES)]}{(index * 2654435761 + 12345) % 10**8:08d}"
        matched_supplier = rnd.random() < 0.85
        supplier = rnd.choices(self.suppliers, self.supplier_weights)[0]
        bank = rnd.choices(self.banks, self.bank_weights)[0]
        matched_bank = rnd.random() < 0.95
        raw_supplier = supplier["official_name"] if rnd.random() < 0.9 else _typo(rnd, supplier["official_name"])
        if not matched_supplier:
            raw_supplier = _typo(rnd, raw_supplier)
        raw_bank = bank["official_name_en"] if rnd.random() < 0.55 else bank["official_name_ar"]
        if not matched_bank:
            raw_bank = _typo(rnd, raw_bank)
        kind = rnd.random()
        contract = po = related = None
        if kind < 0.7:
            contract = f"CN-{created.year}-{rnd.randrange(100000):05d}"
            related = "contract"
        elif kind < 0.9:
            po = f"{rnd.randrange(400000, 499999)}"
            related = "purchase_order"
        amount = (Decimal(round(rnd.lognormvariate(11.5, 1.1) / 50) * 50 + 500)).quantize(CENT)
        currency = rnd.choices(("SAR", "USD", "EUR"), (93, 5, 2))[0]
        issue = created.date() - timedelta(days=rnd.randrange(0, 90))
        expiry = add_years(issue, 1) if rnd.random() < 0.6 else issue + timedelta(days=rnd.randrange(180, 1100))
        state = {
            "guarantee_number": number, "raw_supplier_name": raw_supplier, "raw_bank_name": raw_bank,
            "contract_number": contract, "po_number": po, "related_to": related, "amount": amount,
            "currency": currency, "issue_date": issue, "expiry_date": expiry, "type": rnd.choice(TYPES),
            "comment": rnd.choice(COMMENTS) if rnd.random() < 0.15 else None,
            "supplier_id": supplier["id"] if matched_supplier else None,
            "bank_id": bank["id"] if matched_bank else None,
            "supplier_display_name": supplier["display_name"] if matched_supplier else None,
            "bank_display": bank["official_name_en"] if matched_bank else None,
            "match_status": "ready" if matched_supplier and matched_bank else "needs_review",
            "status": "active",
        }  # fmt: skip
        locked = legacy_origin and state["match_status"] == "ready"
        lock_reason = LOCK_READY if locked else None
        version = 1
        updated = created

        # what happens to it afterwards: actions, edit saves and repeats in later Excel batches, in time order
        span = (self.end - created).total_seconds()
        if big:
            n_actions, released, n_edits, n_repeats = 150, False, 150, 49
        elif small:
            n_actions, released, n_edits, n_repeats = 1, False, 2, 0
        else:
            released = rnd.random() < self.release_share
            n_actions = _poisson(rnd, self.action_rate - self.release_share) + released
            n_edits = _poisson(rnd, self.edit_rate)
            n_repeats = _poisson(rnd, self.repeat_rate)

        def moment() -> datetime:
            at = created + timedelta(seconds=rnd.uniform(3600, max(3601.0, span)))
            return min(at, self.end - timedelta(seconds=1))

        if big:  # each action on a day of its own, so each has its own letter print
            days_left = (self.end - created).days - 1
            offsets = sorted(rnd.sample(range(1, days_left), n_actions))
            action_times = [
                datetime.combine(created.date() + timedelta(days=o), datetime.min.time())
                + timedelta(hours=10, minutes=rnd.randrange(300))
                for o in offsets
            ]
        else:
            action_times = sorted(moment() for _ in range(n_actions))
        events = [(t, "action", i) for i, t in enumerate(action_times)]
        if small:  # two edits in two saves, well apart
            events += [(created + timedelta(days=2), "edit", 0), (created + timedelta(days=3), "edit", 1)]
        else:
            events += [(moment(), "edit", i) for i in range(n_edits)]
        events += [(moment(), "repeat", i) for i in range(n_repeats)]
        events.sort()
        release_at = action_times[-1] if released and action_times else None
        extensions_left = reductions_left = 0
        if big:
            reductions_left = 20

        def legacy_row(moment_: datetime, record_type: str, session_id: int, **links) -> int | None:
            if not self.mirror:
                return None
            record_id = self.new_id("imported_records")
            amount_ = state["amount"]
            out["imported_records"].append(
                (record_id, session_id, state["raw_supplier_name"], state["raw_bank_name"],
                 None if amount_ is None else f"{amount_:.2f}", state["guarantee_number"],
                 state["issue_date"].isoformat(), state["expiry_date"].isoformat(), state["match_status"],
                 state["supplier_id"], state["bank_id"], moment_.strftime("%Y-%m-%d %H:%M:%S"),
                 state["contract_number"] or state["po_number"], state["type"], state["comment"],
                 state["bank_display"], state["supplier_display_name"], state["related_to"], record_type,
                 links.get("guarantee", gid), links.get("action"), links.get("batch"))
            )  # fmt: skip
            return record_id

        def item(batch: int, at: datetime, outcome: str, changes: dict | None) -> None:
            item_id = self.new_id("import_batch_items")
            row_number = self.batch_rows.get(batch, 0) + 1
            self.batch_rows[batch] = row_number
            legacy_id = legacy_row(at, "import", self.legacy_session[batch], batch=batch)
            raw = {
                "BANK GUARANTEE NUMBER": state["guarantee_number"], "SUPPLIER": state["raw_supplier_name"],
                "BANK": state["raw_bank_name"], "AMOUNT": str(state["amount"]),
                "EXPIRY DATE": state["expiry_date"].isoformat(), "CONTRACT": state["contract_number"],
            }  # fmt: skip
            out["import_batch_items"].append(
                (item_id, batch, row_number, gid, outcome, self.j(changes), self.j(raw), legacy_id,
                 None if legacy_origin and outcome == "created" else rnd.choice(USERS), self.t(at))
            )  # fmt: skip

        # the row that created it
        created_changes = {
            name: [None, str(state[name])]
            for name in ("guarantee_number", "raw_supplier_name", "raw_bank_name", "amount", "expiry_date",
                         "issue_date", "contract_number", "po_number", "type", "supplier_id", "bank_id")
            if state[name] is not None
        }  # fmt: skip
        item(batch_id, created, "created", created_changes)

        for at, kind_, position in events:
            if kind_ == "action":
                if release_at is not None and at == release_at and position == n_actions - 1:
                    action_type = "release"
                elif big:
                    action_type = "reduction" if position % 7 == 3 and reductions_left else "extension"
                else:
                    action_type = "reduction" if rnd.random() < 0.15 else "extension"
                previous_expiry, previous_amount = state["expiry_date"], state["amount"]
                new_expiry, new_amount = previous_expiry, previous_amount
                if action_type == "reduction":
                    cut = (previous_amount * Decimal(rnd.uniform(0.5, 0.9))).quantize(CENT)
                    if not Decimal(0) < cut < previous_amount:
                        action_type = "extension"
                    else:
                        new_amount = cut
                        reductions_left = max(0, reductions_left - 1)
                if action_type == "extension":
                    new_expiry = add_years(previous_expiry, 1)
                    extensions_left += 1
                action_id = self.new_id("guarantee_actions")
                day_index_ = self.day_index(at)
                session_id = day_index_ + 1
                state["expiry_date"], state["amount"] = new_expiry, new_amount
                if action_type == "release":
                    state["status"] = "released"
                legacy_id = legacy_row(
                    at, RECORD_TYPES[action_type], self.legacy_session[-day_index_ - 1], action=action_id
                )
                actor = rnd.choice(USERS)
                # Written as already issued, in bulk: the database lets only the migration's rows (origin legacy)
                # arrive issued (migration 0015), so the generated history is a migrated one.
                out["guarantee_actions"].append(
                    (action_id, gid, number, action_type, session_id, self.d(at.date()), self.d(previous_expiry),
                     self.d(new_expiry), self.m(previous_amount), self.m(new_amount),
                     rnd.choice(COMMENTS) if rnd.random() < 0.1 else None, state["supplier_id"], state["bank_id"],
                     state["supplier_display_name"] or state["raw_supplier_name"],
                     state["bank_display"] or state["raw_bank_name"], "issued", True, "legacy", legacy_id, actor,
                     self.t(at - timedelta(minutes=rnd.randrange(1, 120))), actor, self.t(at))
                )  # fmt: skip
                self.prints.setdefault(session_id, []).append(action_id)
                if not locked:
                    locked, lock_reason = True, LOCK_ACTION.format(kind=action_type)
                version += 1
                updated = at
            elif kind_ == "edit":
                if state["status"] == "released":
                    continue
                fields = ["comment"]
                if not locked:
                    roll = rnd.random()
                    fields = (
                        ["comment"] if roll < 0.4
                        else ["contract_number"] if roll < 0.6
                        else ["po_number"] if roll < 0.7
                        else ["type"] if roll < 0.8
                        else ["raw_supplier_name"] if roll < 0.9
                        else ["contract_number", "comment"]
                    )  # fmt: skip
                if not big and not small and rnd.random() < 0.1 and "comment" not in fields:
                    fields.append("comment")
                changes = []
                for name in fields:
                    old = state[name]
                    if name == "comment":
                        new = rnd.choice(COMMENTS) + ("" if rnd.random() < 0.7 else f" ({at.date().isoformat()})")
                    elif name == "contract_number":
                        new = f"CN-{at.year}-{rnd.randrange(100000):05d}"
                    elif name == "po_number":
                        new = f"{rnd.randrange(400000, 499999)}"
                    elif name == "type":
                        new = rnd.choice(TYPES[:-1])
                    else:
                        new = (
                            _typo(rnd, self.suppliers[state["supplier_id"] - 1]["official_name"])
                            if state["supplier_id"]
                            else _typo(rnd, old or "supplier")
                        )
                    if new == old:
                        new = f"{new} *"
                    state[name] = new
                    changes.append((name, old, new))
                legacy_id = legacy_row(at, "modification", self.legacy_session[-self.day_index(at) - 1])
                editor = rnd.choice(USERS)
                for name, old, new in changes:
                    out["guarantee_edits"].append(
                        (self.new_id("guarantee_edits"), gid, name, None if old is None else str(old), str(new),
                         editor, self.t(at), legacy_id)
                    )  # fmt: skip
                version += 1
                updated = max(updated, at)
            else:  # the same number again in a later Excel file
                slot = self.day_index(at)
                slot -= slot % 3
                if slot <= day_index:
                    slot = day_index - day_index % 3 + 3
                if slot not in self.excel_batch:
                    continue
                batch, batch_at = self.excel_batch[slot]
                at = max(batch_at, created) + timedelta(seconds=rnd.randrange(1, 120))
                if state["status"] == "released" or rnd.random() < 0.6:
                    item(batch, at, "unchanged", None)
                else:
                    old, new = state["comment"], rnd.choice(COMMENTS)
                    if new == old:
                        item(batch, at, "unchanged", None)
                        continue
                    state["comment"] = new
                    item(batch, at, "updated", {"comment": [old, new]})
                    version += 1
                    updated = max(updated, at)

        # a few legacy rows that never became anything (renewal requests), found only by their number
        if not big and not small and self.mirror and rnd.random() < 0.01:
            spaced = number[:3].lower() + " " + number[3:]
            out["imported_records"].append(
                (self.new_id("imported_records"), self.legacy_session[-day_index - 1], raw_supplier, raw_bank,
                 f"{amount:.2f}", spaced, issue.isoformat(), expiry.isoformat(), None, None, None,
                 created.strftime("%Y-%m-%d %H:%M:%S"), contract, None, None, None, None, None, "renewal_request",
                 None, None, None)
            )  # fmt: skip
        out["guarantees"].append(
            (gid, number, state["raw_supplier_name"], state["raw_bank_name"], state["contract_number"],
             state["po_number"], state["related_to"], self.m(state["amount"]), state["currency"],
             self.d(state["issue_date"]), self.d(state["expiry_date"]), state["type"], state["comment"],
             state["supplier_id"], state["bank_id"], state["supplier_display_name"], state["bank_display"],
             state["match_status"], state["status"], locked, lock_reason, batch_id, import_type, self.d(created.date()),
             version, user, self.t(created), self.t(updated))
        )  # fmt: skip
        if index % 997 == 0:
            self.register.numbers.append(number)
            if contract:
                self.register.contracts.append(contract)
            self.register.sample_ids.append(gid)

    # -- the whole register ----------------------------------------------------------------------------------
    def run(self) -> Register:
        began = time.perf_counter()
        self.dictionaries()
        self.batches()
        tables = ("imported_records", "guarantees", "guarantee_actions", "guarantee_edits", "import_batch_items")
        for start in range(0, self.n, CHUNK):
            out = {table: [] for table in tables}
            for index in range(start, min(self.n, start + CHUNK)):
                self.guarantee(index, out)
            for table in tables:
                self.writer.write(table, out[table])
            done = min(self.n, start + CHUNK)
            self.log(
                f"  {done:>9,} guarantees, {self.next_id['guarantee_actions'] - 1:>9,} actions, "
                f"{self.next_id['guarantee_edits'] - 1:>9,} edits, {self.next_id['import_batch_items'] - 1:>9,} items"
                f"  ({time.perf_counter() - began:5.1f} s)"
            )
        self.finish()
        self.register.seconds = time.perf_counter() - began
        self.register.counts = dict(self.writer.rows)
        self.register.suppliers = self.suppliers
        self.register.banks = self.banks
        self.writer.close()
        return self.register

    def finish(self) -> None:
        """Letter prints, counters, locks; sequences (PostgreSQL) and statistics."""
        rnd = self.rnd
        if self.mirror:
            prints, links = [], []
            for session_id, action_ids in sorted(self.prints.items()):
                day = self.day(session_id - 1)
                printed = datetime.combine(day, datetime.min.time()) + timedelta(hours=15, minutes=rnd.randrange(60))
                prints.append(
                    (self.new_id("letter_prints"), self.j(action_ids), session_id, "ar", rnd.choice(USERS),
                     self.t(printed))
                )  # fmt: skip
                links += [(prints[-1][0], action_id) for action_id in action_ids]
            self.writer.write("letter_prints", prints)
            self.writer.write("letter_print_actions", links)
        w = self.writer
        if not self.sqlite:  # fresh COPYs have no statistics yet: the counts below would plan as nested scans
            w.execute("ANALYZE")
        w.execute(
            "UPDATE import_batches SET total_records = c.total, ready_records = c.ready FROM (SELECT i.batch_id, "
            "count(*) AS total, sum(CASE WHEN g.match_status = 'ready' THEN 1 ELSE 0 END) AS ready "
            "FROM import_batch_items i JOIN guarantees g ON g.id = i.guarantee_id GROUP BY i.batch_id) AS c "
            "WHERE c.batch_id = import_batches.id"
        )
        w.execute(
            "UPDATE import_sessions SET record_count = c.total FROM (SELECT session_id, count(*) AS total "
            "FROM imported_records GROUP BY session_id) AS c WHERE c.session_id = import_sessions.id"
        )
        w.execute("DELETE FROM action_sessions WHERE NOT EXISTS (SELECT 1 FROM guarantee_actions a "
                  "WHERE a.action_session_id = action_sessions.id)")  # fmt: skip
        locked_at = "session_date || ' 16:00:00.000000'" if self.sqlite else "session_date + time '16:00'"
        w.execute(
            "UPDATE action_sessions SET total_actions = c.total, issued_actions = c.total, is_locked = "
            f"{'1' if self.sqlite else 'true'}, locked_at = {locked_at}, issued_by = created_by FROM (SELECT "
            "action_session_id, count(*) AS total FROM guarantee_actions GROUP BY action_session_id) AS c "
            "WHERE c.action_session_id = action_sessions.id"
        )
        if not self.sqlite:
            for table in ID_TABLES:
                w.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
            w.conn.autocommit = True
            with w.conn.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            w.conn.autocommit = False


def generate(engine, guarantees: int, history: int, *, seed: int = 11, mirror: bool = True, log=print) -> Register:
    """Fill a freshly migrated, empty register (see Generator)."""
    return Generator(engine, guarantees, history, seed=seed, mirror=mirror, log=log).run()


def describe(engine) -> Register:
    """The Register of a database this generator filled earlier (for measuring it again)."""
    register = Register()
    with engine.connect() as conn:
        big = conn.exec_driver_sql(
            "SELECT guarantee_id FROM guarantee_actions GROUP BY guarantee_id ORDER BY count(*) DESC LIMIT 1"
        ).scalar()
        register.big_id, register.small_id = big, big + 1
        rows = conn.exec_driver_sql(
            "SELECT id, guarantee_number, contract_number FROM guarantees WHERE mod(id, 997) = 1 ORDER BY id"
        ).all()
        register.sample_ids = [row[0] for row in rows]
        register.numbers = [row[1] for row in rows]
        register.contracts = [row[2] for row in rows if row[2]]
        register.suppliers = [
            {"id": row[0], "official_name": row[1]}
            for row in conn.exec_driver_sql("SELECT id, official_name FROM suppliers ORDER BY id")
        ]
        register.banks = [
            {"id": row[0], "official_name_en": row[1], "official_name_ar": row[2]}
            for row in conn.exec_driver_sql("SELECT id, official_name_en, official_name_ar FROM banks ORDER BY id")
        ]
    register.counts = table_counts(engine)
    return register


def table_counts(engine) -> dict:
    tables = (
        "guarantees", "guarantee_actions", "guarantee_edits", "import_batch_items", "import_batches",
        "imported_records", "letter_prints", "action_sessions", "suppliers", "banks",
    )  # fmt: skip
    with engine.connect() as conn:
        return {table: conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() for table in tables}
