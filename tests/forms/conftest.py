"""Forms parse and validate without a database: one app for their request contexts, on no database at all."""

import pytest

from guarantees import create_app
from tests.conftest import SECRET


@pytest.fixture(scope="session")
def app():
    """An app for forms' request contexts; a form that reached for the database would fail here (none is set up)."""
    return create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": SECRET, "DEFAULT_LOCALE": "en"}
    )


@pytest.fixture
def request_context(app):
    with app.test_request_context(method="POST"):
        yield
