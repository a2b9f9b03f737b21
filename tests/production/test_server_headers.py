"""The real servers, as `make serve` (gunicorn with gunicorn.conf.py) and `make run` (Flask's development server)
start them: no Server header; gunicorn believes no X-Forwarded-* header, only TRUSTED_PROXIES decides."""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET = "Zq3-vN8pL0x_Rt5yWb7KdF2mHj9sCe4u-serve"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_command(port: int) -> str:
    """The command `make serve` runs, for one worker on 127.0.0.1:`port` (read from the Makefile, so the test
    follows it)."""
    dry = subprocess.run(
        ["make", "-n", "-s", "serve", f"PORT={port}", "HOST=127.0.0.1", "WORKERS=1", f"BIN={BIN}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (command,) = [line for line in dry.splitlines() if "gunicorn" in line]
    return command


def start(command: list[str] | str, env: dict, port: int, *, shell: bool = False) -> subprocess.Popen:
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **env},
        shell=shell,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: stopped as a whole
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise AssertionError("the server did not start")


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    process.stderr.close()


def get(port: int, path: str, headers: dict | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def raw(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(data)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


@pytest.fixture
def database_file(_sqlite_server):
    url = _sqlite_server.fresh()
    yield url
    _sqlite_server.drop(url)


@pytest.fixture
def gunicorn(database_file):
    """gunicorn started as `make serve` starts it: gunicorn(**env) → its port."""
    started = []

    def run(**env) -> int:
        port = free_port()
        settings = {"DATABASE_URL": database_file, "SECRET_KEY": SECRET, "LOG_FORMAT": "text", **env}
        started.append(start(serve_command(port), settings, port, shell=True))  # noqa: S604 - the Makefile's line
        return port

    yield run
    for process in started:
        stop(process)


def test_make_serve_uses_the_gunicorn_config():
    command = serve_command(5000)
    assert "APP_ENV=production" in command and "--config gunicorn.conf.py" in command and "app:app" in command


def test_gunicorn_sends_no_server_header(gunicorn):
    port = gunicorn()
    for path in ("/health", "/login", "/nowhere", "/static/css/app.css"):
        response = get(port, path)
        assert response.getheader("Server") is None, (path, response.getheaders())
        assert response.status in (200, 404)
    refused = raw(port, b"NOT A REQUEST\r\n\r\n")  # answered by gunicorn itself, not the app
    assert refused.startswith(b"HTTP/1.1 400") and b"server:" not in refused.lower()
    assert b"gunicorn" not in raw(port, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").lower()


def test_gunicorn_believes_no_forwarded_header_without_trusted_proxies(gunicorn):
    port = gunicorn(HSTS_SECONDS="31536000")
    claims = {"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on", "X-Forwarded-Protocol": "ssl"}
    response = get(port, "/health", claims)
    assert response.status == 200 and response.getheader("Strict-Transport-Security") is None
    # A redirect's address stays on plain HTTP: nothing took the claim for the truth.
    redirect = get(port, "/", {**claims, "X-Forwarded-Host": "evil.example"})
    assert redirect.status == 302 and "evil" not in redirect.getheader("Location")
    assert not redirect.getheader("Location").startswith("https:")


def test_gunicorn_behind_a_trusted_proxy_sends_hsts_on_https(gunicorn):
    port = gunicorn(HSTS_SECONDS="31536000", TRUSTED_PROXIES="1")
    assert get(port, "/health", {"X-Forwarded-Proto": "https"}).getheader("Strict-Transport-Security") == (
        "max-age=31536000"
    )
    assert get(port, "/health").getheader("Strict-Transport-Security") is None


def test_the_development_server_sends_no_server_header(database_file):
    port = free_port()
    env = {"DATABASE_URL": database_file, "APP_ENV": "development", "FLASK_DEBUG": "0"}
    process = start([str(BIN / "flask"), "--app", "app", "run", "--port", str(port)], env, port)
    try:
        response = get(port, "/login")
        assert response.status == 200 and response.getheader("Server") is None
        assert response.getheader("Date") and response.getheader("Cache-Control") == "no-store"
        sent = "\n".join(f"{name}: {value}" for name, value in response.getheaders())
        assert not re.search(r"(?i)werkzeug|python/", sent)
    finally:
        stop(process)
