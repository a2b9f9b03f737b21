"""Forms of a void: preparing it (the reason), issuing or withdrawing it (nothing but the CSRF token)."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import InputRequired

from guarantees.forms.guarantees import PostForm


class VoidForm(PostForm):
    """Prepare a void of an issued action: the reason is required."""

    reason = StringField(validators=[InputRequired(_l("Give the reason for the void."))])


class VoidIssueForm(PostForm):
    """Issue or withdraw a prepared void."""
