"""The headers every answer carries: no-store for whatever a signed-in user sees, HSTS by setting and only on
HTTPS, X-Forwarded-* believed only from TRUSTED_PROXIES proxies, a CSP naming only the one htmx file."""

import base64
import hashlib
import re
from pathlib import Path

import pytest
from flask import request_started

from guarantees.web.headers import content_security_policy
from tests.production.test_security import placeholder
from tests.web.conftest import Client, csrf_from

ROOT = Path(__file__).resolve().parents[2]
VENDORED = ROOT / "static" / "vendor" / "htmx-2.0.4.min.js"
HTMX_CDN = "https://cdn.jsdelivr.net/npm/htmx.org@2.0.4/dist/htmx.min.js"


def script_sources(csp: str) -> list[str]:
    return re.search(r"script-src ([^;]*)", csp).group(1).split()


def get_urls(app):
    """Every GET page and fragment of the app (static files aside), with placeholder arguments."""
    from flask import url_for

    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
            continue
        with app.test_request_context():
            found.append(url_for(rule.endpoint, **{arg: placeholder(rule._converters[arg]) for arg in rule.arguments}))
    return found


# -- Cache-Control: no-store ----------------------------------------------------------------------------------


def test_every_page_and_fragment_a_signed_in_user_gets_is_no_store(app, admin):
    urls = get_urls(app)
    assert len(urls) >= 20
    for url in urls:
        for htmx in (False, True):
            response = admin.get(url, htmx=htmx)
            assert response.headers.get("Cache-Control") == "no-store", (url, htmx, response.status_code)


def test_writes_downloads_and_errors_are_no_store(app, editor, make_guarantee):
    guarantee = make_guarantee("NS1")
    answers = [
        editor.post(f"/guarantees/{guarantee.id}/fields/comment", data={"value": "x", "version": "1"}, htmx=True),
        editor.get("/imports/template.xlsx"),
        editor.get("/guarantees/999999"),
        editor.post("/logout", csrf=False),  # refused: no token
        editor.get("/admin/users"),  # refused: an editor is not an admin
    ]
    for response in answers:
        assert response.headers.get("Cache-Control") == "no-store", response.status_code
    assert {r.status_code for r in answers} >= {200, 404, 400, 403}


def test_the_sign_in_forms_answers_are_no_store(client, make_user):
    make_user("clerk", "editor")
    page = client.get("/login")
    assert page.headers["Cache-Control"] == "no-store"
    token = csrf_from(page.get_data(as_text=True))
    answers = {
        "wrong": client.post("/login", data={"csrf_token": token, "username": "clerk", "password": "nope"}),
        "incomplete": client.post("/login", data={"csrf_token": token, "username": "clerk"}),
        "no token": client.post("/login", data={"username": "clerk", "password": "pw-clerk"}),
        "right": client.post("/login", data={"csrf_token": token, "username": "clerk", "password": "pw-clerk"}),
    }
    for what, response in answers.items():
        assert response.headers.get("Cache-Control") == "no-store", what
    assert answers["right"].status_code == 303


def test_static_files_keep_their_caching(client, editor):
    for who in (client, editor.client):
        with who.get("/static/css/app.css") as response:
            assert response.status_code == 200
            assert "no-store" not in response.headers.get("Cache-Control", "")
            assert response.headers.get("ETag") or response.headers.get("Last-Modified")


# -- HSTS and trusted proxies -------------------------------------------------------------------------------------


def test_no_hsts_unless_set(app, client):
    assert "Strict-Transport-Security" not in client.get("/health", base_url="https://register.example").headers
    assert "Strict-Transport-Security" not in client.get("/login", base_url="https://register.example").headers


def test_hsts_when_set_only_on_https(make_app, database):
    client = make_app(database, HSTS_SECONDS=31536000).test_client()
    assert client.get("/health", base_url="https://register.example").headers["Strict-Transport-Security"] == (
        "max-age=31536000"
    )
    assert "Strict-Transport-Security" not in client.get("/health").headers


@pytest.mark.parametrize(
    "claims",
    [
        {"X-Forwarded-Proto": "https"},
        {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.9", "X-Forwarded-Host": "evil.example"},
        {"X-Forwarded-Ssl": "on", "X-Forwarded-Protocol": "ssl", "Forwarded": "proto=https"},
    ],
)
def test_without_trusted_proxies_forwarded_headers_change_nothing(make_app, database, claims):
    app = make_app(database, HSTS_SECONDS=31536000)
    seen = []
    request_started.connect(lambda _app, **_: seen.append(_request_facts()), app, weak=False)
    client = app.test_client()
    for remote in ("127.0.0.1", "10.1.2.3"):
        response = client.get("/login?next=/review", headers=claims, environ_base={"REMOTE_ADDR": remote})
        assert "Strict-Transport-Security" not in response.headers
        assert seen[-1] == ("http", remote, "localhost")
        assert 'action="/login?next=/review"' in response.get_data(as_text=True)


def _request_facts():
    from flask import request

    return request.scheme, request.remote_addr, request.host


def test_trusted_proxies_are_believed_as_far_as_their_number(make_app, database):
    app = make_app(database, HSTS_SECONDS=31536000, TRUSTED_PROXIES=1)
    seen = []
    request_started.connect(lambda _app, **_: seen.append(_request_facts()), app, weak=False)
    client = app.test_client()
    forwarded = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "6.6.6.6, 10.0.0.9",
        "X-Forwarded-Host": "reg.example",
    }
    response = client.get("/health", headers=forwarded, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert seen[-1] == ("https", "10.0.0.9", "reg.example")  # the address the one proxy saw, not the client's claim
    plain = client.get("/health", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert "Strict-Transport-Security" not in plain.headers and seen[-1] == ("http", "127.0.0.1", "localhost")

    two = make_app(database, TRUSTED_PROXIES=2)
    seen.clear()
    request_started.connect(lambda _app, **_: seen.append(_request_facts()), two, weak=False)
    two.test_client().get("/health", headers=forwarded, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert seen[-1][1] == "6.6.6.6"


# -- Content Security Policy and where htmx comes from ------------------------------------------------------------


def test_the_vendored_htmx_is_the_cdn_file(app):
    digest = base64.b64encode(hashlib.sha384(VENDORED.read_bytes()).digest()).decode()
    assert app.config["HTMX_SRI"] == f"sha384-{digest}"
    assert app.config["HTMX_CDN_URL"] == HTMX_CDN
    version = re.search(r"htmx-([\d.]+)\.min\.js$", app.config["HTMX_LOCAL_FILE"]).group(1)
    assert f"htmx.org@{version}/" in app.config["HTMX_CDN_URL"] and VENDORED.name.endswith(f"{version}.min.js")


def test_by_default_scripts_come_from_this_site_and_the_one_htmx_file(editor):
    response = editor.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert script_sources(csp) == ["'self'", HTMX_CDN]
    assert "default-src 'self'" in csp and "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    html = response.get_data(as_text=True)
    external = re.findall(r'<script[^>]* src="(https?://[^"]+)"', html)
    assert external == [HTMX_CDN]  # every outside script the page loads is the one the CSP names
    assert f'<script src="{HTMX_CDN}" integrity="sha384-' in html
    assert 'data-htmx-local="/static/vendor/htmx-2.0.4.min.js" src="/static/js/htmx-fallback.js"' in html


def test_no_page_names_a_whole_host_as_a_script_source(app, client, editor):
    for response in (client.get("/login"), client.get("/health"), editor.get("/guarantees"), editor.get("/nowhere")):
        for source in script_sources(response.headers["Content-Security-Policy"]):
            assert source == "'self'" or source.endswith(".js"), source


def test_htmx_source_local_loads_only_the_bundled_copy(make_app, database, make_user):
    app = make_app(database, HTMX_SOURCE="local")
    with app.app_context():
        user = make_user("local-clerk", "editor")
        client = Client(app.test_client(), user).sign_in()
    for response in (client.get("/"), client.get("/guarantees"), app.test_client().get("/login")):
        csp = response.headers["Content-Security-Policy"]
        assert script_sources(csp) == ["'self'"] and "http" not in csp  # no outside host at all
        html = response.get_data(as_text=True)
        assert "cdn.jsdelivr" not in html and "https://" not in html.split("</head>")[0]
        assert '<script src="/static/vendor/htmx-2.0.4.min.js" integrity="sha384-' in html
        assert "htmx-fallback.js" not in html  # nothing to fall back from
    with app.test_client().get("/static/vendor/htmx-2.0.4.min.js") as served:
        assert served.status_code == 200


def test_the_policy_follows_the_setting():
    config = {"HTMX_SOURCE": "cdn", "HTMX_CDN_URL": HTMX_CDN}
    assert f"script-src 'self' {HTMX_CDN};" in content_security_policy(config)
    assert "script-src 'self';" in content_security_policy({**config, "HTMX_SOURCE": "local"})


def test_the_fallback_loads_the_file_its_tag_names():
    script = (ROOT / "static" / "js" / "htmx-fallback.js").read_text()
    assert 'getAttribute("data-htmx-local")' in script and "if (window.htmx) return;" in script
