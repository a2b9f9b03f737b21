"""Forms of the review queue: its filters, applying a choice to a raw name, bulk decisions and their preview, an
entry added from the page, and the dictionary picker's search."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, SelectField, StringField
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from guarantees.domain.fields import ENTITIES
from guarantees.domain.ids import MAX_ID
from guarantees.forms.guarantees import PostForm
from guarantees.repositories.review_groups import (
    BANDS,
    DEFAULT_THRESHOLD,
    MAX_DECISIONS,
    MAX_THRESHOLD,
    MIN_THRESHOLD,
)

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


class ApplyForm(PostForm):
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


class ReviewQueryForm(FlaskForm):
    """The review page's parameters (GET): kind, score band, page; a bad one is dropped, never an error."""

    class Meta:
        csrf = False

    kind = StringField(validators=[Optional(), AnyOf(ENTITIES)])
    band = StringField(validators=[Optional(), AnyOf(BANDS)])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=10**6)])

    def value(self, name: str, default=None):
        """A parameter's value, or `default` when it is absent or was dropped (validates the form first)."""
        self.validate()
        field = self[name]
        return default if field.errors or field.data in (None, "") else field.data

    @property
    def filters(self) -> dict:
        """The filters in force, as URL parameters (for the pager and the page after a bulk decision)."""
        return {name: self.value(name) for name in ("kind", "band") if self.value(name)}


class ListField(Field):
    """Every value a repeated parameter (checkboxes, hidden inputs) was sent with."""

    def process_formdata(self, valuelist):
        self.data = list(valuelist)

    def _value(self):
        return ""


def _pairs(values: list[str], parts: int) -> list[list[str]]:
    """'kind:…' values split into `parts` parts; a malformed value raises ValueError."""
    found = []
    for value in values:
        split = value.split(":", parts - 1)
        if len(split) != parts or split[0] not in ENTITIES or not split[-1].strip() or len(split[-1]) > MAX_NAME:
            raise ValueError(value)
        found.append(split)
    return found


class SelectionForm(PostForm):
    """Groups ticked on the page, whose proposals are to be accepted (first previewed)."""

    group = ListField()

    def validate_group(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Tick at least one name."))
        if len(field.data) > MAX_DECISIONS:
            raise ValidationError(_l("At most %(max)d names at once.", max=MAX_DECISIONS))
        try:
            self.selection = [(entity, name) for entity, name in _pairs(field.data, 2)]
        except ValueError:
            raise ValidationError(_l("A ticked name was not understood: reload the page.")) from None

    def first_error(self) -> str:
        return next((str(field.errors[0]) for field in self if field.errors), "")


class ThresholdForm(PostForm):
    """Accept every proposal scoring at least N % (of one kind, or both)."""

    threshold = IdField(
        _l("Score at least"),
        default=DEFAULT_THRESHOLD,
        validators=[
            InputRequired(_l("Give a score from %(low)d to %(high)d.", low=MIN_THRESHOLD, high=MAX_THRESHOLD)),
            NumberRange(
                min=MIN_THRESHOLD,
                max=MAX_THRESHOLD,
                message=_l("Give a score from %(low)d to %(high)d.", low=MIN_THRESHOLD, high=MAX_THRESHOLD),
            ),
        ],
    )
    kind = StringField(validators=[Optional(), AnyOf(ENTITIES)])

    def first_error(self) -> str:
        return next((str(field.errors[0]) for field in self if field.errors), "")


class BulkApplyForm(PostForm):
    """A previewed bulk decision, confirmed: each (kind, entry, name) shown, and the preview's fingerprint."""

    decision = ListField()
    confirm = StringField(validators=[DataRequired(_l("Preview the decisions first.")), Length(max=64)])

    def validate_decision(self, field) -> None:
        if not field.data or len(field.data) > MAX_DECISIONS:
            raise ValidationError(_l("Preview the decisions first."))
        try:
            split = _pairs(field.data, 3)
            self.choices = [(entity, name, int(chosen)) for entity, chosen, name in split]
        except ValueError:
            raise ValidationError(_l("A previewed decision was not understood: preview again.")) from None
        if any(not 1 <= chosen <= MAX_ID for _entity, _name, chosen in self.choices):
            raise ValidationError(_l("A previewed decision was not understood: preview again."))

    def first_error(self) -> str:
        return next((str(field.errors[0]) for field in self if field.errors), "")


def _text(label, limit: int = 300, required: bool = False) -> StringField:
    first = DataRequired(_l("The official name is required.")) if required else Optional()
    return StringField(label, validators=[first, Length(max=limit)])


class AddEntryForm(PostForm):
    """A dictionary entry added from the review page for a name nothing fits, and applied to that name."""

    entity = entity_field()
    raw_name = StringField(validators=[DataRequired(_l("There is no name to match.")), Length(max=MAX_NAME)])
    index = StringField(validators=[Optional(), Regexp(r"^(supplier|bank)-\d{1,4}$")], default="0")
    official_name = _text(_l("Official name"), required=True)
    display_name = _text(_l("Display name"))
    official_name_en = _text(_l("English name"))
    official_name_ar = _text(_l("Arabic name"))
    short_code = _text(_l("Short code"), 20)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.index.errors:
            self.index.errors, self.index.data = [], "0"
            valid = not any(field.errors for field in self)
        return valid

    def entry_data(self) -> dict:
        """The entry's fields for its dictionary (a supplier has no English, Arabic or short name)."""
        names = (
            ("official_name", "display_name")
            if self.entity.data == "supplier"
            else ("official_name", "official_name_en", "official_name_ar", "short_code")
        )
        return {name: self[name].data for name in names}

    def first_error(self) -> str:
        return next((str(field.errors[0]) for field in self if field.errors), "")
