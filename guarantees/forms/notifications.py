"""Forms of the notifications page: its page number."""

from guarantees.forms.guarantees import MAX_PAGE, QueryForm, WholeNumberField


class NotificationListForm(QueryForm):
    """?page=; a bad value is dropped with a message."""

    page = WholeNumberField(high=MAX_PAGE)
