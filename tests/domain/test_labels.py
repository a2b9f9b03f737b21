"""Labels: one definition, and the stored lock reasons read back and shown in the page's language."""

import pytest
from flask_babel import force_locale

from guarantees import create_app
from guarantees.domain import descriptions, fields, labels


@pytest.fixture(scope="module")
def app():
    """An app for its translations only (no database is opened)."""
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "DEFAULT_LOCALE": "en"})


@pytest.mark.parametrize(("key", "kind"), [("action", "extension"), ("legacy_action", "release"),
                                           ("legacy_ready", None), ("released", None), ("locked", None)])  # fmt: skip
def test_every_stored_lock_reason_is_shown_translated(app, key, kind):
    stored = fields.lock_reason(key, kind)
    with app.test_request_context():
        assert labels.lock_reason_label(stored) == stored  # English is the source
        with force_locale("ar"):
            arabic = labels.lock_reason_label(stored)
    assert arabic and arabic != stored and not any("a" <= c.lower() <= "z" for c in arabic)


def test_a_reason_no_rule_wrote_is_shown_as_it_is(app):
    with app.test_request_context(), force_locale("ar"):
        assert labels.lock_reason_label("checked by hand") == "checked by hand"
        assert labels.lock_reason_label(None) == ""


def test_the_locked_field_refusal_says_why_in_the_users_language(app):
    with app.test_request_context(), force_locale("ar"):
        assert labels.lock_reason_label(fields.lock_reason("action", "reduction")) != fields.lock_reason(
            "action", "reduction"
        )


def test_every_state_a_page_shows_has_a_label():
    for state in (*fields.STATUSES, *fields.MATCH_STATUSES):
        assert labels.state_label(state) != ""
    for name in fields.EDITABLE_FIELDS:
        assert labels.field_label(name) != name


@pytest.mark.parametrize("key", sorted(descriptions.DESCRIPTIONS))
def test_every_description_the_register_writes_is_shown_translated(app, key):
    values = {"day": "2026-12-07", "file": "قائمة الضمانات.xlsx", "id": "42", "kind": "excel"}
    stored = descriptions.describe(key, **values)
    with app.test_request_context():
        assert labels.description_label(stored) == stored  # English is the source
        with force_locale("ar"):
            arabic = labels.description_label(stored)
    assert arabic != stored
    for name, value in values.items():
        if "{" + name + "}" in descriptions.DESCRIPTIONS[key]:
            assert value in arabic  # the values stay, only the words change
    assert set(descriptions.DESCRIPTIONS) == set(labels.DESCRIPTION_MESSAGES)


def test_a_description_a_user_typed_is_shown_as_typed(app):
    with app.test_request_context(), force_locale("ar"):
        assert labels.description_label("Extensions for the March audit") == "Extensions for the March audit"
        assert labels.description_label(None) == ""
