"""Full page for a normal request, a named block for an htmx request (boosted and history restores get pages)."""

import json

from flask import Response, make_response, render_template, request
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    """A partial htmx request: not boosted navigation and not a history restore, which need the full page."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(template: str, block: str | None = None, *, status: int = 200, **context) -> Response:
    """Render `template`, or only its `block` for an htmx request."""
    if block and is_htmx():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    return make_response(body, status)


def render_blocks(template: str, blocks: list[str], **context) -> str:
    """Several blocks of one template, concatenated (the first swaps in place, the others out of band)."""
    return "".join(render_block(template, block, **context) for block in blocks)


def toast(response: Response, message: str, level: str = "success", **events) -> Response:
    """Ask the page to show a toast (and fire other events) through HX-Trigger."""
    triggers = {"toast": {"message": message, "level": level}, **events}
    response.headers["HX-Trigger"] = json.dumps(triggers, ensure_ascii=True)
    return response


def add_vary(response: Response) -> Response:
    """Pages differ for htmx requests: caches must know."""
    if response.mimetype == "text/html":
        response.vary.add("HX-Request")
    return response


def init_app(app) -> None:
    app.after_request(add_vary)
