"""The manual entry form: each field checked by the domain's parser, aliases folded in, errors by field."""

from werkzeug.datastructures import MultiDict

from guarantees.forms.entry import EntryForm

NO_CSRF = {"csrf": False}


def test_the_entry_is_kept_as_typed_for_the_service(request_context):
    form = EntryForm(
        MultiDict({"guarantee_number": "bg 1", "supplier": "Gulf", "bank": "Riyad", "amount": "1,000"}), meta=NO_CSRF
    )
    assert form.validate()
    assert form.entry() == {
        "guarantee_number": "bg 1", "raw_supplier_name": "Gulf", "raw_bank_name": "Riyad", "amount": "1,000",
    }  # fmt: skip


def test_the_field_names_win_over_the_aliases(request_context):
    form = EntryForm(MultiDict({"raw_supplier_name": "A", "supplier": "B"}), meta=NO_CSRF)
    assert form.entry()["raw_supplier_name"] == "A"


def test_every_bad_field_is_named(request_context):
    form = EntryForm(
        MultiDict({"amount": "lots", "expiry_date": "someday", "currency": "riyal", "bank": "x" * 600}), meta=NO_CSRF
    )
    assert not form.validate()
    errors = form.errors_by_field()
    assert set(errors) == {"amount", "expiry_date", "currency", "raw_bank_name"}
    assert errors["currency"] == "Currency: use a three-letter code such as SAR or USD."
