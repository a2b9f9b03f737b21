"""Forms of the action sessions: the list's filter and page, a draft extension's new date, issuing (confirmed)."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField

from guarantees.forms.guarantees import (
    MAX_PAGE,
    PostForm,
    QueryForm,
    WholeNumberField,
    choice,
    confirmation_field,
    parsed_as,
)
from guarantees.repositories.actions import SESSION_STATUSES


class SessionListForm(QueryForm):
    """The sessions' list: ?status=draft|issued and ?page=; a bad value is dropped with a message."""

    status = StringField(validators=choice(SESSION_STATUSES, _l("Ignored an unknown status.")))
    page = WholeNumberField(high=MAX_PAGE)


class DraftDateForm(PostForm):
    """A draft extension's new expiry date (blank: the service's default, a year on)."""

    new_expiry = StringField(validators=[parsed_as("expiry_date")])


class IssueForm(PostForm):
    """Issue a session's drafts, or one draft: `confirm` carries the fingerprint of the confirmation the user saw
    (blank: not confirmed yet, so the confirmation is shown first)."""

    confirm = confirmation_field()
