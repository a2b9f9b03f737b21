"""Settings (admins only), kept in the database: the letterhead and signatory the letters print, the logo, and the
expiry alerts' thresholds and recipients."""

from flask import Blueprint, abort, flash, make_response, url_for
from flask_babel import gettext as _

from guarantees.forms.settings import AlertSettingsForm, LetterheadForm, LogoForm
from guarantees.services import settings as service
from guarantees.services.errors import DomainError
from guarantees.web.batches import see_other
from guarantees.web.rendering import render
from guarantees.web.security import admin_required, username

bp = Blueprint("settings", __name__, url_prefix="/admin/settings")


def _page(letterhead_form=None, logo_form=None, status: int = 200, alert_form=None):
    current = service.letterhead()
    if letterhead_form is None:
        letterhead_form = LetterheadForm(data={key: getattr(current, key) for key in service.TEXT_KEYS})
    if alert_form is None:
        alerts = service.alert_settings()
        alert_form = AlertSettingsForm(
            data={
                "thresholds": alerts.thresholds_text,
                "recipients": alerts.recipients,
                "addresses": ", ".join(alerts.addresses),
            }
        )
    return render(
        "settings/index.html",
        letterhead=current,
        form=letterhead_form,
        logo_form=logo_form or LogoForm(),
        max_logo_kb=service.MAX_LOGO_BYTES // 1024,
        alert_form=alert_form,
        dual_write=service.dual_write_status(),
        status=status,
    )


@bp.get("")
@admin_required
def index():
    """The letterhead as the letters print it, and the forms that change it."""
    return _page()


@bp.post("/letterhead")
@admin_required
def letterhead():
    """Save the letterhead's texts (a blank one goes back to its default)."""
    form = LetterheadForm()
    if not form.validate():
        return _page(form, status=422)
    try:
        service.save_letterhead(form.values(), user=username())
    except DomainError as error:
        field = getattr(form, error.field or "", None)
        (field.errors if field is not None else form.form_errors).append(error.message)
        return _page(form, status=422)
    flash(_("The letterhead was saved. Letters print it from now on."), "success")
    return see_other(url_for("settings.index"))


@bp.post("/alerts")
@admin_required
def alerts():
    """Save the alert thresholds and recipients (the next digest uses them)."""
    form = AlertSettingsForm()
    if not form.validate():
        return _page(alert_form=form, status=422)
    try:
        service.save_alert_settings(
            form.thresholds.data, form.recipients.data, form.addresses.data or "", user=username()
        )
    except DomainError as error:
        field = getattr(form, error.field or "", None)
        (field.errors if field is not None else form.form_errors).append(error.message)
        return _page(alert_form=form, status=422)
    flash(_("The alert settings were saved. The next digest uses them."), "success")
    return see_other(url_for("settings.index"))


@bp.post("/logo")
@admin_required
def upload_logo():
    """Store a new logo (PNG or JPEG, size-limited, type read from its content)."""
    form = LogoForm()
    if not form.validate():
        return _page(logo_form=form, status=422)
    try:
        service.save_logo(form.content, user=username())
    except DomainError as error:
        form.logo.errors = [*form.logo.errors, error.message]
        return _page(logo_form=form, status=422)
    flash(_("The logo was saved."), "success")
    return see_other(url_for("settings.index"))


@bp.post("/logo/remove")
@admin_required
def remove_logo():
    """Letters go without a logo."""
    service.remove_logo(user=username())
    flash(_("The logo was removed."), "success")
    return see_other(url_for("settings.index"))


@bp.get("/logo")
def logo():
    """The logo image, for the letters (any signed-in user), with its stored type and nosniff."""
    found = service.logo()
    if found is None:
        abort(404)
    content, kind = found
    response = make_response(content)
    response.headers["Content-Type"] = kind
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
