"""Twelve people pressing the same button at once, through gunicorn as `make serve` runs it (four workers), on
both databases: one wins, the others are told why (409, or a refusal shown on the page they return to), none
gets a 500, and the data holds exactly one result."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
import requests
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import ActionSession, GuaranteeAction
from tests.production.test_server_headers import SECRET, free_port, serve_command, start, stop

pytestmark = pytest.mark.slow

PEOPLE = 12
PASSWORD = "Race-conditions-2026!"
TOKEN = re.compile(r"'\{\"X-CSRFToken\": \"([^\"]+)\"\}'")
CONFIRM = re.compile(r'name="confirm" value="([^"]+)"')


class Browser(requests.Session):
    """A browser of its own. The session cookie is Secure, as production wants it; the test talks plain HTTP to
    127.0.0.1, so the cookie is kept as sendable after each answer."""

    def request(self, *args, **kwargs):
        response = super().request(*args, **kwargs)
        for cookie in self.cookies:
            cookie.secure = False
        return response


@pytest.fixture
def server(app, database):
    """gunicorn with four workers on this test's database: its base URL."""
    port = free_port()
    settings = {
        "DATABASE_URL": database,
        "SECRET_KEY": SECRET,
        "LOG_FORMAT": "text",
        "WORKERS": "4",
    }
    command = serve_command(port).replace("--workers 1", "--workers 4")
    process = start(command, settings, port, shell=True)  # noqa: S604 - the Makefile's line
    yield f"http://127.0.0.1:{port}"
    stop(process)


@pytest.fixture
def people(server, make_user):
    """PEOPLE signed-in editors, each in a browser of their own: a list of (requests.Session, CSRF token)."""
    for n in range(PEOPLE):
        make_user(f"editor{n}", "editor", password=PASSWORD)

    def sign_in(n):
        browser = Browser()
        token = TOKEN.search(browser.get(f"{server}/login", timeout=30).text).group(1)
        answer = browser.post(
            f"{server}/login",
            data={"csrf_token": token, "username": f"editor{n}", "password": PASSWORD},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code == 303, answer.text[-500:]
        return browser

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(sign_in, range(PEOPLE)))


def page_token(browser, url):
    page = browser.get(url, timeout=30)
    assert page.status_code == 200, page.status_code
    return page.text, TOKEN.search(page.text).group(1)


def at_once(calls):
    """Run the calls in threads released together; their responses."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def far_expiry():
    return (date.today() + timedelta(days=200)).isoformat()


def test_twelve_releases_of_one_guarantee(server, people, make_guarantee):
    g = make_guarantee("WEB-RACE-R", expiry_date=far_expiry())
    url = f"{server}/guarantees/{g.id}"
    prepared = []
    for browser in people:
        _, token = page_token(browser, url)
        form = {"csrf_token": token, "version": str(g.version), "notes": ""}
        asked = browser.post(f"{url}/release", data=form, allow_redirects=False, timeout=30)
        assert asked.status_code == 200, asked.status_code  # the confirmation, with what will be sent
        prepared.append((browser, {**form, "confirm": CONFIRM.search(asked.text).group(1)}))
    db.session.remove()

    answers = at_once(
        [
            lambda b=browser, f=form: b.post(f"{url}/release", data=f, allow_redirects=False, timeout=120)
            for browser, form in prepared
        ]
    )

    statuses = sorted(answer.status_code for answer in answers)
    assert 500 not in statuses, [a.text[-300:] for a in answers if a.status_code >= 500]
    assert statuses.count(303) == 1 and statuses.count(409) == PEOPLE - 1, statuses
    refused = [a.text for a in answers if a.status_code == 409]
    assert all(re.search(r"changed|released|busy", text) for text in refused)
    releases = db.session.scalars(sa.select(GuaranteeAction.action_status).where(GuaranteeAction.guarantee_id == g.id))
    assert list(releases) == ["issued"]


def test_twelve_bulk_release_drafts_of_one_guarantee(server, people, make_guarantee):
    g = make_guarantee("WEB-RACE-B", expiry_date=far_expiry())
    forms = []
    for browser in people:
        _, token = page_token(browser, f"{server}/guarantees")
        forms.append((browser, {"csrf_token": token, "action": "release", "ids": str(g.id)}))
    db.session.remove()

    answers = at_once(
        [
            lambda b=browser, f=form: b.post(f"{server}/guarantees/bulk", data=f, allow_redirects=False, timeout=120)
            for browser, form in forms
        ]
    )

    assert [a.status_code for a in answers] == [303] * PEOPLE, [a.text[-300:] for a in answers]
    opened = [a for a in answers if "/actions/" in a.headers["Location"]]
    assert len(opened) == 1  # the winner goes to its new session; the others back to the list
    back = [browser for (browser, _), a in zip(forms, answers, strict=True) if a is not opened[0]]
    told = back[0].get(f"{server}/guarantees", timeout=30).text  # the refusal, flashed on the list
    assert re.search(r'class="flash flash-error"[^>]*>[^<]*WEB-RACE-B', told), told[:3000]
    drafts = db.session.scalar(
        sa.select(sa.func.count()).select_from(GuaranteeAction).where(GuaranteeAction.guarantee_id == g.id)
    )
    assert drafts == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActionSession)) == 1


def test_twelve_issues_of_one_action_session(server, people, make_guarantee):
    from guarantees.services import actions

    ids = [make_guarantee(f"WEB-RACE-S{i}", expiry_date=far_expiry()).id for i in range(3)]
    session_id = actions.start_session(ids, "extension", user="preparer").id
    url = f"{server}/actions/{session_id}"
    prepared = []
    for browser in people:
        _, token = page_token(browser, url)
        asked = browser.post(f"{url}/issue", data={"csrf_token": token}, allow_redirects=False, timeout=30)
        assert asked.status_code == 200, asked.status_code
        prepared.append((browser, {"csrf_token": token, "confirm": CONFIRM.search(asked.text).group(1)}))
    db.session.remove()

    answers = at_once(
        [
            lambda b=browser, f=form: b.post(f"{url}/issue", data=f, allow_redirects=False, timeout=120)
            for browser, form in prepared
        ]
    )

    statuses = sorted(answer.status_code for answer in answers)
    assert 500 not in statuses, [a.text[-300:] for a in answers if a.status_code >= 500]
    assert statuses.count(303) == 1, statuses
    assert set(statuses) <= {303, 409, 422}, statuses
    issued = db.session.scalars(
        sa.select(GuaranteeAction.action_status).where(GuaranteeAction.action_session_id == session_id)
    ).all()
    assert sorted(issued) == ["issued"] * 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GuaranteeAction)) == 3
