"""Fixtures: an app on a fresh, migrated database per test, on SQLite and (where a server answers) PostgreSQL.

PostgreSQL: TEST_DATABASE_URL names a maintenance database on a server we may create databases on
(default postgresql+psycopg://postgres@127.0.0.1:5432/postgres). With REQUIRE_POSTGRES=1 (CI) an
unreachable server fails the run instead of skipping the PostgreSQL half.
"""

import itertools
import os
import shutil
import uuid
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from guarantees import create_app
from guarantees.extensions import db

ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"
PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
SECRET = "test-secret-key-0123456789abcdef0123456789"
_counter = itertools.count()


def shared_fixture(*parts: str) -> Path:
    """A file of ../shared/fixtures, or a skip that says why it is missing."""
    path = SHARED_FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real fixture {'/'.join(parts)} not found: ../shared/fixtures is absent beside the project")
    return path


def _config(url: str, **extra) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": SECRET,
        # The tests read the source language unless they ask for Arabic (the product's default is Arabic).
        "DEFAULT_LOCALE": "en",
        # Throw-away accounts: a cheap hash instead of scrypt's 0.13 s per hash and per sign-in.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        "UPLOAD_FOLDER": extra.pop("UPLOAD_FOLDER", None),
        # A statement waiting on a lock for two minutes is a test that hangs: it fails instead of stalling the run.
        **({"SQLALCHEMY_ENGINE_OPTIONS": PG_ENGINE_OPTIONS} if url.startswith("postgresql") else {}),
        **extra,
    }


PG_ENGINE_OPTIONS = {"pool_pre_ping": True, "connect_args": {"options": "-c lock_timeout=120000"}}


def _upgrade(url: str, revision: str = "head") -> None:
    from flask_migrate import upgrade

    app = create_app(_config(url))
    with app.app_context():
        upgrade(revision=revision)
        db.engine.dispose()


class Postgres:
    """A server we can create throw-away databases on, from a migrated template."""

    def __init__(self, admin_url: str) -> None:
        self.admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        with self.admin.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        self.prefix = f"gr_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.templates: dict[str, str] = {}

    def url(self, name: str) -> str:
        return self.admin.url.set(database=name).render_as_string(hide_password=False)

    def _create(self, name: str, template: str | None = None) -> str:
        with self.admin.connect() as connection:
            suffix = f" TEMPLATE {template}" if template else ""
            connection.execute(sa.text(f'CREATE DATABASE "{name}"{suffix}'))
        return self.url(name)

    def fresh(self, revision: str | None = "head") -> str:
        """A new database at `revision` (None: empty)."""
        name = f"{self.prefix}_{next(_counter)}"
        if revision is None:
            return self._create(name)
        if revision not in self.templates:
            template = f"{self.prefix}_tmpl_{len(self.templates)}"
            _upgrade(self._create(template), revision)
            self.templates[revision] = template
        return self._create(name, self.templates[revision])

    def drop(self, url: str) -> None:
        name = sa.engine.make_url(url).database
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        for template in self.templates.values():
            self.drop(self.url(template))
        self.admin.dispose()


class Sqlite:
    """Throw-away SQLite files, copied from a migrated template."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.templates: dict[str, Path] = {}

    def fresh(self, revision: str | None = "head") -> str:
        path = self.folder / f"db-{next(_counter)}.sqlite"
        if revision is not None:
            if revision not in self.templates:
                template = self.folder / f"template-{len(self.templates)}.sqlite"
                _upgrade(f"sqlite:///{template}", revision)
                self.templates[revision] = template
            shutil.copy(self.templates[revision], path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        path = Path(url[len("sqlite:///") :])
        for extra in ("", "-wal", "-shm"):
            Path(str(path) + extra).unlink(missing_ok=True)

    def close(self) -> None:
        pass


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """The .mo files built from the committed .po files, as `make compile-translations` does, so that a test run
    started any way reads the current translations."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parts[-3])
            with mo.open("wb") as target:
                write_mo(target, catalog)


@pytest.fixture(scope="session")
def _sqlite_server(tmp_path_factory):
    server = Sqlite(tmp_path_factory.mktemp("sqlite"))
    yield server
    server.close()


@pytest.fixture(scope="session")
def _pg_server():
    try:
        server = Postgres(PG_ADMIN_URL)
    except sa.exc.OperationalError as error:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (REQUIRE_POSTGRES=1) but does not answer: {error}")
        yield None
        return
    yield server
    server.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    """Each database test runs on SQLite and on PostgreSQL."""
    if request.param == "postgresql":
        server = request.getfixturevalue("_pg_server")
        if server is None:
            pytest.skip(f"no PostgreSQL server at {PG_ADMIN_URL}")
        return server
    return request.getfixturevalue("_sqlite_server")


@pytest.fixture
def database(backend):
    """A fresh database migrated to head; its URL."""
    url = backend.fresh()
    yield url
    backend.drop(url)


@pytest.fixture
def empty_database(backend):
    """A fresh, empty database (no tables); its URL."""
    url = backend.fresh(None)
    yield url
    backend.drop(url)


@pytest.fixture
def make_app(tmp_path):
    """A factory of apps on a given database URL, cleaned up after the test."""
    apps = []

    def make(url: str, **config):
        folders = {"UPLOAD_FOLDER": str(tmp_path / "uploads"), "ATTACHMENTS_DIR": str(tmp_path / "attachments")}
        app = create_app(_config(url, **{**folders, **config}))
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app, database):
    """The app on a fresh database, with an application context pushed."""
    app = make_app(database)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture(autouse=True)
def separate_requests(request):
    """The `app` fixture keeps one app context (one `g`) for a whole test: forget, before each request, the
    signed-in user, CSRF token and locale the previous request cached there, so clients stay apart."""
    if "app" not in request.fixturenames:
        yield
        return
    from flask import g, request_started

    app = request.getfixturevalue("app")

    def forget(_sender, **_extra):
        g.pop("_login_user", None)
        g.pop("csrf_token", None)
        g.pop("_flask_babel", None)
        g.pop("alert_thresholds", None)

    request_started.connect(forget, app)
    yield
    request_started.disconnect(forget, app)


@pytest.fixture
def count_queries(app):
    """with count_queries() as seen: ... → seen["n"] statements sent to the database."""

    @contextmanager
    def counting():
        seen = {"n": 0}

        def listener(*_args):
            seen["n"] += 1

        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            yield seen
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)

    return counting


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """Create a user: make_user("clerk", "editor") → User (password "pw-<username>")."""
    from guarantees.models import User

    def make(username: str = "clerk", role: str = "editor", password: str | None = None):
        user = User(username=username, role=role, active=True)
        user.set_password(password or f"pw-{username}")
        db.session.add(user)
        db.session.commit()
        return user

    return make


# A register's day before the guarantees the tests enter by default expire (make_guarantee: 2026-06-01), for the
# tests that extend them: an extension needs a guarantee that has not expired and a new expiry after today.
BEFORE_EXPIRY = date(2026, 1, 15)


@pytest.fixture
def before_expiry(request):
    """The register's day (clock.today()) fixed at BEFORE_EXPIRY for this test's app (a module may mark all its
    tests with it: those without an app are left alone)."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").config["TODAY"] = BEFORE_EXPIRY
    return BEFORE_EXPIRY


@pytest.fixture
def make_guarantee(app):
    """Enter a guarantee through the service: make_guarantee(number="G1", **fields) → Guarantee."""
    from guarantees.services import guarantees

    numbers = itertools.count(1)

    def make(number: str | None = None, *, user: str = "tester", **fields):
        data = {
            "guarantee_number": number or f"TEST{next(numbers):05d}",
            "raw_supplier_name": "Lana Medical Company",
            "raw_bank_name": "Riyad Bank",
            "amount": "25200.00",
            "expiry_date": "2026-06-01",
            "contract_number": "C/0016/40",
            **fields,
        }
        return guarantees.create(data, user=user)

    return make


def compound_file(names: list[str]) -> bytes:
    """A minimal compound file (OLE2/CFB, version 3) whose directory lists `names` as empty streams."""
    import struct

    assert len(names) <= 3
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<III", header, 40, 0, 1, 1)  # directory sectors (v3: 0), FAT sectors, first directory sector
    struct.pack_into("<IIIII", header, 56, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    struct.pack_into("<109I", header, 76, 0, *([0xFFFFFFFF] * 108))
    fat = struct.pack("<128I", 0xFFFFFFFD, 0xFFFFFFFE, *([0xFFFFFFFF] * 126))
    directory = bytearray(512)
    for i, (name, kind) in enumerate([("Root Entry", 5), *((n, 2) for n in names)]):
        entry = bytearray(128)
        encoded = name.encode("utf-16-le") + b"\0\0"
        entry[: len(encoded)] = encoded
        struct.pack_into("<HBB", entry, 64, len(encoded), kind, 1)
        struct.pack_into("<III", entry, 68, 0xFFFFFFFF, 0xFFFFFFFF, 1 if kind == 5 and names else 0xFFFFFFFF)
        struct.pack_into("<II", entry, 116, 0xFFFFFFFE, 0)
        directory[i * 128 : (i + 1) * 128] = entry
    return bytes(header) + fat + bytes(directory)


def build_xlsx(rows: list | None = None, *, sheets: dict[str, list] | None = None, encrypted: bool = False) -> bytes:
    """An .xlsx built in memory: `rows` in one sheet "Sheet1", or several sheets ({name: rows}) in order;
    encrypted=True gives what Excel writes for a password-protected workbook (a compound file) instead."""
    import io

    from openpyxl import Workbook

    if encrypted:
        return compound_file(["EncryptionInfo", "EncryptedPackage"])
    book = Workbook()
    book.remove(book.active)
    for name, sheet_rows in (sheets or {"Sheet1": rows or []}).items():
        sheet = book.create_sheet(name)
        for row in sheet_rows:
            sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def xlsx_bytes():
    """xlsx_bytes(rows), xlsx_bytes(sheets={"name": rows}) or xlsx_bytes(encrypted=True) -> an .xlsx's bytes."""
    return build_xlsx


@pytest.fixture
def issue_clock(monkeypatch):
    """Letters, voids and bank answers issued a second apart from BEFORE_EXPIRY 08:00 (the register's day of the
    tests that extend), whatever the machine's clock says; the returned list's one item is the start, which a test
    may move (`issue_clock[0] = datetime(...)`)."""
    from guarantees.services import actions, bank_answers, voids

    ticks = itertools.count()
    start = [datetime.combine(BEFORE_EXPIRY, time(8, 0))]

    def now():
        return start[0] + timedelta(seconds=next(ticks))

    for module in (actions, voids, bank_answers):
        monkeypatch.setattr(module, "utcnow", now)
    return start


CSRF_SYMBOLS = "-_.~"  # four characters a URL, a header and an HTML attribute take as they are


def _spell(token: str) -> str:
    return "".join(CSRF_SYMBOLS[byte >> shift & 3] for byte in token.encode() for shift in (6, 4, 2, 0))


def _unspell(spelled: str) -> str:
    if len(spelled) % 4 or set(spelled) - set(CSRF_SYMBOLS):
        return spelled  # not a token of ours: the signature check refuses it as it would any forgery
    digits = [CSRF_SYMBOLS.index(symbol) for symbol in spelled]
    return bytes(
        digits[i] << 6 | digits[i + 1] << 4 | digits[i + 2] << 2 | digits[i + 3] for i in range(0, len(digits), 4)
    ).decode(errors="replace")


@pytest.fixture(scope="session", autouse=True)
def csrf_tokens_without_letters():
    """The tests' CSRF tokens are spelled in four symbols instead of base64 letters and digits: a test's
    `"S-1" not in page` can then never fail because a random token happened to hold "S-1" (one did). Signed and
    checked as before; only the spelling changes."""
    import flask_wtf.csrf as csrf

    real = csrf.URLSafeTimedSerializer

    class Spelled(real):
        def dumps(self, obj, salt=None):
            return _spell(super().dumps(obj, salt))

        def loads(self, s, max_age=None, return_timestamp=False, salt=None):
            return super().loads(_unspell(s), max_age=max_age, return_timestamp=return_timestamp, salt=salt)

    csrf.URLSafeTimedSerializer = Spelled
    yield
    csrf.URLSafeTimedSerializer = real
