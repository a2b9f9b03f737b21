"""Health page: answers without a session, and says whether the database answers."""

import sqlalchemy as sa
from flask import Blueprint, jsonify

from guarantees.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    """200 with {"status": "ok"} when the database answers, 503 otherwise."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")
