"""Forms of the action sessions: the list's parameters and a draft's new date."""

from datetime import date

from werkzeug.datastructures import MultiDict

from guarantees.forms.actions import DraftDateForm, SessionListForm


def test_the_list_parameters(request_context):
    form = SessionListForm(MultiDict({"status": "issued", "page": "2"}))
    assert form.problems() == [] and (form.value("status"), form.value("page", 1)) == ("issued", 2)
    bad = SessionListForm(MultiDict({"status": "burnt", "page": "9" * 30}))
    assert len(bad.problems()) == 2 and (bad.value("status"), bad.value("page", 1)) == (None, 1)


def test_a_draft_date(request_context):
    form = DraftDateForm(MultiDict({"new_expiry": " 2030-01-31 "}), meta={"csrf": False})
    assert form.validate() and form.new_expiry.parsed == date(2030, 1, 31)
    assert not DraftDateForm(MultiDict({"new_expiry": "31/31/2030"}), meta={"csrf": False}).validate()
