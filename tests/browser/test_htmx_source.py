"""Where the pages take htmx from, in a real browser under the app's CSP: HTMX_SOURCE=local asks nothing of any
outside host; the default (cdn) falls back to the bundled copy when the CDN fails, and the CSP lets the one file in."""

import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from guarantees.extensions import db
from guarantees.models import User
from tests.browser.conftest import wait_for_htmx

pytestmark = pytest.mark.browser


@pytest.fixture
def local_server(_sqlite_server, make_app):
    """The app with HTMX_SOURCE=local, served from a background thread; its URL."""
    url = _sqlite_server.fresh()
    app = make_app(url, HTMX_SOURCE="local")
    with app.app_context():
        user = User(username="clerk", role="editor", active=True)
        user.set_password("pw-clerk")
        db.session.add(user)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="local-htmx-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)
    server.server_close()
    _sqlite_server.drop(url)


def watch(page):
    """The URLs the page requests and the CSP violations it reports."""
    seen = {"requests": [], "violations": []}
    page.on("request", lambda request: seen["requests"].append(request.url))
    page.on(
        "console",
        lambda message: seen["violations"].append(message.text) if "Content Security Policy" in message.text else None,
    )
    return seen


def test_local_asks_no_outside_host_and_htmx_works(page, local_server):
    page.set_default_timeout(10_000)
    seen = watch(page)
    page.goto(f"{local_server}/login")
    wait_for_htmx(page)
    page.fill("#username", "clerk")
    page.fill("#password", "pw-clerk")
    page.click("button[type=submit]")
    page.wait_for_url(f"{local_server}/")
    wait_for_htmx(page)
    page.goto(f"{local_server}/guarantees")
    wait_for_htmx(page)
    hosts = {urlsplit(url).netloc for url in seen["requests"]}
    assert hosts == {urlsplit(local_server).netloc}, hosts
    assert any(url.endswith("/static/vendor/htmx-2.0.4.min.js") for url in seen["requests"])
    assert not any("htmx-fallback" in url for url in seen["requests"])
    assert seen["violations"] == []


def test_cdn_unreachable_falls_back_without_breaking_the_policy(offline_page, live_server):
    seen = watch(offline_page)
    offline_page.goto(f"{live_server.url}/login")
    wait_for_htmx(offline_page)
    assert any(url.endswith("/static/vendor/htmx-2.0.4.min.js") for url in seen["requests"])
    assert seen["violations"] == []


def test_the_policy_lets_the_cdn_file_in(served_page, live_server):
    seen = watch(served_page)
    served_page.goto(f"{live_server.url}/login")
    wait_for_htmx(served_page)
    assert "https://cdn.jsdelivr.net/npm/htmx.org@2.0.4/dist/htmx.min.js" in seen["requests"]
    assert not any(url.endswith("/static/vendor/htmx-2.0.4.min.js") for url in seen["requests"])
    assert seen["violations"] == []
