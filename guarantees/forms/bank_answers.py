"""Forms of the bank's answer to a letter, and of the admin's setting for how long a letter may wait."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import InputRequired

from guarantees.domain.bank_answers import MAX_WAIT_DAYS
from guarantees.forms.guarantees import PostForm, WholeNumberField, parsed_as


class BankAnswerForm(PostForm):
    """The bank's letter: its date and reference, the expiry it granted (extensions; blank: the one asked) and
    optionally its scan (its type and size are checked by the attachments service, from its content)."""

    answer_date = StringField(
        validators=[InputRequired(_l("Give the date of the bank's letter.")), parsed_as("expiry_date")]
    )
    bank_reference = StringField(validators=[InputRequired(_l("Give the reference of the bank's letter."))])
    granted_expiry = StringField(validators=[parsed_as("expiry_date")])
    file = FileField()

    def arguments(self) -> dict:
        """The service's keyword arguments (the file apart)."""
        return {
            "answer_date": self.answer_date.parsed,
            "bank_reference": self.bank_reference.data,
            "granted_expiry": self.granted_expiry.parsed,
        }

    @property
    def upload(self):
        """The uploaded file, or None when none was chosen."""
        data = self.file.data
        return data if data is not None and getattr(data, "filename", "") else None


class BankWaitForm(PostForm):
    """Days a letter may wait for the bank's answer before the digest names it."""

    wait_days = WholeNumberField(
        _l("Days a letter may wait for the bank's answer"),
        validators=[InputRequired(_l("Give a number of days."))],
        high=MAX_WAIT_DAYS,
    )
