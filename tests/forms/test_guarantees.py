"""Forms of the guarantee list and of one guarantee: typed parameters, bad ones dropped with a reason."""

from datetime import date
from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict

from guarantees.forms.guarantees import (
    BulkActionForm,
    ExtendForm,
    FieldEditForm,
    GuaranteeListForm,
    GuaranteeViewForm,
    ReduceForm,
    ReleaseForm,
    list_params,
)
from guarantees.repositories.list_query import ListParams

NO_CSRF = {"csrf": False}


def test_the_list_parameters_are_typed(request_context):
    args = MultiDict(
        [
            ("q", " Lana\u200f  Medical "), ("status", "active"), ("match", "needs_review"), ("bank", "Riyad Bank"),
            ("batch", "12"), ("days", "0"), ("sort", "amount"), ("order", "desc"), ("page", "3"),
            ("ids", "5"), ("ids", "7"), ("ids", "5"),
        ]
    )  # fmt: skip
    params, problems = list_params(args)
    assert problems == []
    assert params == ListParams(
        q="Lana Medical", status="active", match="needs_review", bank="Riyad Bank", batch=12, days=0,
        sort="amount", order="desc", page=3, ids=(5, 7),
    )  # fmt: skip


def test_no_parameters_are_the_defaults(request_context):
    assert list_params(MultiDict()) == (ListParams(), [])


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ({"page": "abc"}, "Ignored page=abc: not a whole number."),
        ({"page": "0"}, "Ignored page=0: out of range."),
        ({"page": "99999999999999999999999"}, "Ignored page=99999999999999999999999: out of range."),
        ({"page": "1" * 5000}, "out of range."),
        ({"days": "-5"}, "Ignored days=-5: out of range."),
        ({"days": "3651"}, "Ignored days=3651: out of range."),
        ({"batch": str(2**31)}, "out of range."),
        ({"batch": "1e9"}, "not a whole number."),
        ({"status": "frozen"}, "Ignored an unknown status."),
        ({"match": "maybe"}, "Ignored an unknown match status."),
        ({"sort": "drop table"}, "Ignored an unknown sort column."),
        ({"ids": "x"}, "Ignored a selection that is not a guarantee."),
        ({"ids": str(2**40)}, "Ignored a selection that is not a guarantee."),
        ({"ids": "²"}, "Ignored a selection that is not a guarantee."),
    ],
)
def test_a_bad_parameter_is_dropped_and_said(request_context, args, problem):
    params, problems = list_params(MultiDict(args))
    assert params == ListParams() and len(problems) == 1 and problems[0].endswith(problem)


def test_a_long_value_is_cut_short_in_the_message(request_context):
    _params, problems = list_params(MultiDict({"page": "x" * 500}))
    assert len(problems[0]) < 100


def test_an_unknown_order_is_ascending_and_search_text_is_cut(request_context):
    params, problems = list_params(MultiDict({"order": "sideways", "q": "a" * 300, "bank": "\x00b" * 600}))
    assert problems == [] and params.order == "asc" and len(params.q) == 200 and params.bank == "b" * 500


def test_the_form_keeps_the_good_parameters_beside_a_bad_one(request_context):
    form = GuaranteeListForm(MultiDict({"q": "gulf", "page": "x", "status": "released"}))
    assert form.params() == ListParams(q="gulf", status="released") and len(form.problems()) == 1


def test_the_guarantee_page_views(request_context):
    assert GuaranteeViewForm(MultiDict()).view.data == "timeline"
    legacy = GuaranteeViewForm(MultiDict({"view": "legacy", "history": "all"}))
    assert (legacy.view.data, legacy.history.data, legacy.history_only) == ("legacy", "all", True)
    odd = GuaranteeViewForm(MultiDict({"view": "<script>", "history": "some"}))
    assert (odd.view.data, odd.history.data) == ("timeline", "")


def test_bulk_actions_need_extend_or_release(request_context):
    form = BulkActionForm(MultiDict([("action", "release"), ("ids", "3"), ("ids", "x")]), meta=NO_CSRF)
    assert form.validate() and form.ids.data == (3,)
    form = BulkActionForm(MultiDict({"action": "delete"}), meta=NO_CSRF)
    assert not form.validate() and form.first_error() == "Choose extend or release."


@pytest.mark.parametrize(
    ("back", "safe"),
    [("/guarantees?q=x&page=2", True), ("//evil.example/guarantees", False), ("https://evil.example", False)],
)
def test_bulk_actions_go_back_to_the_list_only(request_context, back, safe):
    form = BulkActionForm(MultiDict({"action": "release", "back": back}), meta=NO_CSRF)
    assert form.back_url() == (back if safe else "/guarantees")


def test_an_inline_edit_is_parsed_as_its_field(request_context):
    form = FieldEditForm(MultiDict({"value": "1,250.50", "version": "3"}), field="amount", meta=NO_CSRF)
    assert form.validate() and form.value.parsed == Decimal("1250.50") and form.version.data == 3
    form = FieldEditForm(MultiDict({"value": "lots", "version": "3"}), field="amount", meta=NO_CSRF)
    assert not form.validate() and "not a number" in form.first_error()
    form = FieldEditForm(MultiDict({"value": "2026-13-45", "version": "3"}), field="expiry_date", meta=NO_CSRF)
    assert not form.validate()
    assert FieldEditForm.editable("amount") and not FieldEditForm.editable("guarantee_number")


@pytest.mark.parametrize("version", [None, "", "abc", "1" * 40, "-1"])
def test_a_write_without_a_usable_version_is_refused(request_context, version):
    data = {"value": "x"} if version is None else {"value": "x", "version": version}
    form = FieldEditForm(MultiDict(data), field="comment", meta=NO_CSRF)
    assert not form.validate()
    assert form.first_error() == "The form is missing its version: reload the page and try again."


def test_action_forms_give_the_service_typed_arguments(request_context):
    extend = ExtendForm(MultiDict({"version": "2", "new_expiry": "2031-05-01", "notes": " ok "}), meta=NO_CSRF)
    assert extend.validate() and extend.arguments() == {
        "version": 2,
        "notes": "ok",
        "new_expiry": date(2031, 5, 1),
        "override_reason": None,
    }
    override = ExtendForm(MultiDict({"version": "2", "override_reason": " bank agreed "}), meta=NO_CSRF)
    assert override.validate() and override.arguments()["override_reason"] == "bank agreed"
    blank = ExtendForm(MultiDict({"version": "2", "new_expiry": ""}), meta=NO_CSRF)
    assert blank.validate() and blank.arguments()["new_expiry"] is None  # the service's default: a year on
    reduce = ReduceForm(MultiDict({"version": "2", "new_amount": "500"}), meta=NO_CSRF)
    assert reduce.validate() and reduce.arguments()["new_amount"] == Decimal("500.00")
    assert not ReduceForm(MultiDict({"version": "2", "new_amount": "half"}), meta=NO_CSRF).validate()
    assert not ReleaseForm(MultiDict({"version": "2", "notes": "n" * 600}), meta=NO_CSRF).validate()
    typed = ReduceForm(MultiDict({"version": "2", "new_amount": "half"}), meta=NO_CSRF).typed()
    assert typed == {"version": "2", "new_amount": "half", "notes": ""}
