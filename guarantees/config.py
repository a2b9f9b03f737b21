"""Settings read from the environment, with defaults fit for a developer's machine."""

import os
from pathlib import Path

INSTANCE = Path(__file__).resolve().parent.parent / "instance"
DEV_SECRET_KEY = "dev-only-secret-key-change-me"  # noqa: S105 - refused outside development


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url() -> str:
    """The database URL: DATABASE_URL, or an SQLite file under instance/."""
    url = os.environ.get("DATABASE_URL")
    if url:
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    INSTANCE.mkdir(exist_ok=True)
    return f"sqlite:///{INSTANCE / 'guarantees.db'}"


class Config:
    """Settings; every value can be set through an environment variable of the same name."""

    def __init__(self) -> None:
        self.SQLALCHEMY_DATABASE_URI = database_url()
        self.SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
        self.ENV_NAME = os.environ.get("APP_ENV", "development")
        self.DUAL_WRITE = _flag("DUAL_WRITE", True)
        self.APP_TIMEZONE = os.environ.get("APP_TIMEZONE", "")  # empty: the server's own
        self.FOUR_EYES = _flag("FOUR_EYES", False)
        self.MAX_UPLOAD_BYTES = int(os.environ.get("MAX_UPLOAD_BYTES", 25 * 1024 * 1024))
        self.MAX_IMPORT_ROWS = int(os.environ.get("MAX_IMPORT_ROWS", 200_000))
        self.MAX_CONTENT_LENGTH = self.MAX_UPLOAD_BYTES + 1024 * 1024
        self.MATCH_MIN_SCORE = float(os.environ.get("MATCH_MIN_SCORE", 0) or 0) or None
        self.MATCH_MIN_MARGIN = float(os.environ.get("MATCH_MIN_MARGIN", 0) or 0) or None
        self.UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE / "uploads"))
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", self.ENV_NAME == "production")
        self.WTF_CSRF_TIME_LIMIT = None
        self.LOG_FORMAT = os.environ.get("LOG_FORMAT", "json" if self.ENV_NAME == "production" else "text")
        # The language of the messages in the code; the catalogues under translations/ give the others.
        self.BABEL_DEFAULT_LOCALE = "en"
        self.BABEL_TRANSLATION_DIRECTORIES = str(INSTANCE.parent / "translations")
        # A first visit's language when the browser states no preference the register speaks.
        self.DEFAULT_LOCALE = os.environ.get("DEFAULT_LOCALE", "ar")
        if self.DEFAULT_LOCALE not in ("ar", "en"):
            raise ValueError(f"DEFAULT_LOCALE must be ar or en, not {self.DEFAULT_LOCALE!r}")
        # Outgoing mail (the expiry alerts), read by Flask-Mailman; MAIL_FROM is its MAIL_DEFAULT_SENDER.
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
        self.MAIL_PORT = int(os.environ.get("MAIL_PORT", 25))
        self.MAIL_USE_TLS = _flag("MAIL_USE_TLS", False)
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
        self.MAIL_DEFAULT_SENDER = os.environ.get("MAIL_FROM", "register@localhost")
        # Seconds: an SMTP server that does not answer fails the run instead of hanging it.
        self.MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", 30))
        # Where staff open the register: the links in the e-mails are absolute and start with it.
        self.BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
