"""Forms of the settings page: the letterhead's texts, the logo, and the expiry alerts."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from guarantees.services.settings import ADDRESS_LIST, EDITORS, MAX_LOGO_BYTES, MAX_TEXT


def _text(label) -> StringField:
    return StringField(label, validators=[Optional(), Length(max=MAX_TEXT)])


class LetterheadForm(FlaskForm):
    """The organisation, department and signatory as the letters print them (blank: the default)."""

    organisation_ar = _text(_l("Organisation (Arabic)"))
    organisation_en = _text(_l("Organisation (English)"))
    department_ar = _text(_l("Department (Arabic)"))
    department_en = _text(_l("Department (English)"))
    signatory_ar = _text(_l("Signatory's title (Arabic)"))
    signatory_en = _text(_l("Signatory's title (English)"))

    def values(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class LogoForm(FlaskForm):
    """A logo image for the letterhead; its type and size are checked by the service, from its content."""

    logo = FileField(_l("Logo (PNG or JPEG)"), validators=[FileRequired(_l("Choose an image file."))])
    content: bytes = b""

    def validate_logo(self, field) -> None:
        # One byte over the limit is read, so that the service refuses the file with the limit in its message.
        self.content = field.data.stream.read(MAX_LOGO_BYTES + 1)


class AlertSettingsForm(FlaskForm):
    """The alert thresholds ('90, 60, 30, 7') and who receives the digest; the service checks the values."""

    thresholds = StringField(_l("Alert thresholds (days before expiry)"), validators=[DataRequired(), Length(max=200)])
    recipients = RadioField(
        _l("Recipients"),
        choices=[
            SelectChoice(
                EDITORS, _l("Every active editor and admin (by e-mail where they have an address, and in the app)")
            ),
            SelectChoice(ADDRESS_LIST, _l("These addresses (by e-mail only)")),
        ],
        validators=[InputRequired(_l("Choose who receives the alerts."))],
    )
    addresses = TextAreaField(_l("Addresses, separated by commas"), validators=[Optional(), Length(max=20000)])


class DictionaryAddsForm(FlaskForm):
    """Who adds dictionary entries from the review page: editors too (unticked) or admins only (ticked)."""

    admins_only = BooleanField(_l("Only admins add dictionary entries (editors then match names to existing entries)"))
