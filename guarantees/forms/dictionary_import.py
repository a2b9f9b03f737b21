"""Forms of a dictionary's file import and export: the upload, its confirmation, the starter banks, the export."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import AnyOf, DataRequired, Optional, Regexp, ValidationError

from guarantees.forms.imports import display_filename
from guarantees.services.dictionary_import import FORMATS, MAX_BYTES


class DictionaryUploadForm(FlaskForm):
    """A dictionary file (.xlsx or .csv) to preview."""

    file = FileField(_l("Dictionary file (.xlsx or .csv)"), validators=[FileRequired(_l("Choose a file to import."))])
    content: bytes = b""

    def validate_file(self, field) -> None:
        # One byte over the limit is read, so that the reader refuses the file with the limit in its message.
        self.content = field.data.stream.read(MAX_BYTES + 1)
        if not self.content:
            raise ValidationError(_l("This file is empty."))

    @property
    def filename(self) -> str:
        return display_filename(self.file.data.filename)


class DictionaryConfirmForm(FlaskForm):
    """The confirmed import of a previewed file, named by the token the preview kept it under."""

    token = StringField(
        validators=[
            DataRequired(_l("This preview has expired: upload the file again.")),
            Regexp(r"^[0-9a-f]{32}$", message=_l("This preview has expired: upload the file again.")),
        ]
    )


class StarterBanksForm(FlaskForm):
    """Load the starter list of banks (the form carries only its CSRF token)."""


class ExportForm(FlaskForm):
    """An export's format (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    format = StringField(_l("Format"), validators=[Optional(), AnyOf(FORMATS, message=_l("Export as xlsx or csv."))])
