"""What every answer says about itself: the content security policy, no caching of what a signed-in user sees,
HSTS by setting, and which proxies' X-Forwarded-* headers are believed.

- `TRUSTED_PROXIES` (n, default 0): Werkzeug's ProxyFix believes the last n values of X-Forwarded-For, -Proto
  and -Host. With 0 nothing is believed: a request claiming `X-Forwarded-Proto: https` is still plain HTTP.
  (gunicorn believes none either: gunicorn.conf.py.)
- `HSTS_SECONDS` (default 0, off): Strict-Transport-Security on HTTPS requests, as seen after ProxyFix.
- `HTMX_SOURCE`: `cdn` lets scripts come from the one htmx file on the CDN (its exact URL, version included)
  besides this site; `local` from this site only.
- Pages may frame only this site (`frame-src 'self'`: the attachments' previews); no answer may be framed
  (`frame-ancestors 'none'`, X-Frame-Options DENY) but a preview, which sets its own (web/attachments.py).
- Every answer but the static files is `Cache-Control: no-store`: pages, fragments, downloads and the sign-in
  form's answers stay out of the browser's and any proxy's cache. Static files keep their own caching.
"""

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix


def content_security_policy(config) -> str:
    """The CSP for these settings: scripts from this site, and from the CDN only the htmx file the pages load."""
    scripts = "'self'" if config["HTMX_SOURCE"] == "local" else f"'self' {config['HTMX_CDN_URL']}"
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "frame-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
        "object-src 'none'"
    )


def _add_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", current_app.extensions["content_security_policy"])
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
    seconds = current_app.config["HSTS_SECONDS"]
    if seconds and request.is_secure:
        headers["Strict-Transport-Security"] = f"max-age={seconds}"
    return response


def _quiet_development_server() -> None:
    """The development server (`flask run`) names itself and Python's version in a Server header: it sends none
    (gunicorn's is removed by gunicorn.conf.py)."""
    from werkzeug.serving import WSGIRequestHandler

    if getattr(WSGIRequestHandler, "_sends_no_server_header", False):
        return

    def send_response(self, code, message=None):
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    WSGIRequestHandler.send_response = send_response
    WSGIRequestHandler._sends_no_server_header = True


def init_app(app: Flask) -> None:
    """The headers on every answer, and the proxies believed (from the app's settings)."""
    app.extensions["content_security_policy"] = content_security_policy(app.config)
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.after_request(_add_headers)
    _quiet_development_server()
