"""Migrations: empty → head matches the models; head → legacy-only → head round-trips."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from guarantees import create_app
from guarantees.extensions import db
from guarantees.models import Base
from guarantees.models.base import include_name

NEW_TABLES = {
    "users", "import_batches", "import_batch_items", "guarantees", "guarantee_edits", "action_sessions",
    "guarantee_actions", "letter_prints", "legacy_day_sessions",
}  # fmt: skip
LEGACY_TABLES = {"import_sessions", "imported_records", "suppliers", "banks"}


def test_factory_reads_test_config(make_app, database):
    assert not create_app().testing
    assert make_app(database).testing


def test_upgrade_matches_models_and_round_trips(make_app, empty_database):
    app = make_app(empty_database)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            options = {"compare_type": True, "include_name": include_name}
            diff = compare_metadata(MigrationContext.configure(connection, opts=options), Base.metadata)
        assert diff == [], diff
        tables = set(sa.inspect(db.engine).get_table_names())
        assert tables >= NEW_TABLES | LEGACY_TABLES
        downgrade(revision="0001_legacy")
        inspector = sa.inspect(db.engine)
        assert not NEW_TABLES & set(inspector.get_table_names())
        legacy_columns = {c["name"] for c in inspector.get_columns("imported_records")}
        assert "migrated_guarantee_id" not in legacy_columns and "guarantee_number" in legacy_columns
        upgrade()
        assert set(sa.inspect(db.engine).get_table_names()) >= NEW_TABLES
        db.session.remove()
        db.engine.dispose()


def test_postgresql_connections_run_without_jit(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("JIT is a PostgreSQL setting")
    assert db.session.scalar(sa.text("SHOW jit")) == "off"
