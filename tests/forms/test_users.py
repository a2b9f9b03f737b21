"""Account forms: a new account, a role, enable or disable; labels from the domain."""

import pytest
from werkzeug.datastructures import MultiDict

from guarantees.forms.users import ActiveForm, RoleForm, UserForm


def form(cls, **values):
    return cls(MultiDict(values), meta={"csrf": False})


def test_a_new_account_needs_a_name_a_known_role_and_a_long_enough_password(request_context):
    assert form(UserForm, username="clerk", role="editor", password="long-enough-pw").validate()
    assert not form(UserForm, username="clerk", role="owner", password="long-enough-pw").validate()
    assert not form(UserForm, username="clerk", role="viewer", password="eleven-char").validate()
    assert not form(UserForm, username="x" * 81, role="viewer", password="long-enough-pw").validate()
    labels = [str(choice.label) for choice in UserForm(meta={"csrf": False}).role.choices]
    assert labels == ["Viewer", "Editor", "Admin"]


def test_a_role_is_one_of_the_roles(request_context):
    assert form(RoleForm, role="admin").validate()
    for bad in ({"role": "root"}, {}):
        assert not form(RoleForm, **bad).validate()


@pytest.mark.parametrize(("value", "valid", "enabled"), [("1", True, True), ("0", True, False), ("yes", False, False)])
def test_enable_or_disable(request_context, value, valid, enabled):
    active = form(ActiveForm, active=value)
    assert active.validate() is valid and active.enabled is enabled
    assert not form(ActiveForm).validate()
