"""Forms of the bank's answer to a letter, of the admin's setting for how long a letter may wait, and the answers
page's filters."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import InputRequired

from guarantees.domain.bank_answers import ANSWERED_TYPES, MAX_WAIT_DAYS
from guarantees.forms.guarantees import MAX_PAGE, PostForm, WholeNumberField, choice, parsed_as
from guarantees.forms.reports import ReportFilterForm
from guarantees.repositories.bank_answers import ANSWER_STATES, AnswerFilters


def _stripped(raw):
    return raw.strip() if isinstance(raw, str) else raw


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


class AnswerListForm(ReportFilterForm):
    """The answers page's URL: ?state=&type=&bank=&from=&to=&page= (dates of our letters); bad values are dropped
    with a message."""

    state = StringField(filters=[_stripped], validators=choice(ANSWER_STATES, _l("Ignored an unknown state.")))
    type = StringField(filters=[_stripped], validators=choice(ANSWERED_TYPES, _l("Ignored an unknown kind of letter.")))
    page = WholeNumberField(high=MAX_PAGE)

    def answer_filters(self) -> AnswerFilters:
        """The typed filters (a dropped value as none; a range given backwards read the right way round)."""
        dates = self.filters()
        return AnswerFilters(
            state=self.value("state", ""),
            action_type=self.value("type", ""),
            bank=dates.bank,
            date_from=dates.date_from,
            date_to=dates.date_to,
        )
