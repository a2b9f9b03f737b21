"""The letters' one parameter: the language they are printed in."""

from wtforms import StringField

from guarantees.forms.guarantees import QueryForm
from guarantees.services.letters import LANGUAGES


class LetterForm(QueryForm):
    """?lang=ar (the default) or en; anything else prints the default (a message would print on the paper)."""

    lang = StringField(filters=[lambda raw: raw if raw in LANGUAGES else LANGUAGES[0]])
