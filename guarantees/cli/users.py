"""`flask users ...`: staff accounts from the command line, under the same rules as the admin pages."""

import sys

import click
from flask.cli import AppGroup

from guarantees.services import auth
from guarantees.services import users as service
from guarantees.services.errors import DomainError

users = AppGroup("users", help="Manage staff accounts.")


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(service.ROLES), default="viewer", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create(username: str, role: str, password_stdin: bool) -> None:
    """Create a user with a role; the password is prompted for (or read from stdin): at least 12 characters,
    not a common password, not the username."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        account = service.create(username, role, password, user=None)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created {account.role} {account.username}.")


@users.command("reset-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
def reset_password(username: str, password_stdin: bool) -> None:
    """Set an account's password (read from stdin, or a temporary one printed here); the user must change it at
    the next sign-in, and the account's sessions end."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    try:
        account, temporary = service.reset_password(service.find(username).id, password, user=None)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    if temporary:
        click.echo(f"Temporary password of {account.username}: {temporary}")
    click.echo(f"{account.username} must choose a new password at the next sign-in.")


@users.command("end-sessions")
@click.argument("username")
def end_sessions(username: str) -> None:
    """Sign an account out everywhere: every open session of it ends."""
    try:
        ended = auth.end_session(service.find(username).id, None, user=None)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Ended {ended} open session(s) of {username}.")


@users.command("list")
def list_users() -> None:
    """List users and their roles."""
    for account in service.accounts():
        click.echo(f"{account.username}\t{account.role}\t{'active' if account.active else 'disabled'}")
