"""Forms of the guarantee list and of one guarantee: the list's URL parameters, bulk actions, inline edits,
and extend / release / reduce. Values are checked by the domain's own parsers (services/fields.py)."""

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, IntegerField, StringField
from wtforms.validators import AnyOf, InputRequired, Optional, StopValidation, ValidationError

from guarantees.domain import expiry
from guarantees.domain.fields import EDITABLE_FIELDS, MATCH_STATUSES
from guarantees.domain.ids import MAX_ID
from guarantees.repositories.list_query import AWAITING_BANK, DEFAULT_SORT, ORDERS, SORTS, TODO_EXTEND, ListParams
from guarantees.services import fields
from guarantees.services.errors import ValidationFailed
from guarantees.services.fields import parse_field

MAX_PAGE = 10**6
MAX_DAYS = 3650
MAX_DIGITS = 12  # longer "numbers" are refused before int() reads them


class QueryForm(FlaskForm):
    """A GET form (a list's URL parameters): no CSRF token; a bad value is dropped and said why."""

    class Meta:
        csrf = False

    def __init__(self, formdata, **kwargs):
        super().__init__(formdata, **kwargs)
        self.validate()  # at once: `value` and `problems` read the outcome

    def problems(self) -> list[str]:
        """One message per parameter that was dropped, in the form's order."""
        return [str(field.errors[0]) for field in self if field.errors]

    def value(self, name: str, default=None):
        """A field's value, or `default` when it is blank or was dropped."""
        field = self[name]
        if field.errors or field.data in (None, ""):
            return default
        return field.data


def _without_nul(value):
    """A field's text (or texts) without NUL characters: nothing a person types, and no database column holds one
    (PostgreSQL refuses it; SQLite keeps it, and its length() stops there)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


class PostForm(FlaskForm):
    """A POST form: CSRF checked (htmx sends X-CSRFToken); `first_error` is what the page says. No text field
    passes a NUL character on to the services."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = [_without_nul, *unbound_field.kwargs.get("filters", ())]
            return unbound_field.bind(form=form, filters=filters, **options)

    def first_error(self) -> str:
        """The first problem of the form (the domain's messages name their field)."""
        for field in self:
            if field.errors:
                return str(field.errors[0])
        return ""

    def typed(self) -> dict:
        """What the user typed, as text, for the form shown again with its errors."""
        return {
            field.name: (field.raw_data[0] if field.raw_data else "")
            for field in self
            if field.name not in ("csrf_token", "confirm")  # the confirmation's fingerprint is nothing typed
        }

    def check(self) -> None:
        """ValidationFailed with the first problem when the form is not valid (nothing is written then)."""
        if not self.validate():
            raise ValidationFailed(self.first_error(), field=next((f.name for f in self if f.errors), None))


class WholeNumberField(IntegerField):
    """A whole number from `low` to `high`; anything else an error naming the parameter and its value."""

    def __init__(self, label=None, validators=None, *, low: int = 1, high: int = MAX_ID, **kwargs):
        super().__init__(label, validators or [Optional()], **kwargs)
        self.low, self.high = low, high

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "").strip()
        if not raw:
            return
        shown = raw if len(raw) <= 40 else raw[:37] + "..."
        try:
            value = int(raw) if len(raw) <= MAX_DIGITS else None
        except ValueError:
            raise ValueError(
                _("Ignored %(name)s=%(value)s: not a whole number.", name=self.name, value=shown)
            ) from None
        if value is None or not self.low <= value <= self.high:
            raise ValueError(_("Ignored %(name)s=%(value)s: out of range.", name=self.name, value=shown))
        self.data = value

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class IdsField(Field):
    """Several ids (checkboxes of one name): those that are ids are kept, the others named in an error."""

    def process_formdata(self, valuelist):
        ids, bad = [], False
        for raw in valuelist:
            text = raw.strip()
            if text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS and 0 < int(text) <= MAX_ID:
                ids.append(int(text))
            else:
                bad = True
        self.data = tuple(dict.fromkeys(ids))
        if bad:
            raise ValueError(_("Ignored a selection that is not a guarantee."))

    def _value(self):
        return ""


def search_text(limit: int):
    """A filter: the parameter as search text (see services.fields.search_text)."""
    return lambda raw: fields.search_text(raw, limit)


def parsed_as(field_name: str):
    """A validator: the value must parse as the guarantee field `field_name` does (the domain's parser)."""

    def check(form, field):
        try:
            field.parsed = parse_field(field_name, field.data)
        except ValidationFailed as error:
            raise ValidationError(error.message) from None

    return check


def _stripped(raw: str | None) -> str:
    return (raw or "").strip()


def choice(choices, message):
    """Validators of an optional parameter that must be one of `choices`."""
    return [Optional(), AnyOf(tuple(choices), message=message)]


class GuaranteeListForm(QueryForm):
    """The list's URL: search, filters, sort, page and a selection (export); bad values dropped with a message."""

    q = StringField(filters=[search_text(200)])
    status = StringField(filters=[_stripped], validators=choice(expiry.STATES, _l("Ignored an unknown status.")))
    match = StringField(filters=[_stripped], validators=choice(MATCH_STATUSES, _l("Ignored an unknown match status.")))
    bank = StringField(filters=[search_text(500)])
    supplier = StringField(filters=[search_text(200)])
    type = StringField(filters=[search_text(50)])
    batch = WholeNumberField()
    days = WholeNumberField(low=0, high=MAX_DAYS)
    todo = StringField(filters=[_stripped], validators=choice((TODO_EXTEND,), _l("Ignored an unknown worklist.")))
    awaiting = StringField(filters=[_stripped], validators=choice((AWAITING_BANK,), _l("Ignored an unknown worklist.")))
    sort = StringField(validators=choice(SORTS, _l("Ignored an unknown sort column.")))
    order = StringField(filters=[lambda raw: raw if raw in ORDERS else "asc"])
    page = WholeNumberField(high=MAX_PAGE)
    ids = IdsField()

    def params(self) -> ListParams:
        """The typed parameters the search takes (dropped values at their defaults)."""
        return ListParams(
            q=self.value("q", ""),
            status=self.value("status", ""),
            match=self.value("match", ""),
            bank=self.value("bank", ""),
            supplier=self.value("supplier", ""),
            type=self.value("type", ""),
            batch=self.value("batch"),
            days=self.value("days"),
            todo=self.value("todo", ""),
            awaiting=self.value("awaiting", ""),
            sort=self.value("sort", DEFAULT_SORT),
            order=self.value("order", "asc"),
            page=self.value("page", 1),
            ids=self.ids.data or (),
        )


def list_params(args) -> tuple[ListParams, list[str]]:
    """The list's parameters from URL arguments (a MultiDict), and the problems of those dropped."""
    form = GuaranteeListForm(args)
    return form.params(), form.problems()


class GuaranteeViewForm(QueryForm):
    """One guarantee's page: the timeline (newest entries, or ?history=all) or the raw legacy rows (?view=legacy)."""

    view = StringField(filters=[lambda raw: raw if raw == "legacy" else "timeline"])
    history = StringField(filters=[lambda raw: raw if raw == "all" else ""])

    @property
    def history_only(self) -> bool:
        """The timeline was asked for by name (its tabs): htmx gets only that block."""
        return bool(self.view.raw_data)


class BulkActionForm(PostForm):
    """Extend or release the guarantees selected on the list."""

    action = StringField(
        validators=[
            InputRequired(_l("Choose extend or release.")),
            AnyOf(("extension", "release"), message=_l("Choose extend or release.")),
        ]
    )
    ids = IdsField()
    back = StringField()

    def validate_ids(self, field):
        field.errors[:] = []  # a selection that is not an id is left out; none at all is the service's refusal

    def back_url(self) -> str:
        """Where to go afterwards: the list as it was (only ever a URL of the list itself)."""
        home = url_for("guarantees.index")
        back = self.back.data or ""
        return back if back.startswith(home) and not back.startswith("//") else home


class VersionField(WholeNumberField):
    """The version a page showed: a form without a usable one is refused (it cannot be checked)."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("The form is missing its version: reload the page and try again.")) from None


class VersionedForm(PostForm):
    """A write on one guarantee, checked against the version the page showed (optimistic concurrency)."""

    version = VersionField(
        validators=[InputRequired(_l("The form is missing its version: reload the page and try again."))], low=0
    )


class FieldEditForm(VersionedForm):
    """The inline edit of one field: its new value, parsed as that field is."""

    value = StringField()

    def __init__(self, formdata, *, field: str, **kwargs):
        super().__init__(formdata, **kwargs)
        self.field = field

    @staticmethod
    def editable(field: str) -> bool:
        """Whether `field` is one an inline edit may change at all."""
        return field in EDITABLE_FIELDS

    def validate_value(self, value):
        parsed_as(self.field)(self, value)


def _notes(form, field):
    try:
        field.parsed = fields.parse_notes(field.data)
    except ValidationFailed as error:
        raise ValidationError(error.message) from None


def confirmation_field() -> StringField:
    """The fingerprint of what a confirmation showed (blank: not confirmed yet, so the confirmation is shown)."""
    return StringField(filters=[lambda raw: (raw or "").strip()[:64]])


class ReleaseForm(VersionedForm):
    """Issue the release now, with optional notes; `confirm` carries the confirmation it was shown."""

    notes = StringField(validators=[_notes])
    confirm = confirmation_field()

    def arguments(self) -> dict:
        """The service's keyword arguments."""
        return {"version": self.version.data, "notes": self.notes.parsed}


class ExtendForm(ReleaseForm):
    """Issue an extension now; a blank new expiry means the service's default (a year on). An admin extends an
    expired guarantee only with a written reason (the service checks who may and when it is needed)."""

    new_expiry = StringField(validators=[parsed_as("expiry_date")])
    override_reason = StringField(validators=[_notes])

    def arguments(self) -> dict:
        return {
            **super().arguments(),
            "new_expiry": self.new_expiry.parsed,
            "override_reason": self.override_reason.parsed,
        }


class ReduceForm(ReleaseForm):
    """Issue a reduction now, to the amount given (the service says when it is blank or not lower)."""

    new_amount = StringField(validators=[parsed_as("amount")])

    def arguments(self) -> dict:
        return {**super().arguments(), "new_amount": self.new_amount.parsed}


ACTION_FORMS = {"extension": ExtendForm, "release": ReleaseForm, "reduction": ReduceForm}
