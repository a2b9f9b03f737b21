"""Structured logs: one JSON object per line in production, readable lines in development."""

import json
import logging
import time

from flask import Flask, g, request

RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """A log record as JSON, with whatever `extra=` fields the call added."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in RESERVED})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def init_app(app: Flask) -> None:
    """JSON logs when LOG_FORMAT=json (the production default), and one access line per request."""
    if app.config.get("LOG_FORMAT", "json" if app.config["ENV_NAME"] == "production" else "text") == "json":
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        app.logger.handlers[:] = [handler]
        app.logger.setLevel(logging.INFO)
        app.logger.propagate = False

    @app.before_request
    def _start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def _access_log(response):
        started = g.get("request_started")
        if started is not None and request.endpoint != "static":
            user = g.get("_login_user")  # never load the user here: the database may be the problem
            app.logger.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                    "user": getattr(user, "username", None),
                    "htmx": request.headers.get("HX-Request") == "true",
                },
            )
        return response
