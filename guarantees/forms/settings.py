"""Forms of the settings page: the letterhead's texts, and the logo."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import Length, Optional

from guarantees.services.settings import MAX_LOGO_BYTES, MAX_TEXT


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
