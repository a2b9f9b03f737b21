"""Forms of the review queue: applying a choice to a raw name, and the dictionary picker's search."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from guarantees.domain.fields import ENTITIES
from guarantees.domain.ids import MAX_ID

SEARCH_FIELDS = ("chosen_id", "into")  # the form field a picker's option fills
MAX_NAME = 500
MAX_QUERY = 200


def entity_field(**kwargs) -> SelectField:
    """Which dictionary: supplier or bank."""
    return SelectField(
        _l("Dictionary"), choices=list(ENTITIES), validators=[InputRequired(_l("Say which dictionary."))], **kwargs
    )


class IdField(IntegerField):
    """A row id: what is not a whole number fails the field's own range check (and its message)."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None


def id_field(label, message, required: bool = True) -> IdField:
    """A dictionary id: a whole number a row can have; `message` for anything else."""
    first = InputRequired(message) if required else Optional()
    return IdField(label, validators=[first, NumberRange(min=1, max=MAX_ID, message=message)])


class ApplyForm(FlaskForm):
    """A reviewer's choice: every unmatched guarantee with this raw name gets the chosen entry."""

    entity = entity_field()
    raw_name = StringField(
        _l("Name"), validators=[DataRequired(_l("There is no name to match.")), Length(max=MAX_NAME)]
    )
    chosen_id = id_field(_l("Entry"), _l("Choose an entry from the candidates or the search."))
    # Which group of the page sent it (the group is shown again, in place, when the choice is refused).
    index = StringField(validators=[Optional(), Regexp(r"^(supplier|bank)-\d{1,4}$")], default="0")

    def validate(self, extra_validators=None) -> bool:
        # A broken index only affects where the answer goes: keep the choice, drop the index.
        valid = super().validate(extra_validators)
        if self.index.errors:
            self.index.errors, self.index.data = [], "0"
            valid = not any(field.errors for field in self)
        return valid

    def first_error(self) -> str:
        return next((str(field.errors[0]) for field in self if field.errors), "")


class SearchForm(FlaskForm):
    """A picker's search (GET): which dictionary, what was typed, which field the options fill, an id left out."""

    class Meta:
        csrf = False

    entity = entity_field()
    q = StringField(validators=[Optional(), Length(max=MAX_QUERY)], default="")
    field = StringField(validators=[Optional(), AnyOf(SEARCH_FIELDS)], default="chosen_id")
    exclude = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_ID)])

    @property
    def query(self) -> str:
        return (self.q.data or "") if not self.q.errors else ""

    @property
    def target(self) -> str:
        return self.field.data if self.field.data and not self.field.errors else "chosen_id"

    @property
    def excluded(self) -> int | None:
        return None if self.exclude.errors else self.exclude.data
