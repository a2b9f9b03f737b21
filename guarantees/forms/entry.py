"""The manual entry form: one guarantee, each field checked by the domain's parser for that field."""

from wtforms import StringField

from guarantees.forms.guarantees import PostForm, parsed_as

FIELDS = (
    "guarantee_number", "raw_supplier_name", "raw_bank_name", "amount", "currency", "issue_date", "expiry_date",
    "contract_number", "po_number", "type", "comment",
)  # fmt: skip
ALIASES = {"supplier": "raw_supplier_name", "bank": "raw_bank_name"}  # shorter names a script may post
BLANK = {"currency": "SAR"}


def _field(name: str) -> StringField:
    return StringField(validators=[parsed_as(name)])


class EntryForm(PostForm):
    """A new guarantee as typed; what a new one requires (number, supplier, bank) the service says."""

    guarantee_number = StringField()  # required and normalised by the service, with the duplicate check
    raw_supplier_name = _field("raw_supplier_name")
    raw_bank_name = _field("raw_bank_name")
    supplier = _field("raw_supplier_name")
    bank = _field("raw_bank_name")
    amount = _field("amount")
    currency = _field("currency")
    issue_date = _field("issue_date")
    expiry_date = _field("expiry_date")
    contract_number = _field("contract_number")
    po_number = _field("po_number")
    type = _field("type")
    comment = _field("comment")

    def entry(self) -> dict:
        """The entry as typed, as the service takes it (its audit keeps the raw text); aliases folded in."""
        data = {name: self[name].data for name in FIELDS if self[name].raw_data}
        for alias, name in ALIASES.items():
            if not (data.get(name) or "").strip() and self[alias].data:
                data[name] = self[alias].data
        return data

    def errors_by_field(self) -> dict:
        """The first problem of each field, under the entry's field names (an alias's under its field's)."""
        return {
            ALIASES.get(field.name, field.name): str(field.errors[0])
            for field in self
            if field.errors and field.name != "csrf_token"
        }
