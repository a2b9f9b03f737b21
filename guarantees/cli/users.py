"""`flask users ...`: staff accounts from the command line, under the same rules as the admin pages."""

import sys

import click
from flask.cli import AppGroup

from guarantees.services import users as service
from guarantees.services.errors import DomainError

users = AppGroup("users", help="Manage staff accounts.")


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(service.ROLES), default="viewer", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create(username: str, role: str, password_stdin: bool) -> None:
    """Create a user with a role; the password is prompted for (or read from stdin)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        account = service.create(username, role, password, user=None)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created {account.role} {account.username}.")


@users.command("list")
def list_users() -> None:
    """List users and their roles."""
    for account in service.accounts():
        click.echo(f"{account.username}\t{account.role}\t{'active' if account.active else 'disabled'}")
