"""Sign-in forms: username and password, and a `next` page that is never another site."""

import pytest
from werkzeug.datastructures import MultiDict

from guarantees.forms.auth import LoginForm, NextForm


def test_the_username_is_trimmed_and_both_fields_are_needed(app):
    with app.test_request_context(method="POST"):
        form = LoginForm(MultiDict({"username": "  clerk ", "password": "pw"}), meta={"csrf": False})
        assert form.validate() and form.username.data == "clerk"
        assert not LoginForm(MultiDict({"username": "clerk"}), meta={"csrf": False}).validate()


@pytest.mark.parametrize(
    ("target", "kept"),
    [
        ("/review?x=1", "/review?x=1"),
        ("", None),
        ("//evil.example", None),
        ("https://evil.example/", None),
        ("/\\evil.example", None),
        ("review", None),
        ("javascript:alert(1)", None),
    ],
)
def test_next_is_a_local_page_or_nothing(app, target, kept):
    with app.test_request_context():
        assert NextForm(MultiDict({"next": target})).target == kept
