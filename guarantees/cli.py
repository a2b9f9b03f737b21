"""Flask CLI command groups."""

from flask import Flask


def register_commands(app: Flask) -> None:
    """Attach every command group to the app."""
