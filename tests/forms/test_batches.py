"""Forms of the batch pages: the list's parameters, a batch's page, the actions started from it."""

import pytest
from werkzeug.datastructures import MultiDict

from guarantees.forms.batches import BatchActionsForm, BatchListForm, BatchRowsForm


def test_the_list_parameters(request_context):
    form = BatchListForm(MultiDict({"type": "manual_batch", "page": "4"}))
    assert form.problems() == [] and (form.value("type"), form.value("page")) == ("manual_batch", 4)
    bad = BatchListForm(MultiDict({"type": "nonsense", "page": "-3"}))
    assert len(bad.problems()) == 2 and (bad.value("type"), bad.value("page", 1)) == (None, 1)
    assert BatchRowsForm(MultiDict({"page": "abc"})).problems() == ["Ignored page=abc: not a whole number."]


@pytest.mark.parametrize(
    ("do", "action_type"),
    [("extend_all", "extension"), ("extend_selected", "extension"), ("release_selected", "release")],
)
def test_the_choices(request_context, do, action_type):
    data = MultiDict([("do", do), ("guarantee_id", "4"), ("guarantee_id", "x")])
    form = BatchActionsForm(data, meta={"csrf": False})
    assert form.validate() and form.action_type == action_type and form.selected == [4]


def test_no_choice_is_refused(request_context):
    form = BatchActionsForm(MultiDict({"do": "delete_all"}), meta={"csrf": False})
    assert not form.validate() and form.first_error() == "Choose what to do with the guarantees."
