"""Web fixtures: signed-in clients per role, CSRF tokens, htmx headers."""

import re
from html import unescape

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

    def confirmed(self, path, data=None, htmx=False, **kwargs):
        """Post as a user who confirms: the first answer is the confirmation (templates/actions/_confirm.html);
        its form is posted back as it stands. An answer without a confirmation (a refusal) is returned as it is."""
        first = self.post(path, data=data, htmx=htmx, **kwargs)
        form = confirmation_form(first.get_data(as_text=True))
        if first.status_code != 200 or form is None:
            return first
        action, fields = form
        return self.post(action, data=fields, htmx=htmx, **kwargs)


def confirmation_form(html: str) -> tuple[str, dict] | None:
    """The action and hidden fields of the confirmation's form on a page or fragment, or None when none is shown."""
    start = html.find("data-confirm ")
    if start < 0:
        return None
    box = html[start : html.index("</section>", start)]
    action = re.search(r'<form method="post" action="([^"]+)"', box).group(1)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', box))
    fields.pop("csrf_token", None)
    return action, {name: unescape(value) for name, value in fields.items()}


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
