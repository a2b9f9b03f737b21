"""Flask CLI command groups."""

from flask import Flask


def register_commands(app: Flask) -> None:
    """Attach every command group to the app."""
    from guarantees.importer.cli import import_excel
    from guarantees.legacy.cli import legacy
    from guarantees.users_cli import users

    app.cli.add_command(import_excel)
    app.cli.add_command(legacy)
    app.cli.add_command(users)
