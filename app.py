"""Entry point for `flask --app app` and WSGI servers."""

from guarantees import create_app

app = create_app()
