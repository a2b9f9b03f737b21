"""Each user's in-app expiry alerts (the digest's lines), newest first; opening them marks them read."""

from flask import Blueprint, request
from flask_login import current_user

from guarantees.forms.notifications import NotificationListForm
from guarantees.services import notifications as service
from guarantees.services.alerts import EXPIRED_THRESHOLD
from guarantees.web.rendering import render

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("")
def index():
    """The signed-in user's notifications; the ones shown become read (a GET that writes only that)."""
    form = NotificationListForm(request.args)
    page = service.open_page(current_user.id, form.value("page", 1))
    # The header was counted before the page was opened: it shows what is still unread now.
    opened = sum(1 for row in page.items if row.read_at is None)
    current_user.unread_notifications = max(0, current_user.unread_notifications - opened)
    return render(
        "notifications/index.html",
        "table",
        page=page,
        problems=form.problems(),
        expired_threshold=EXPIRED_THRESHOLD,
    )
