"""Bank guarantee register: the Flask application factory."""

from flask import Flask

from guarantees.config import Config, check


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings from the environment (or `test_config`), extensions, blueprints, commands."""
    app = Flask(__name__, template_folder="../templates", static_folder="../static")
    app.config.from_object(Config())
    if test_config:
        app.config.update(test_config)
    check(app.config)  # weak or unknown settings refuse to start

    from guarantees import extensions

    extensions.db.init_app(app)
    migrations = str(app.root_path + "/../migrations")
    extensions.migrate.init_app(app, extensions.db, directory=migrations, render_as_batch=True, compare_type=True)
    extensions.csrf.init_app(app)
    extensions.login_manager.init_app(app)
    extensions.babel.init_app(app)
    extensions.mail.init_app(app)

    from guarantees.web import register_blueprints

    register_blueprints(app)

    from guarantees import logs

    logs.init_app(app)

    from guarantees.cli import register_commands

    register_commands(app)
    return app
