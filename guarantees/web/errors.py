"""Error pages: full pages for browsers, short fragments for htmx; never a traceback."""

import sqlalchemy as sa
from flask import g, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

from guarantees.extensions import db, login_manager
from guarantees.web.rendering import is_htmx, render, toast

MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("Your role does not allow this."),
    404: _l("There is nothing here."),
    405: _l("This address does not take that kind of request."),
    413: _l("The file is larger than the upload limit."),
    429: _l("Too many attempts. Wait a minute and try again."),
    500: _l("Something went wrong on our side. Nothing was saved."),
    503: _l("The database is not answering right now. Nothing was saved; try again in a moment."),
}


def _page(status: int, message: str | None = None):
    message = str(message or MESSAGES.get(status) or _l("Error"))
    response = render("errors/error.html", "content", status=status, status_code=status, message=message)
    if is_htmx():
        toast(response, message, "error")
    return response


def error_page(status: int, message: str | None = None):
    """The app's answer for an error status, for an error handler (which cannot abort: that would be a 500)."""
    return _page(status, message)


def init_app(app) -> None:
    for status in (400, 403, 404, 405, 429):
        app.register_error_handler(status, lambda error, status=status: _page(status))

    @app.errorhandler(413)
    def too_large(error):
        # an upload names the file; a form of text only (a long note or reason) is told so, not about a file
        if request.mimetype == "multipart/form-data":
            return _page(413)
        return _page(413, _l("What was sent is longer than this form takes. Shorten the text and try again."))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _page(400, _l("The form expired or was not sent from this site. Reload the page and try again."))

    @app.errorhandler(sa.exc.OperationalError)
    @app.errorhandler(sa.exc.InterfaceError)
    def database_down(error):
        try:
            db.session.rollback()
        except sa.exc.SQLAlchemyError:
            db.session.invalidate()
        app.logger.error("database unavailable during %s %s: %s", request.method, request.path, error.orig)
        g._login_user = login_manager.anonymous_user()  # so rendering does not try to load the user again
        message = str(MESSAGES[503])
        response = make_response(render_template("errors/unavailable.html", status_code=503, message=message), 503)
        response.headers["Retry-After"] = "30"
        if is_htmx():
            toast(response, message, "error")
        return response

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return _page(500)
