"""Real-browser fixtures: the app on a live local server over a fresh SQLite database, Debian's Chromium, sign-in.

There is no network here, as on an intranet without internet access. Pages ask the CDN for htmx first:
`offline_page` (what `sign_in` uses) refuses those requests, so that the local fallback loads htmx;
`served_page` answers them with the bundled copy (the same bytes, so the SRI hash holds).
"""

import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from werkzeug.serving import make_server

from guarantees.extensions import db
from guarantees.models import Bank, User
from tests.conftest import BEFORE_EXPIRY

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
BUNDLED_HTMX = ROOT / "static" / "vendor" / "htmx-2.0.4.min.js"
CDN = "https://cdn.jsdelivr.net/**"
USERS = {"clerk": "editor", "auditor": "viewer"}


def pytest_collection_modifyitems(items):
    """Without Chromium, browser tests are skipped with the reason (CI installs it)."""
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed: apt-get install -y chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def live_server(_sqlite_server, make_app):
    """The app served on 127.0.0.1:<free port> from a background thread, over a fresh migrated SQLite file."""
    url = _sqlite_server.fresh()
    app = make_app(url)
    with app.app_context():
        for username, role in USERS.items():
            user = User(username=username, role=role, active=True)
            user.set_password(f"pw-{username}")
            db.session.add(user)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", app=app)
    server.shutdown()
    thread.join(10)
    server.server_close()
    _sqlite_server.drop(url)


@pytest.fixture
def live_before_expiry(live_server):
    """The live server's register day fixed at BEFORE_EXPIRY, before the guarantees the tests enter expire
    (2026-06-01): an extension needs a guarantee that has not expired."""
    live_server.app.config["TODAY"] = BEFORE_EXPIRY
    return BEFORE_EXPIRY


@pytest.fixture
def in_app(live_server):
    """Run service calls against the live server's database: in_app(fn, *args, **kwargs)."""

    def run(function, *args, **kwargs):
        with live_server.app.app_context():
            try:
                return function(*args, **kwargs)
            finally:
                db.session.remove()

    return run


HTMX_READY = "() => window.htmx !== undefined && !!document.body['htmx-internal-data']"


def add_riyad_bank() -> None:
    """Riyad Bank in the dictionary, in both languages and with the address block its letters carry."""
    db.session.add(
        Bank(
            official_name="بنك الرياض",
            official_name_ar="بنك الرياض",
            official_name_en="Riyad Bank",
            short_code="RIBL",
            address_line_1="ص.ب. 22622، الرياض 11416",
            contact_email="TFC-LocalLG-Riyadh@riyadbank.com",
            department="مركز تمويل التجارة",
        )
    )
    db.session.commit()


def wait_for_htmx(page, timeout: float = 10_000) -> None:
    """htmx is loaded and has processed the page (its internal data sits on <body>)."""
    page.wait_for_function(HTMX_READY, timeout=timeout)


PROCESSED = "s => { const e = document.querySelector(s); return !!(e && e['htmx-internal-data']?.initHash); }"


def wait_until_processed(page, selector: str, timeout: float = 10_000) -> None:
    """htmx has processed the element that `selector` finds. Swapped-in content is processed as it settles, a
    moment after it shows: a form submitted before that goes the plain, non-htmx way."""
    page.wait_for_function(PROCESSED, arg=selector, timeout=timeout)


@pytest.fixture
def served_page(page):
    """A page whose CDN requests get the bundled htmx, as the CDN would serve it."""
    body = BUNDLED_HTMX.read_bytes()
    page.route(
        CDN,
        lambda route: route.fulfill(
            status=200, body=body, content_type="text/javascript", headers={"Access-Control-Allow-Origin": "*"}
        ),
    )
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def offline_page(page):
    """A page whose CDN requests fail at once, as on an intranet without internet access."""
    page.route(CDN, lambda route: route.abort())
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def sign_in(offline_page, live_server):
    """sign_in("clerk") → the page (offline: htmx from the local fallback), signed in on the dashboard, htmx ready."""

    def go(username: str = "clerk"):
        page = offline_page
        page.goto(f"{live_server.url}/login")
        page.fill("#username", username)
        page.fill("#password", f"pw-{username}")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        wait_for_htmx(page)
        return page

    return go


@pytest.fixture
def shot(request):
    """shot(page, "name") saves a screenshot under test-artifacts/ (kept by CI as an artifact)."""

    def save(page, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{name}.png".replace("/", "_")
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
