"""Flask extensions, created unbound and initialised by the app factory."""

import sqlite3

import sqlalchemy as sa
from flask_babel import Babel
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from guarantees.domain.text import register_sqlite_functions
from guarantees.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
mail = Mail()


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: enforce foreign keys, wait for a busy writer instead of failing, allow readers beside it, and let
    the rows an INSERT OR REPLACE deletes meet the delete triggers (recursive_triggers: without it, SQLite skips
    them, and a REPLACE overwrote issued actions, locked guarantees and edits; migration 0015)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        # Let SQLAlchemy, not the driver, begin transactions: otherwise a SAVEPOINT opened outside an
        # explicit BEGIN is released as a commit, and a rollback of the whole unit of work loses its grip.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        register_sqlite_functions(dbapi_connection)
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA recursive_triggers = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()


@sa.event.listens_for(sa.engine.Engine, "connect")
def _postgresql_settings(dbapi_connection, _record) -> None:
    """PostgreSQL: no JIT. The register's statements are short; JIT compiling a plan the planner merely
    estimates as costly once added seconds to a page, far more than it could ever save here."""
    if type(dbapi_connection).__module__.startswith("psycopg"):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_connection.commit()


@sa.event.listens_for(sa.engine.Engine, "begin")
def _sqlite_begin(connection) -> None:
    """SQLite: an explicit BEGIN, so that savepoints nest inside the transaction."""
    if connection.dialect.name == "sqlite":
        immediate = connection.get_execution_options().get("sqlite_immediate")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
