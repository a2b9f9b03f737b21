"""The web fixtures (signed-in clients per role) serve the production tests too."""

from tests.web.conftest import admin, editor, signed_in, viewer  # noqa: F401
