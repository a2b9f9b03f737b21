"""The note form: one text, checked by the notes service's own rule (services.notes.clean_body)."""

from wtforms import TextAreaField
from wtforms.validators import ValidationError

from guarantees.forms.guarantees import PostForm
from guarantees.services import notes
from guarantees.services.errors import ValidationFailed

TARGETS = ("guarantee", "batch", "session")


class NoteForm(PostForm):
    """A note to add: not empty, not longer than the limit (line breaks kept)."""

    body = TextAreaField()

    def validate_body(self, field) -> None:
        try:
            field.data = notes.clean_body(field.data)
        except ValidationFailed as error:
            raise ValidationError(error.message) from None
