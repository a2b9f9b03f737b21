"""Settings read from the environment, with defaults fit for a developer's machine."""

import os
from pathlib import Path

INSTANCE = Path(__file__).resolve().parent.parent / "instance"
DEV_SECRET_KEY = "dev-only-secret-key-change-me"  # noqa: S105 - refused in production
ENVIRONMENTS = ("development", "test", "production")
MIN_SECRET_KEY = 32  # characters, in production
HTMX_SOURCES = ("cdn", "local")


class UnsafeSettings(RuntimeError):
    """A setting the register refuses to start with; the message names it and says what is expected."""


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _count(name: str, default: int) -> int:
    """A whole number of at least 0 from the environment; anything else refused, naming the variable."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise UnsafeSettings(f"{name} must be a whole number of 0 or more, not {raw!r}")
    return int(raw)


def database_url(variable: str = "DATABASE_URL") -> str:
    """The database URL: DATABASE_URL (or `variable`), or an SQLite file under instance/."""
    url = os.environ.get(variable)
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
        # Production on PostgreSQL: the role that owns the tables, which migrates them (flask db upgrade, legacy
        # rollback) and grants the app's role (DATABASE_URL's) what it needs (flask db-roles grant). Unset: one role.
        migrate_url = os.environ.get("MIGRATE_DATABASE_URL")
        self.MIGRATE_DATABASE_URL = database_url("MIGRATE_DATABASE_URL") if migrate_url else None
        self.SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
        # Exactly one of ENVIRONMENTS (checked by `check`: a misspelt `prod` must not run as development).
        self.ENV_NAME = os.environ.get("APP_ENV", "development")
        self.DUAL_WRITE = _flag("DUAL_WRITE", True)
        self.APP_TIMEZONE = os.environ.get("APP_TIMEZONE", "")  # empty: the server's own
        self.FOUR_EYES = _flag("FOUR_EYES", False)
        self.MAX_UPLOAD_BYTES = int(os.environ.get("MAX_UPLOAD_BYTES", 25 * 1024 * 1024))
        self.MAX_IMPORT_ROWS = int(os.environ.get("MAX_IMPORT_ROWS", 200_000))
        # Attachments (notes and attachments, DESIGN §9): at most this many bytes each, stored by SHA-256 here.
        self.ATTACHMENT_MAX_BYTES = _count("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
        self.ATTACHMENTS_DIR = os.environ.get("ATTACHMENTS_DIR", str(INSTANCE / "attachments"))
        # A request may carry the larger of the two files, plus its form: a file a little over a limit still
        # arrives, so the page can refuse it saying which limit, instead of the server cutting it off.
        self.MAX_CONTENT_LENGTH = max(self.MAX_UPLOAD_BYTES, self.ATTACHMENT_MAX_BYTES) + 1024 * 1024
        self.MATCH_MIN_SCORE = float(os.environ.get("MATCH_MIN_SCORE", 0) or 0) or None
        self.MATCH_MIN_MARGIN = float(os.environ.get("MATCH_MIN_MARGIN", 0) or 0) or None
        self.UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE / "uploads"))
        # Long imports: `worker` queues them for `flask jobs work` (make serve starts one), `inline` runs them in
        # the request (development, tests). A file of more than JOBS_INLINE_ROWS rows is long; a running job whose
        # worker has not shown a sign of life for JOBS_STALE_SECONDS is stale (its transaction never committed).
        self.JOBS = os.environ.get("JOBS", "inline")
        if self.JOBS not in ("inline", "worker"):
            raise ValueError(f"JOBS must be inline or worker, not {self.JOBS!r}")
        self.JOBS_INLINE_ROWS = int(os.environ.get("JOBS_INLINE_ROWS", 5_000))
        self.JOBS_STALE_SECONDS = float(os.environ.get("JOBS_STALE_SECONDS", 60))
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _flag("SESSION_COOKIE_SECURE", self.ENV_NAME == "production")
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        # How many proxies in front of the app set X-Forwarded-For/-Proto/-Host (Werkzeug's ProxyFix); 0: none,
        # and such headers change nothing.
        self.TRUSTED_PROXIES = _count("TRUSTED_PROXIES", 0)
        # Strict-Transport-Security's max-age on HTTPS requests; 0 (the default) sends none.
        self.HSTS_SECONDS = _count("HSTS_SECONDS", 0)
        # Where pages load htmx from: the CDN (with the bundled copy as fallback), or only the bundled copy.
        self.HTMX_SOURCE = os.environ.get("HTMX_SOURCE", "cdn").strip()
        self.HTMX_CDN_URL = "https://cdn.jsdelivr.net/npm/htmx.org@2.0.4/dist/htmx.min.js"
        self.HTMX_LOCAL_FILE = "vendor/htmx-2.0.4.min.js"  # under static/: the same bytes as the CDN's
        self.HTMX_SRI = "sha384-HGfztofotfshcF7+8n44JQL2oJmowVChPTg48S+jvZoztPfvwD79OC/LTtG6dMp+"
        self.WTF_CSRF_TIME_LIMIT = None
        # Server-side sessions (user_sessions): ended after this long without a request, and this long after sign-in.
        self.SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", 30))
        self.SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", 12))
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


def check(config) -> None:
    """Refuse to start on a weak or unknown setting (UnsafeSettings, saying which and why): APP_ENV exactly one
    of ENVIRONMENTS; in production a SECRET_KEY of at least MIN_SECRET_KEY characters that is not the
    development key, and cookies that are Secure, HttpOnly and SameSite."""
    env = config.get("ENV_NAME")
    if env not in ENVIRONMENTS:
        raise UnsafeSettings(f"APP_ENV must be one of {', '.join(ENVIRONMENTS)} (exactly, lower-case), not {env!r}")
    if config.get("HTMX_SOURCE") not in HTMX_SOURCES:
        raise UnsafeSettings(f"HTMX_SOURCE must be cdn or local, not {config.get('HTMX_SOURCE')!r}")
    for name in ("TRUSTED_PROXIES", "HSTS_SECONDS"):
        value = config.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise UnsafeSettings(f"{name} must be a whole number of 0 or more, not {value!r}")
    if env != "production":
        return
    key = config.get("SECRET_KEY") or ""
    if not isinstance(key, str) or DEV_SECRET_KEY in key:
        raise UnsafeSettings("SECRET_KEY must be set in production: the development key is in the repository")
    if len(key.strip()) < MIN_SECRET_KEY:
        raise UnsafeSettings(
            f"SECRET_KEY must be at least {MIN_SECRET_KEY} characters in production "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    for prefix in ("SESSION", "REMEMBER"):
        if not config.get(f"{prefix}_COOKIE_SECURE") or not config.get(f"{prefix}_COOKIE_HTTPONLY"):
            raise UnsafeSettings(f"{prefix}_COOKIE_SECURE and {prefix}_COOKIE_HTTPONLY must be on in production")
        if config.get(f"{prefix}_COOKIE_SAMESITE") not in ("Lax", "Strict"):
            raise UnsafeSettings(f"{prefix}_COOKIE_SAMESITE must be Lax or Strict in production")
    if config.get("DEBUG"):
        raise UnsafeSettings("the debugger (FLASK_DEBUG) must be off in production")
