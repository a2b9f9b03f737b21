"""Blueprints, one per area of the staff web app."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint to the app."""
    from guarantees.web.health import bp as health_bp

    app.register_blueprint(health_bp)
