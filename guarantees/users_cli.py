"""`flask users ...`: staff accounts from the command line."""

import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from guarantees.extensions import db
from guarantees.models import User
from guarantees.models.user import ROLES

users = AppGroup("users", help="Manage staff accounts.")
MIN_PASSWORD = 8


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create(username: str, role: str, password_stdin: bool) -> None:
    """Create a user with a role; the password is prompted for (or read from stdin)."""
    username = username.strip()
    if not username or len(username) > 80:
        raise click.ClickException("A username has 1 to 80 characters.")
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise click.ClickException(f"User {username!r} exists already.")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise click.ClickException(f"A password has at least {MIN_PASSWORD} characters.")
    user = User(username=username, role=role, active=True)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {role} {username}.")


@users.command("list")
def list_users() -> None:
    """List users and their roles."""
    for user in db.session.scalars(sa.select(User).order_by(User.username)):
        click.echo(f"{user.username}\t{user.role}\t{'active' if user.active else 'disabled'}")
