"""The command line (`flask ...`): one module per command group, each calling the services or the legacy
migration, as the pages do."""

from flask import Flask


def register_commands(app: Flask) -> None:
    """Attach every command group to the app."""
    from guarantees.cli.alerts import alerts
    from guarantees.cli.attachments import attachments
    from guarantees.cli.db_roles import db_roles
    from guarantees.cli.dictionary import dictionary
    from guarantees.cli.imports import import_excel
    from guarantees.cli.jobs import jobs
    from guarantees.cli.legacy import legacy
    from guarantees.cli.users import users

    app.cli.add_command(alerts)
    app.cli.add_command(attachments)
    app.cli.add_command(db_roles)
    app.cli.add_command(dictionary)
    app.cli.add_command(import_excel)
    app.cli.add_command(jobs)
    app.cli.add_command(legacy)
    app.cli.add_command(users)
