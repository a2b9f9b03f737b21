"""Password rules: length, the common passwords (in any case, padded or repeated), and the username."""

import pytest

from guarantees import create_app
from guarantees.domain import passwords


@pytest.fixture(scope="module")
def app():
    """An app for its translations only (no database is opened)."""
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "DEFAULT_LOCALE": "en"})


def test_the_list_holds_about_a_thousand_common_passwords_in_lower_case():
    common = passwords.common_passwords()
    assert 950 <= len(common) <= 1100
    assert {"123456", "password", "qwerty", "1qaz2wsx3edc"} <= common
    assert all(word == word.lower() and word.strip() == word and word for word in common)


@pytest.mark.parametrize(
    "password",
    ["password", "PASSWORD", "Password1234", "password1234!", "!!qwertyuiop", "dragondragon", "abcabcabcabc",
     "aaaaaaaaaaaa", "1qaz2wsx3edc", "Q1W2E3R4T5Y6", "123123123123", "  letmein2026  "],
)  # fmt: skip
def test_common_passwords_are_refused_whatever_their_case_or_padding(password):
    assert passwords.is_common(password)


@pytest.mark.parametrize(
    "password", ["correct horse battery", "Riyadh-ledger-17", "long-enough-pw", "tr0ub4dor&3x-q", "passwordless bank"]
)
def test_uncommon_passwords_pass(password):
    assert not passwords.is_common(password)
    assert passwords.problem(password, "clerk") is None


def test_problems_in_order_length_username_common(app):
    with app.test_request_context():
        assert "12 to 200" in passwords.problem("short")
        assert "12 to 200" in passwords.problem("x" * 201)
        assert "username" in passwords.problem("Treasury-Clerk", "treasury-clerk")
        assert "username" in passwords.problem("treasury-clerk2026!", " Treasury-Clerk ")
        assert "common" in passwords.problem("Password2024!", "clerk")
        assert passwords.problem("twelve chars", "clerk") is None
