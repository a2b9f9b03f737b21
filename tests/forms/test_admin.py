"""Dictionary forms: an entry's fields, the list's parameters, and the merge's entry to keep."""

import pytest
from werkzeug.datastructures import MultiDict

from guarantees.forms.admin import BankForm, DictionaryQueryForm, MergeForm, MergeQueryForm, SupplierForm


def test_entries_need_an_official_name_and_keep_their_limits(request_context):
    assert SupplierForm(MultiDict({"official_name": "Gulf Cables"}), meta={"csrf": False}).validate()
    assert not SupplierForm(MultiDict({"official_name": ""}), meta={"csrf": False}).validate()
    assert not BankForm(MultiDict({"official_name": "B", "short_code": "x" * 21}), meta={"csrf": False}).validate()


def test_list_parameters_are_typed_and_bad_ones_dropped_with_a_reason(request_context):
    good = DictionaryQueryForm(MultiDict({"q": " lana ", "merged": "1", "page": "3"}))
    assert good.problems() == [] and (good.value("q"), good.value("merged"), good.value("page")) == (" lana ", True, 3)
    bad = DictionaryQueryForm(MultiDict({"page": "99999999999999999999", "merged": "0"}))
    assert bad.problems() and bad.value("page", 1) == 1 and bad.value("merged", False) is False


@pytest.mark.parametrize(("into", "valid"), [("7", True), ("abc", False), ("0", False), (str(2**31), False)])
def test_the_entry_to_keep(request_context, into, valid):
    assert MergeForm(MultiDict({"into_id": into}), meta={"csrf": False}).validate() is valid
    query = MergeQueryForm(MultiDict({"into": into}))
    query.validate()
    assert (query.value("into") is not None) is valid
