"""The letters' parameters: the language they are printed in, on the page (GET) and in the print record (POST)."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import AnyOf, InputRequired

from guarantees.forms.guarantees import PostForm, QueryForm
from guarantees.services.letters import LANGUAGES


class LetterForm(QueryForm):
    """?lang=ar (the default) or en; anything else prints the default (a message would print on the paper)."""

    lang = StringField(filters=[lambda raw: raw if raw in LANGUAGES else LANGUAGES[0]])


class PrintForm(PostForm):
    """The Print button's record of a print: the language the letters were printed in, ar or en (else refused)."""

    lang = StringField(
        validators=[
            InputRequired(_l("Say which language the letters were printed in.")),
            AnyOf(LANGUAGES, _l("Letters are printed in Arabic or English.")),
        ]
    )
