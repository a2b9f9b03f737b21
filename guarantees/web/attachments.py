"""Attachments of a guarantee: the list on its page, uploading (htmx), downloading, previewing and hiding.

A download is `Content-Disposition: attachment` with the name as uploaded (RFC 5987, and an ASCII stand-in), the
type detected from the content and `nosniff`; a preview (PDF and images only) is `inline`, and only that answer
may be framed, by this site's own pages.
"""

from flask import Blueprint, abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from guarantees.domain import file_types
from guarantees.forms.attachments import AttachmentForm, HideAttachmentForm
from guarantees.repositories import attachments as repo
from guarantees.repositories import guarantees as guarantee_repo
from guarantees.services import attachments as service
from guarantees.services.errors import DomainError, NotFound
from guarantees.web.errors import error_page
from guarantees.web.rendering import is_htmx, render, toast
from guarantees.web.security import editor_required, username

bp = Blueprint("attachments", __name__)

# The preview's own policy: the file may be shown inside this site's pages (and nowhere else), and runs nothing.
PREVIEW_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'; frame-ancestors 'self'"


@bp.app_template_global()
def attachments_of(guarantee_id: int) -> list:
    """A guarantee's attachments for this user: hidden ones only for editors (listed as hidden)."""
    return repo.for_guarantee(guarantee_id, include_hidden=current_user.can("editor"))


@bp.app_template_global()
def attachment_actions(guarantee_id: int) -> list:
    """The guarantee's actions an attachment may be tied to."""
    return repo.action_choices(guarantee_id)


@bp.app_template_global()
def attachment_kind(attachment) -> file_types.FileType:
    return service.kind_of(attachment)


@bp.app_template_filter("file_size")
def file_size(size: int) -> str:
    return service.size_text(size)


def _section(guarantee, *, status: int = 200, error: str | None = None, hide_error=None, message: str | None = None):
    response = render(
        "attachments/_section.html", status=status, guarantee=guarantee, attachment_error=error, hide_error=hide_error
    )
    return toast(response, message) if message else response


def _back(guarantee_id: int, error: str | None = None, message: str | None = None):
    if error:
        flash(error, "error")
    elif message:
        flash(message, "success")
    return redirect(url_for("guarantees.show", guarantee_id=guarantee_id) + "#attachments", 303)


@bp.post("/guarantees/<id:guarantee_id>/attachments")
@editor_required
def upload(guarantee_id: int):
    """Attach a file to the guarantee (optionally to one of its actions)."""
    guarantee = guarantee_repo.get(guarantee_id)
    if guarantee is None:
        abort(404)
    form = AttachmentForm()
    try:
        form.check()
        added = service.add(
            guarantee_id=guarantee_id,
            filename=form.filename,
            stream=form.file.data.stream,
            user=username(),
            action_id=form.action_id.data,
        )
    except NotFound:
        abort(404)
    except DomainError as refused:
        if not is_htmx():
            return _back(guarantee_id, error=refused.message)
        return _section(guarantee, status=422, error=refused.message)
    message = _("%(name)s attached.", name=added.original_name)
    return _section(guarantee, message=message) if is_htmx() else _back(guarantee_id, message=message)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error):
    """A request larger than the server takes (MAX_CONTENT_LENGTH): an upload is told the attachments' limit; any
    other route of this blueprint (hiding), or no such guarantee, gets the app's page for its status."""
    guarantee_id = (request.view_args or {}).get("guarantee_id")
    guarantee = guarantee_repo.get(guarantee_id) if guarantee_id else None
    if guarantee is None:
        return error_page(404 if guarantee_id else 413)
    if is_htmx():
        return _section(guarantee, status=422, error=service.too_large_message())
    return _back(guarantee.id, error=service.too_large_message())


def _readable(attachment_id: int):
    attachment = repo.get(attachment_id)
    if attachment is None:
        abort(404)
    try:
        return attachment, service.readable(attachment, may_see_hidden=current_user.can("editor"))
    except NotFound:
        abort(404)


def _send(attachment, path, disposition: str):
    kind = service.kind_of(attachment)
    response = send_file(path, mimetype=kind.content_type, conditional=True, etag=attachment.sha256)
    response.headers["Content-Disposition"] = file_types.content_disposition(
        disposition, attachment.original_name, kind
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/attachments/<id:attachment_id>")
def download(attachment_id: int):
    """The file, to save, under its original name."""
    attachment, path = _readable(attachment_id)
    return _send(attachment, path, "attachment")


@bp.get("/attachments/<id:attachment_id>/preview")
def preview(attachment_id: int):
    """A PDF or an image, to show inside the guarantee's page (other kinds are downloaded, not previewed)."""
    attachment, path = _readable(attachment_id)
    if not service.kind_of(attachment).previewable:
        abort(404)
    response = _send(attachment, path, "inline")
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.post("/attachments/<id:attachment_id>/hide")
@editor_required
def hide(attachment_id: int):
    """Hide an attachment, giving the reason (recorded; the file stays)."""
    attachment = repo.get(attachment_id)
    if attachment is None:
        abort(404)
    guarantee = guarantee_repo.get(attachment.guarantee_id)
    form = HideAttachmentForm(request.form)
    try:
        form.check()
        service.hide(attachment_id, reason=form.reason.data or "", user=username())
    except DomainError as refused:
        if not is_htmx():
            return _back(guarantee.id, error=refused.message)
        return _section(guarantee, status=422, hide_error=(attachment_id, refused.message))
    message = _("The attachment is hidden.")
    return _section(guarantee, message=message) if is_htmx() else _back(guarantee.id, message=message)


@bp.app_template_global()
def attachment_max_size() -> str:
    """The largest attachment accepted, as people say it."""
    return service.size_text(int(current_app.config["ATTACHMENT_MAX_BYTES"]))
