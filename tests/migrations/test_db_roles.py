"""Two PostgreSQL roles in production: one owns the tables and migrates them (MIGRATE_DATABASE_URL), the app's
(DATABASE_URL) gets only the grants the register's writes need (`flask db-roles grant`), so it can neither disable
a trigger nor TRUNCATE or DROP a table."""

import ast
import uuid
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from guarantees.extensions import db
from guarantees.models import Base, User
from guarantees.services import db_roles
from tests.conftest import build_xlsx
from tests.migrations.test_triggers import refused

PACKAGE = Path(__file__).parents[2] / "guarantees"
PASSWORD = "pw-" + uuid.uuid4().hex


@pytest.fixture
def roles(_pg_server):
    """A throw-away owner role with an empty database of its own, and a throw-away role for the app."""
    if _pg_server is None:
        pytest.skip("database roles are PostgreSQL's")
    suffix = uuid.uuid4().hex[:8]
    owner, app_role = f"gr_owner_{suffix}", f"gr_app_{suffix}"
    url = _pg_server.fresh(None)
    with _pg_server.admin.connect() as connection:
        for role in (owner, app_role):
            connection.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")
        connection.exec_driver_sql(f'ALTER DATABASE "{sa.engine.make_url(url).database}" OWNER TO {owner}')

    def as_role(role: str) -> str:
        return sa.engine.make_url(url).set(username=role, password=PASSWORD).render_as_string(hide_password=False)

    yield SimpleNamespace(owner=owner, app=app_role, owner_url=as_role(owner), app_url=as_role(app_role))
    _pg_server.drop(url)
    with _pg_server.admin.connect() as connection:
        for role in (app_role, owner):
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")


@pytest.fixture
def production(roles, make_app):
    """The app as production runs it: migrated by the owner, then connected as its own role, granted."""
    app = make_app(roles.app_url, MIGRATE_DATABASE_URL=roles.owner_url, TODAY=date(2026, 1, 15))
    with app.app_context():
        upgrade()  # migrations/env.py: as MIGRATE_DATABASE_URL's role
        result = app.test_cli_runner().invoke(args=["db-roles", "grant"])
        assert result.exit_code == 0, result.output
        assert f"Role {roles.app}:" in result.output
        yield app
        db.session.remove()


def test_the_owner_migrates_and_the_app_role_owns_nothing(roles, production):
    owners = set(db.session.scalars(sa.text("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")))
    assert owners == {roles.owner}
    assert db.session.scalar(sa.text("SELECT current_user")) == roles.app
    tables = list(db_roles.WRITES)
    held = db_roles.granted(db.session.connection(), roles.app, tables)
    assert held == {table: {"SELECT", *db_roles.WRITES[table]} for table in tables}


def test_the_app_role_reads_the_report_views(roles, production):
    views = list(db.session.scalars(sa.text("SELECT viewname FROM pg_views WHERE schemaname = 'public'")))
    assert views, "the reports' views are missing"
    for view in views:
        db.session.execute(sa.text(f"SELECT * FROM {view} LIMIT 1")).all()
    assert refused(f"DELETE FROM {views[0]}")
    user = User(username="reader", role="viewer", active=True)
    user.set_password("pw-reader")
    db.session.add(user)
    db.session.commit()
    client = production.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    client.post("/login", data={"csrf_token": token, "username": "reader", "password": "pw-reader"})
    assert client.get("/reports").status_code == 200


def test_the_app_role_does_the_register_s_writes(roles, production):
    from guarantees.services import actions, alerts, guarantees, imports, letters, settings

    user = User(username="clerk", role="editor", active=True)
    user.set_password("pw-clerk")
    db.session.add(user)
    db.session.commit()
    client = production.test_client()  # a sign-in: a session, an attempt, a security event
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    response = client.post("/login", data={"csrf_token": token, "username": "clerk", "password": "pw-clerk"})
    assert response.status_code == 303
    assert client.get("/").status_code == 200
    entry = {"raw_supplier_name": "Lana Medical", "raw_bank_name": "Riyad Bank", "amount": "1000.00"}
    gid = guarantees.create({"guarantee_number": "RO-1", "expiry_date": "2026-06-01", **entry}, user="clerk").id
    soon = guarantees.create({"guarantee_number": "RO-2", "expiry_date": "2026-01-20", **entry}, user="clerk").id
    guarantees.create({"guarantee_number": "RO-4", "expiry_date": "2026-02-01", **entry}, user="clerk")  # alerted
    version = guarantees.update(gid, {"comment": "edited"}, expected_version=1, user="clerk").version
    action = actions.extend(gid, "2027-06-01", user="clerk", version=version)
    actions.reduce(gid, "900", user="clerk")
    session_id = actions.create_session("a session", user="clerk").id
    actions.add_drafts(session_id, [soon], "release", user="clerk")
    actions.add_drafts(session_id, [soon], "extension", user="clerk", new_expiry="2027-01-20")
    drafts = sorted(db.session.scalars(sa.text("SELECT id FROM guarantee_actions WHERE action_status = 'draft'")))
    actions.remove_draft(drafts[-1], user="clerk")  # a DELETE
    actions.issue_session(session_id, user="chief")
    letters.log_print([action.id], language="ar", user="clerk")
    workbook = build_xlsx([["Guarantee number", "Supplier", "Bank", "Amount"], ["RO-3", "Lana Medical", "Riyad", "5"]])
    result = imports.commit(workbook, "roles.xlsx", user="clerk")
    assert result.batch_id
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    settings.save_logo(png, user="clerk")
    settings.remove_logo(user="clerk")  # a DELETE
    alerts.send()
    db.session.remove()
    counts = {
        table: db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
        for table in ("guarantee_actions", "guarantee_edits", "letter_prints", "import_batch_items", "alert_runs",
                      "imported_records", "user_sessions", "security_events", "alert_announcements", "notifications")
    }  # fmt: skip
    assert all(counts.values()), counts


STATEMENTS_REFUSED = (
    "ALTER TABLE guarantee_actions DISABLE TRIGGER ALL",
    "ALTER TABLE guarantees DISABLE TRIGGER trg_guarantees_locked_update",
    "DROP TRIGGER trg_guarantee_actions_no_update ON guarantee_actions",
    "CREATE OR REPLACE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$",
    "SET session_replication_role = replica",
    "TRUNCATE guarantee_actions CASCADE",
    "TRUNCATE users",
    "DROP TABLE guarantee_actions CASCADE",
    "ALTER TABLE guarantees ADD COLUMN intruder integer",
    "CREATE TABLE intruder (id integer)",
    "CREATE TRIGGER intruder BEFORE UPDATE ON guarantees FOR EACH ROW EXECUTE FUNCTION append_only()",
    "DELETE FROM guarantees",
    "DELETE FROM users",
    "UPDATE alembic_version SET version_num = 'x'",
    "SELECT setval(pg_get_serial_sequence('guarantees', 'id'), 1)",
)


def test_the_app_role_cannot_get_round_the_rules(roles, production):
    db.session.remove()
    for statement in STATEMENTS_REFUSED:
        assert refused(statement), statement
    triggers = db.session.scalar(
        sa.text("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'guarantee_actions'::regclass AND tgenabled = 'O'")
    )
    assert triggers >= 3


def test_the_grants_are_exact_again_after_a_stray_one(roles, production):
    with db_roles_owner(roles) as connection:
        connection.exec_driver_sql(f"GRANT TRUNCATE, DELETE ON guarantee_edits TO {roles.app}")
    result = production.test_cli_runner().invoke(args=["db-roles", "grant"])
    assert result.exit_code == 0, result.output
    assert db_roles.granted(db.session.connection(), roles.app, ["guarantee_edits"]) == {
        "guarantee_edits": {"SELECT", "INSERT"}
    }
    shown = production.test_cli_runner().invoke(args=["db-roles", "grant", "--sql"])
    assert shown.exit_code == 0 and f"GRANT SELECT, INSERT ON public.guarantee_edits TO {roles.app};" in shown.output


def test_the_rollback_runs_as_the_owner(roles, production):
    from guarantees.legacy.rollback import rollback

    report = rollback(db.engine)
    assert report["ok"] and report["revision"] == "0001_legacy", report
    upgrade()


def test_the_legacy_path_ends_archived_by_the_owner_and_read_by_the_app_role(roles, production, tmp_path):
    """Load, migrate and retire run as the app's role, the archive (which drops tables) as the owner; the app's role
    still reads the history from the archive table, and the grants are made again afterwards."""
    from guarantees.models import Guarantee, LegacyArchiveRecord
    from guarantees.repositories import history
    from tests.legacy.conftest import ROWS, write_legacy

    runner = production.test_cli_runner()

    def flask(*args: str) -> str:
        db.session.remove()
        result = runner.invoke(args=list(args))
        assert result.exit_code == 0, result.output
        return result.output

    legacy = write_legacy(tmp_path / "legacy.sqlite")
    flask("legacy", "load", str(legacy))
    flask("legacy", "migrate")
    flask("legacy", "retire", "--user", "treasury-admin")
    assert refused("DROP TABLE imported_records")  # what the archive does is beyond the app's role
    archive = tmp_path / "archive.sqlite"
    assert "compared row by row: equal" in flask("legacy", "archive", "--to", str(archive), "--user", "treasury-admin")
    assert archive.exists()
    assert db.session.scalar(sa.text("SELECT current_user")) == roles.app
    assert not sa.inspect(db.engine).has_table("imported_records")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LegacyArchiveRecord)) == len(ROWS)
    guarantee = db.session.scalar(sa.select(Guarantee).where(Guarantee.guarantee_number == "JLG6900350"))
    assert {row["id"] for row in history.legacy_rows(guarantee)} >= {1, 4, 10, 11}
    assert history.timeline(guarantee)
    assert f"Role {roles.app}:" in flask("db-roles", "grant")
    held = db_roles.granted(db.session.connection(), roles.app, ["legacy_archives", "legacy_archive_records"])
    assert held == {"legacy_archives": {"SELECT"}, "legacy_archive_records": {"SELECT"}}
    assert refused("DELETE FROM legacy_archive_records")


def test_grant_refuses_what_would_not_hold(roles, production):
    runner = production.test_cli_runner()
    with db_roles_owner(roles) as connection:
        connection.exec_driver_sql("CREATE TABLE unclassified (id integer)")
    result = runner.invoke(args=["db-roles", "grant"])
    assert result.exit_code != 0 and "unclassified" in result.output
    result = runner.invoke(args=["db-roles", "grant", "--app-role", roles.owner])
    assert result.exit_code != 0 and "must own nothing" in result.output
    result = runner.invoke(args=["db-roles", "grant", "--app-role", "postgres"])
    assert result.exit_code != 0 and "superuser" in result.output


def db_roles_owner(roles):
    """A transaction as the owner."""
    return sa.create_engine(roles.owner_url, poolclass=sa.pool.NullPool).begin()


# -- every table is classified, and every delete in the code is on a table that grants it -------------------------


def test_every_table_says_what_the_register_does_to_it():
    assert set(db_roles.WRITES) == set(Base.metadata.tables) | {"alembic_version"}


def _tables_by_model() -> dict[str, str]:
    return {mapper.class_.__name__: mapper.local_table.name for mapper in Base.registry.mappers}


# session.delete(obj) names no model: each call, and the table of what it deletes, is listed here.
ORM_DELETES = {
    ("services/actions.py", "guarantee_actions"),
    ("services/voids.py", "guarantee_actions"),  # a prepared void withdrawn
    ("services/review.py", "name_aliases"),
}


def _deleted(node: ast.AST, tables: dict[str, str]) -> str | None:
    """The table a call deletes from: the model's for sa.delete(Model), "session.delete" for an ORM delete."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "delete"):
        return None
    if isinstance(node.func.value, ast.Name) and node.func.value.id == "sa":
        model = node.args[0]
        name = model.id if isinstance(model, ast.Name) else getattr(model, "attr", "?")
        return tables.get(name, name)
    return "session.delete" if node.args else None


def test_the_code_deletes_only_where_the_app_role_may():
    tables = _tables_by_model()
    found = set()
    for path in PACKAGE.rglob("*.py"):
        where = str(path.relative_to(PACKAGE))
        if where.startswith(("legacy/", "cli/")):  # cut-over commands, run as the owner (README)
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if table := _deleted(node, tables):
                found.add((where, table))
        for text in ("DELETE FROM ", "TRUNCATE "):
            assert text not in path.read_text(), f"{where}: say in test_db_roles which table {text.strip()} is on"
    orm = {where for where, table in found if table == "session.delete"}
    assert orm == {where for where, _ in ORM_DELETES}, "list each session.delete in ORM_DELETES with its table"
    deleted = {table for _, table in found if table != "session.delete"} | {table for _, table in ORM_DELETES}
    assert {table for table in deleted if "DELETE" not in db_roles.WRITES.get(table, ())} == set()
