"""The attachment forms: a file to attach (optionally to one of the guarantee's actions), and hiding one."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import Optional

from guarantees.forms.guarantees import PostForm, WholeNumberField


class AttachmentForm(PostForm):
    """A file to attach; its type and size are checked by the service, from its content."""

    file = FileField(validators=[FileRequired(_l("Choose a file to attach."))])
    action_id = WholeNumberField(validators=[Optional()])

    @property
    def filename(self) -> str:
        return self.file.data.filename or ""


class HideAttachmentForm(PostForm):
    """Hiding an attachment: the reason is required (the service says so, and how long it may be)."""

    reason = StringField()
