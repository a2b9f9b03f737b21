"""gunicorn's settings for `make serve`, read from the working directory (the command line's options win).

- No `Server: gunicorn` header: the answers do not name the server software.
- gunicorn believes no X-Forwarded-* header (by default it takes X-Forwarded-Proto from 127.0.0.1 as HTTPS):
  which proxies are believed is the app's setting alone, TRUSTED_PROXIES (Werkzeug's ProxyFix).
"""

from gunicorn.http import wsgi

forwarded_allow_ips = ""
secure_scheme_headers = {}
forwarder_headers = ""

_default_headers = wsgi.Response.default_headers


def _without_server_header(response) -> list[str]:
    return [line for line in _default_headers(response) if not line.lower().startswith("server:")]


wsgi.Response.default_headers = _without_server_header
