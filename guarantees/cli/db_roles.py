"""`flask db-roles grant`: the app's PostgreSQL role gets exactly the grants the register needs (README, Production).

It connects as the role that owns the tables: MIGRATE_DATABASE_URL when set (and then the app's role defaults to
DATABASE_URL's user), else DATABASE_URL. `make migrate` (and so `make serve`) runs it after the migrations whenever
MIGRATE_DATABASE_URL is set, so a table a new revision adds is granted before the app starts.
"""

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from guarantees.extensions import db
from guarantees.services import db_roles as service

db_roles = AppGroup("db-roles", help="The app's PostgreSQL role: the grants it gets from the role that migrates.")


@db_roles.command("grant")
@click.option(
    "--app-role", help="The role the app connects as (default: DATABASE_URL's user, with MIGRATE_DATABASE_URL)."
)
@click.option("--sql", "show_sql", is_flag=True, help="Print the statements instead of running them.")
def grant(app_role: str | None, show_sql: bool) -> None:
    """Give the app's role SELECT on every table, INSERT/UPDATE/DELETE only where the register does them, USAGE on
    the sequences, and nothing else (any other privilege it had on them is revoked): owning nothing, it can neither
    disable a trigger nor TRUNCATE or DROP a table."""
    owner_url = current_app.config.get("MIGRATE_DATABASE_URL")
    app_url = sa.engine.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    role = app_role or (app_url.username if owner_url else None)
    if not role:
        raise click.UsageError(
            "Name the app's role: --app-role NAME (or set MIGRATE_DATABASE_URL, and DATABASE_URL's user is taken)."
        )
    engine = sa.create_engine(owner_url, poolclass=sa.pool.NullPool) if owner_url else db.engine
    try:
        if show_sql:
            with engine.connect() as connection:
                plan = service.plan(connection, role)
            for statement in plan.statements:
                click.echo(f"{statement};")
            return
        plan = service.grant(engine, role)
    except service.RolesRefused as error:
        raise click.ClickException(str(error)) from None
    finally:
        if owner_url:
            engine.dispose()
    writes = sum(1 for table in plan.tables if service.WRITES[table])
    click.echo(
        f"Role {role}: SELECT on the {len(plan.tables)} tables of schema {plan.schema}, writes on {writes} of them, "
        "USAGE on its sequences; no TRUNCATE, no ownership."
    )
