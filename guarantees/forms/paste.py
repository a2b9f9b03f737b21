"""The paste box of today's page: rows copied from Excel or an e-mail table, checked for size before reading."""

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import ValidationError

from guarantees.forms.guarantees import PostForm
from guarantees.services.paste import MAX_TEXT_BYTES, too_big


class PasteForm(PostForm):
    """The pasted text (`rows`): something to read, and no more than MAX_TEXT_BYTES of it."""

    rows = TextAreaField(_l("Rows copied from Excel or an e-mail"))

    def validate_rows(self, field) -> None:
        text = field.data or ""
        # UTF-8 bytes: an Arabic letter counts twice, as it weighs in the request and in memory
        if len(text) > MAX_TEXT_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
            raise ValidationError(too_big())
        if not text.strip():
            raise ValidationError(_l("Paste the rows to preview first: copy them in Excel or in the e-mail."))
