"""The two PostgreSQL roles of a production register (README, Production): one owns the tables and migrates them
(MIGRATE_DATABASE_URL), the other is the app's (DATABASE_URL) and gets only what the register's writes need.

Owning nothing, the app's role cannot ALTER TABLE ... DISABLE TRIGGER, DROP or replace a trigger function; given
no TRUNCATE, no TRIGGER and no REFERENCES privilege, and DELETE only where the register deletes rows, it cannot get
round the rules of the migrations either. Every table is read; WRITES says what else is done to it. A table that
WRITES does not name is refused, naming it, rather than guessed at: a new table is classified here by whoever adds
it (tests/migrations/test_db_roles.py checks that every table at head is).
"""

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

INSERT, UPDATE, DELETE = "INSERT", "UPDATE", "DELETE"
# Besides SELECT, what the register does to each table (services, the dual-write adapter, the legacy migration,
# the background jobs). Append-only history takes INSERT alone; its triggers refuse the rest anyway.
WRITES: dict[str, tuple[str, ...]] = {
    "alembic_version": (),
    # the register's own tables
    "users": (INSERT, UPDATE),
    "user_sessions": (INSERT, UPDATE),  # a session ends by UPDATE: its row stays
    "sign_in_attempts": (INSERT, DELETE),  # DELETE: attempts too old to count
    "security_events": (INSERT,),
    "jobs": (INSERT, UPDATE),
    "settings": (INSERT, UPDATE, DELETE),  # DELETE: the letters' logo removed
    "import_batches": (INSERT, UPDATE),
    "import_batch_items": (INSERT,),
    "guarantees": (INSERT, UPDATE),
    "guarantee_edits": (INSERT,),
    "action_sessions": (INSERT, UPDATE),
    "guarantee_actions": (INSERT, UPDATE, DELETE),  # DELETE: a draft removed from its session
    "letter_prints": (INSERT,),
    "letter_print_actions": (INSERT,),
    "bank_answers": (INSERT,),
    "legacy_day_sessions": (INSERT,),
    "name_aliases": (INSERT, UPDATE, DELETE),  # DELETE: an alias unlearnt
    "match_decisions": (INSERT,),
    "dictionary_merges": (INSERT,),
    "bank_details": (INSERT, UPDATE),
    "alert_runs": (INSERT, UPDATE),
    "alert_announcements": (INSERT,),
    "notifications": (INSERT, UPDATE),
    "notes": (INSERT,),
    "attachments": (INSERT, UPDATE),  # UPDATE: hidden once, with a reason
    # the legacy system's tables, written by the dual-write adapter (and its dictionaries, by the review pages)
    "import_sessions": (INSERT, UPDATE),
    "imported_records": (INSERT, UPDATE),
    "suppliers": (INSERT, UPDATE),
    "banks": (INSERT, UPDATE),
    # phase 6: written by `flask legacy archive`, run as the owner (it drops the legacy tables); the app reads them
    "legacy_archives": (),
    "legacy_archive_records": (),
}


class RolesRefused(Exception):
    """The grants cannot be made as asked (the message says why); nothing was changed."""


@dataclass
class Plan:
    """The statements that give `role` exactly the register's grants, in order."""

    role: str
    schema: str
    tables: list[str]
    statements: list[str]


def _quote(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def plan(connection: Connection, role: str) -> Plan:
    """What `grant` would run on this database for `role`; RolesRefused when it must not run."""
    if connection.dialect.name != "postgresql":
        raise RolesRefused("Database roles are PostgreSQL's: an SQLite register has none to grant.")
    found = connection.execute(
        sa.text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :role"), {"role": role}
    ).one_or_none()
    if found is None:
        raise RolesRefused(f"There is no role {role!r} on this server: create it first (README, Production).")
    if found.rolsuper:
        raise RolesRefused(f"Role {role!r} is a superuser: no grant limits it. Give the app a role of its own.")
    schema = connection.scalar(sa.text("SELECT current_schema()"))
    tables = list(
        connection.scalars(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = :schema ORDER BY tablename"),
            {"schema": schema},
        )
    )
    owned = [table for table in tables if _owner(connection, schema, table) == role]
    if owned:
        raise RolesRefused(
            f"Role {role!r} owns {', '.join(owned)}: the app's role must own nothing. Migrate with another role "
            "(MIGRATE_DATABASE_URL) and give the tables to it (ALTER TABLE ... OWNER TO)."
        )
    # the reports' views (phase 5): read-only, as views are; each reads its tables with its owner's rights
    views = list(
        connection.scalars(
            sa.text("SELECT viewname FROM pg_views WHERE schemaname = :schema ORDER BY viewname"), {"schema": schema}
        )
    )
    unknown = [table for table in tables if table not in WRITES]
    if unknown:
        raise RolesRefused(
            f"No grants are defined for {', '.join(unknown)}: say in guarantees/services/db_roles.py what the "
            "register does to each."
        )
    who, where = _quote(connection, role), _quote(connection, schema)
    statements = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {where} FROM {who}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {where} FROM {who}",
        f"REVOKE CREATE ON SCHEMA {where} FROM {who}",
        f"GRANT USAGE ON SCHEMA {where} TO {who}",
        *(
            f"GRANT {', '.join(('SELECT', *WRITES[table]))} ON {where}.{_quote(connection, table)} TO {who}"
            for table in tables
        ),
        *(f"GRANT SELECT ON {where}.{_quote(connection, view)} TO {who}" for view in views),
        # nextval() for the ids of the rows it inserts; no setval() (UPDATE), no ownership of the sequences.
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {where} TO {who}",
    ]
    return Plan(role=role, schema=schema, tables=tables, statements=statements)


def _owner(connection: Connection, schema: str, table: str) -> str:
    return connection.scalar(
        sa.text("SELECT tableowner FROM pg_tables WHERE schemaname = :schema AND tablename = :table"),
        {"schema": schema, "table": table},
    )


def grant(engine: sa.Engine, role: str) -> Plan:
    """Give `role` exactly the register's grants (revoking any other it has on the schema's tables and
    sequences), in one transaction, as the owner of the tables `engine` connects as."""
    with engine.begin() as connection:
        found = plan(connection, role)
        for statement in found.statements:
            connection.exec_driver_sql(statement)
    return found


PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def granted(connection: Connection, role: str, tables: Iterable[str]) -> dict[str, set[str]]:
    """The table privileges `role` holds on each of `tables`, however it got them."""
    check = sa.text("SELECT has_table_privilege(:role, :table, :privilege)")
    return {
        table: {
            privilege
            for privilege in PRIVILEGES
            if connection.scalar(check, {"role": role, "table": table, "privilege": privilege})
        }
        for table in tables
    }
