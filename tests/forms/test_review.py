"""Review forms: a choice for a raw name, and the picker's search parameters."""

import pytest
from werkzeug.datastructures import MultiDict

from guarantees.forms.review import ApplyForm, SearchForm

GOOD = {"entity": "supplier", "raw_name": "Lana Med", "chosen_id": "12", "index": "supplier-3"}


def apply_form(**changes):
    return ApplyForm(MultiDict({**GOOD, **changes}), meta={"csrf": False})


def test_a_good_choice(request_context):
    form = apply_form()
    assert form.validate()
    assert (form.entity.data, form.chosen_id.data, form.index.data) == ("supplier", 12, "supplier-3")


@pytest.mark.parametrize("chosen_id", ["", "abc", "0", "-1", "1.5", str(2**31), "9" * 5000])
def test_an_id_no_row_can_have_is_refused_with_one_message(request_context, chosen_id):
    form = apply_form(chosen_id=chosen_id)
    assert not form.validate()
    assert form.first_error() == "Choose an entry from the candidates or the search."


def test_a_bad_index_is_dropped_but_the_choice_stands(request_context):
    form = apply_form(index='"><b>')
    assert form.validate() and form.index.data == "0"


@pytest.mark.parametrize("changes", [{"entity": "customer"}, {"raw_name": ""}, {"raw_name": "x" * 501}])
def test_other_bad_values_are_refused(request_context, changes):
    assert not apply_form(**changes).validate()


def test_search_parameters_fall_back_one_by_one(app):
    with app.test_request_context("/review/search?entity=bank&q=riyad&field=onclick&exclude=abc"):
        form = SearchForm(MultiDict([("entity", "bank"), ("q", "riyad"), ("field", "onclick"), ("exclude", "abc")]))
        form.validate()
        assert (form.entity.errors, form.query, form.target, form.excluded) == ([], "riyad", "chosen_id", None)
        unknown = SearchForm(MultiDict([("entity", "customer")]))
        assert not unknown.validate() and unknown.entity.errors
