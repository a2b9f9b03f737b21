"""Settings that refuse to be weak: an unknown APP_ENV, a short or known SECRET_KEY in production, cookies that
lose Secure, bad numbers; each refused when the app is created, with a message that names the setting."""

import subprocess
import sys
from pathlib import Path

import pytest

from guarantees import create_app
from guarantees.config import DEV_SECRET_KEY, UnsafeSettings

ROOT = Path(__file__).resolve().parents[2]
STRONG = "Zq3-vN8pL0x_Rt5yWb7KdF2mHj9sCe4u"  # 32 characters
assert len(STRONG) == 32


@pytest.fixture
def env(monkeypatch):
    """Set environment variables for the app about to be created (APP_ENV, SECRET_KEY ... cleared first)."""
    for name in ("APP_ENV", "SECRET_KEY", "TRUSTED_PROXIES", "HSTS_SECONDS", "HTMX_SOURCE", "SESSION_COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)

    def set_(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_


def make(**config):
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", **config})


@pytest.mark.parametrize("name", ["prod", "Production", "PRODUCTION", "production ", "dev", "staging", "", "test1"])
def test_an_unknown_app_env_refuses_to_start(env, name):
    env(APP_ENV=name, SECRET_KEY=STRONG)
    with pytest.raises(UnsafeSettings, match="APP_ENV must be one of development, test, production") as refused:
        make()
    assert repr(name) in str(refused.value)


@pytest.mark.parametrize("name", ["development", "test", "production"])
def test_the_three_environments_start(env, name):
    env(APP_ENV=name, SECRET_KEY=STRONG)
    assert make().config["ENV_NAME"] == name


def test_development_is_the_default_and_may_use_the_development_key(env):
    app = make()
    assert app.config["ENV_NAME"] == "development" and app.config["SECRET_KEY"] == DEV_SECRET_KEY
    assert not app.config["SESSION_COOKIE_SECURE"]


@pytest.mark.parametrize(
    "key",
    ["", " " * 40, "x", "s" * 31, DEV_SECRET_KEY, DEV_SECRET_KEY + "-and-some-more-characters", " " + "k" * 30 + " "],
)
def test_a_weak_secret_key_refuses_to_start_in_production(env, key):
    env(APP_ENV="production", SECRET_KEY=key)
    with pytest.raises(UnsafeSettings, match="SECRET_KEY"):
        make()


def test_no_secret_key_at_all_refuses_to_start_in_production(env):
    env(APP_ENV="production")
    with pytest.raises(UnsafeSettings, match="SECRET_KEY must be set"):
        make()


def test_a_weak_secret_key_given_by_the_caller_is_refused_too(env):
    env(APP_ENV="production", SECRET_KEY=STRONG)
    with pytest.raises(UnsafeSettings, match="at least 32 characters"):
        make(SECRET_KEY="short")


def test_production_cookies_are_secure_httponly_and_lax(env):
    env(APP_ENV="production", SECRET_KEY=STRONG)
    app = make()
    for prefix in ("SESSION", "REMEMBER"):
        assert app.config[f"{prefix}_COOKIE_SECURE"] is True
        assert app.config[f"{prefix}_COOKIE_HTTPONLY"] is True
        assert app.config[f"{prefix}_COOKIE_SAMESITE"] == "Lax"
    response = app.test_client().get("/login")
    cookie = response.headers["Set-Cookie"]
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize(
    "weaker",
    [
        {"SESSION_COOKIE_SECURE": False},
        {"SESSION_COOKIE_HTTPONLY": False},
        {"SESSION_COOKIE_SAMESITE": None},
        {"SESSION_COOKIE_SAMESITE": "None"},
        {"REMEMBER_COOKIE_SECURE": False},
        {"DEBUG": True},
    ],
)
def test_production_refuses_weaker_cookies_or_the_debugger(env, weaker):
    env(APP_ENV="production", SECRET_KEY=STRONG)
    with pytest.raises(UnsafeSettings):
        make(**weaker)


def test_secure_cookies_cannot_be_turned_off_in_production_from_the_environment(env):
    env(APP_ENV="production", SECRET_KEY=STRONG, SESSION_COOKIE_SECURE="off")
    with pytest.raises(UnsafeSettings, match="SESSION_COOKIE_SECURE"):
        make()


@pytest.mark.parametrize("name", ["TRUSTED_PROXIES", "HSTS_SECONDS"])
@pytest.mark.parametrize("value", ["-1", "one", "1.5", "0x10", "١"])
def test_numbers_of_the_proxy_settings_must_be_whole(env, name, value):
    env(**{name: value})
    with pytest.raises(UnsafeSettings, match=f"{name} must be a whole number"):
        make()


def test_the_proxy_settings_default_to_off(env):
    app = make()
    assert app.config["TRUSTED_PROXIES"] == 0 and app.config["HSTS_SECONDS"] == 0
    env(TRUSTED_PROXIES="2", HSTS_SECONDS="31536000")
    app = make()
    assert app.config["TRUSTED_PROXIES"] == 2 and app.config["HSTS_SECONDS"] == 31536000


@pytest.mark.parametrize("value", ["CDN", "remote", "local ", "both"])
def test_htmx_source_is_cdn_or_local(env, value):
    env(HTMX_SOURCE=value)
    if value.strip() == "local":
        assert make().config["HTMX_SOURCE"] == "local"
        return
    with pytest.raises(UnsafeSettings, match="HTMX_SOURCE must be cdn or local"):
        make()


def test_the_command_line_refuses_to_start_and_says_why():
    """As `make serve` or `flask` would start it: APP_ENV=prod stops the process with the reason."""
    env = {"PATH": "/usr/bin:/bin", "APP_ENV": "prod", "SECRET_KEY": STRONG, "DATABASE_URL": "sqlite://"}
    result = subprocess.run(
        [sys.executable, "-c", "import app"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "UnsafeSettings: APP_ENV must be one of development, test, production" in result.stderr
    assert "'prod'" in result.stderr
