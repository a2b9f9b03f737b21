"""The security log page's URL parameters: kind, user, a range of days, the page."""

import unicodedata
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length, Optional, ValidationError

from guarantees.domain.security import EVENT_KINDS
from guarantees.forms.guarantees import MAX_PAGE, QueryForm, WholeNumberField, choice


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


def parse_day(text: str | None) -> date | None:
    """A day typed yyyy-mm-dd (Arabic-Indic digits accepted), or None when it is not one."""
    if not text:
        return None
    latin = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in text.strip())
    try:
        return date.fromisoformat(latin) if len(latin) == 10 else None
    except ValueError:
        return None


def _a_day(_form, field) -> None:
    if field.data and parse_day(field.data) is None:
        raise ValidationError(_l("Ignored a date that is not yyyy-mm-dd."))


class AuditQueryForm(QueryForm):
    """?kind=&user=&since=&until=&page= (days yyyy-mm-dd, both included); a bad value is dropped with a message."""

    kind = StringField(filters=[_stripped], validators=choice(EVENT_KINDS, _l("Ignored an unknown kind of event.")))
    user = StringField(filters=[_stripped], validators=[Optional(), Length(max=80)])
    since = StringField(filters=[_stripped], validators=[Optional(), _a_day])
    until = StringField(filters=[_stripped], validators=[Optional(), _a_day])
    page = WholeNumberField(high=MAX_PAGE)

    def day(self, name: str) -> date | None:
        return parse_day(self.value(name))
