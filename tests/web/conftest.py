"""Web fixtures: signed-in clients per role, CSRF tokens, htmx headers."""

import re

import pytest

HTMX = {"HX-Request": "true"}


def csrf_from(html: str) -> str:
    """The CSRF token of a page (form field or the hx-headers of <body>)."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(r'"X-CSRFToken": "([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Client:
    """A test client signed in as one user, which sends the CSRF token with every write."""

    def __init__(self, client, user):
        self.client = client
        self.user = user
        self.token = None

    def sign_in(self):
        page = self.client.get("/login").get_data(as_text=True)
        response = self.client.post(
            "/login",
            data={
                "csrf_token": csrf_from(page),
                "username": self.user.username,
                "password": f"pw-{self.user.username}",
            },
        )
        assert response.status_code == 303, response.status_code
        self.token = csrf_from(self.client.get("/").get_data(as_text=True))
        return self

    def get(self, path, htmx=False, **kwargs):
        return self.client.get(path, headers=HTMX if htmx else None, **kwargs)

    def post(self, path, data=None, htmx=False, csrf=True, **kwargs):
        headers = dict(HTMX) if htmx else {}
        if csrf:
            headers["X-CSRFToken"] = self.token
        return self.client.post(path, data=data or {}, headers=headers, **kwargs)


@pytest.fixture
def signed_in(app, make_user):
    """signed_in("editor") → a Client signed in with a new user of that role."""
    made = {}

    def make(role="editor", username=None):
        username = username or f"{role}-user"
        if username not in made:
            made[username] = Client(app.test_client(), make_user(username, role)).sign_in()
        return made[username]

    return make


@pytest.fixture
def editor(signed_in):
    return signed_in("editor")


@pytest.fixture
def viewer(signed_in):
    return signed_in("viewer")


@pytest.fixture
def admin(signed_in):
    return signed_in("admin")
