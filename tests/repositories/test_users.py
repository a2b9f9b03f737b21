"""Account reads: by id (ids no row can have find nothing), the list, and the name a sign-in gives."""

import pytest

from guarantees.repositories import users


def test_an_account_by_id_and_by_its_exact_name(app, make_user):
    clerk = make_user("Clerk", "editor")
    assert users.get(clerk.id).username == "Clerk"
    assert users.by_username(" Clerk ").id == clerk.id
    assert users.by_username("clerk") is None  # sign-in keeps the name as it was created


@pytest.mark.parametrize("user_id", [0, -5, 2**31, 10**30])
def test_ids_no_row_can_have_find_nothing(app, user_id):
    assert users.get(user_id) is None


def test_the_list_is_by_name_whatever_the_case(app, make_user):
    for name in ("zed", "Amy", "bob"):
        make_user(name, "viewer")
    assert [account.username for account in users.list_all()] == ["Amy", "bob", "zed"]
