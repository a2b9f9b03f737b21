"""Forms of the dictionary pages: an entry's fields, the list's search, and the two steps of a merge."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from guarantees.domain.ids import MAX_ID
from guarantees.domain.swift import parse_swift
from guarantees.forms.review import MAX_QUERY, id_field

MAX_PAGE = 10**6


def _text(label, limit: int = 300, required: bool = False) -> StringField:
    first = DataRequired() if required else Optional()
    return StringField(label, validators=[first, Length(max=limit)])


class SupplierForm(FlaskForm):
    """A supplier's names."""

    official_name = _text(_l("Official name"), required=True)
    display_name = _text(_l("Display name"))


class BankForm(FlaskForm):
    """A bank's names, short code, SWIFT/BIC, and the address block its letters carry."""

    official_name = _text(_l("Official name"), required=True)
    official_name_en = _text(_l("English name"))
    official_name_ar = _text(_l("Arabic name"))
    short_code = _text(_l("Short code"), 20)
    department = _text(_l("Department"))
    address_line_1 = _text(_l("Address line 1"))
    address_line_2 = _text(_l("Address line 2"))
    contact_email = _text(_l("E-mail"), 200)
    swift_bic = _text(_l("SWIFT/BIC"), 20)

    def validate_swift_bic(self, field: StringField) -> None:
        """The import's rule (domain.swift): 8 or 11 letters and digits, kept without spaces in upper case."""
        if not field.data or not field.data.strip():
            field.data = None
            return
        try:
            field.data = parse_swift(field.data)
        except ValueError:
            raise ValidationError(
                _l("“%(value)s” is not a SWIFT/BIC code (8 or 11 letters and digits).", value=field.data)
            ) from None


ENTRY_FORMS = {"supplier": SupplierForm, "bank": BankForm}


class QueryForm(FlaskForm):
    """A GET form (URL parameters): no CSRF token; a bad parameter is dropped, and the page says which."""

    class Meta:
        csrf = False

    def problems(self) -> list[str]:
        """One message per parameter that was dropped (validates the form)."""
        self.validate()
        return [f"{field.label.text}: {field.errors[0]}" for field in self if field.errors]

    def value(self, name: str, default=None):
        """A parameter's value, or `default` when it is absent or was dropped."""
        field = self[name]
        return default if field.errors or field.data in (None, "") else field.data


class DictionaryQueryForm(QueryForm):
    """A dictionary page's parameters: search text, merged entries shown, page; a name to prefill the add form."""

    q = StringField(_l("Search"), validators=[Optional(), Length(max=MAX_QUERY)])
    merged = BooleanField(_l("Show merged entries"), false_values=("", "0", "false"))
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=300)])


class MergeQueryForm(QueryForm):
    """The merge page's parameters: what was searched for the entry to keep, and the entry chosen."""

    q = StringField(_l("Search"), validators=[Optional(), Length(max=MAX_QUERY)])
    into = IntegerField(_l("Entry to keep"), validators=[Optional(), NumberRange(min=1, max=MAX_ID)])


class MergeForm(FlaskForm):
    """The confirmed merge: the entry to keep."""

    into_id = id_field(_l("Entry to keep"), _l("Choose the entry to keep."))
