"""Staff accounts: one set of rules for the admin pages and `flask users create` (names unique in any case)."""

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models import User
from guarantees.services import users
from guarantees.services.errors import Conflict, NotFound, RuleViolation, ValidationFailed


def count_users() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_an_account_is_created_with_a_hashed_password_and_a_role(app, make_user):
    make_user("chief", "admin")
    made = users.create(" clerk2 ", "editor", "long-enough-pw", user="chief")
    stored = db.session.get(User, made.id)
    assert (stored.username, stored.role, stored.active) == ("clerk2", "editor", True)
    assert stored.password_hash != "long-enough-pw" and stored.check_password("long-enough-pw")


@pytest.mark.parametrize(
    ("username", "role", "password", "field"),
    [
        ("CLERK", "viewer", "long-enough-pw", "username"),  # the same name in another case
        ("  ", "viewer", "long-enough-pw", "username"),
        ("x" * 81, "viewer", "long-enough-pw", "username"),
        ("someone", "viewer", "short", "password"),
        ("someone", "viewer", "p" * 201, "password"),
        ("someone", "owner", "long-enough-pw", "role"),
    ],
)
def test_bad_accounts_are_refused_before_anything_is_written(app, make_user, username, role, password, field):
    make_user("clerk", "editor")
    with pytest.raises(ValidationFailed) as refused:
        users.create(username, role, password, user="chief")
    assert refused.value.field == field
    assert count_users() == 1


def test_a_duplicate_says_which_account_has_the_name(app, make_user):
    make_user("Clerk", "editor")
    with pytest.raises(ValidationFailed, match=r"clerk exists already \(as Clerk\)"):
        users.create("clerk", "viewer", "long-enough-pw", user="chief")


def test_roles_change_and_accounts_are_disabled_but_one_active_admin_stays(app, make_user):
    chief = make_user("chief", "admin")
    clerk = make_user("clerk", "editor")
    assert users.change_role(clerk.id, "viewer", user="chief").role == "viewer"
    assert users.set_active(clerk.id, False, user="chief").active is False
    with pytest.raises(RuleViolation, match="at least one active admin"):
        users.change_role(chief.id, "editor", user="chief")
    with pytest.raises(RuleViolation, match="own account"):
        users.set_active(chief.id, False, user="chief")
    with pytest.raises(RuleViolation, match="at least one active admin"):
        users.set_active(chief.id, False, user="somebody else")
    users.change_role(clerk.id, "admin", user="chief")
    with pytest.raises(RuleViolation, match="at least one active admin"):
        users.change_role(chief.id, "editor", user="clerk")  # the other admin is disabled
    users.set_active(clerk.id, True, user="chief")
    assert users.change_role(chief.id, "editor", user="clerk").role == "editor"


@pytest.mark.parametrize("user_id", [0, 9999, 2**31, 10**20])
def test_unknown_accounts_are_not_found(app, user_id):
    with pytest.raises(NotFound):
        users.change_role(user_id, "viewer", user="chief")
    with pytest.raises(NotFound):
        users.set_active(user_id, True, user="chief")
    with pytest.raises(ValidationFailed):
        users.change_role(user_id, "owner", user="chief")  # the role is checked before anything is read


def test_accounts_are_listed_by_name_whatever_the_case(app, make_user):
    for name in ("bob", "Alice", "carol"):
        make_user(name, "viewer")
    assert [account.username for account in users.accounts()] == ["Alice", "bob", "carol"]


# Through `flask users ...`: the command calls the same service.


def test_the_command_creates_an_account(runner):
    args = ["users", "create", "chief", "--role", "admin", "--password-stdin"]
    result = runner.invoke(args=args, input="pw-chief-2026\n")
    assert result.exit_code == 0, result.output
    assert "Created admin chief." in result.output
    stored = db.session.scalar(sa.select(User).where(User.username == "chief"))
    assert stored.role == "admin" and stored.check_password("pw-chief-2026")


def test_the_command_refuses_a_name_that_exists_in_another_case(runner, make_user):
    make_user("Clerk", "editor")
    result = runner.invoke(args=["users", "create", "CLERK", "--password-stdin"], input="long-enough-pw\n")
    assert result.exit_code != 0
    assert "CLERK exists already (as Clerk)" in result.output
    assert count_users() == 1


def test_the_command_refuses_a_short_password(runner):
    result = runner.invoke(args=["users", "create", "clerk", "--password-stdin"], input="short\n")
    assert result.exit_code != 0 and "A password has 12 to 200 characters." in result.output
    assert count_users() == 0


def test_the_command_lists_accounts(runner, make_user):
    make_user("clerk", "editor")
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0 and "clerk\teditor\tactive" in result.output


def test_the_database_refuses_a_name_in_another_case_even_past_the_service(app, make_user):
    make_user("Clerk", "editor")
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:  # plain SQL, past the service
        connection.execute(
            sa.text("INSERT INTO users (username, password_hash, role, active, created_at) "
                    "VALUES ('cLERK', 'x', 'viewer', true, CURRENT_TIMESTAMP)")
        )  # fmt: skip
    assert count_users() == 1


def test_a_race_past_the_check_is_a_conflict_not_a_crash(app, make_user, monkeypatch):
    make_user("chief", "admin")
    make_user("Clerk", "editor")
    monkeypatch.setattr(users, "_taken", lambda *_args: None)  # the check sees nothing, as in a race
    with pytest.raises(Conflict):
        users.create("clerk", "viewer", "long-enough-pw", user="chief")
    assert count_users() == 2


def test_passwords_are_hashed_with_scrypt_wherever_the_tests_do_not_ask_otherwise(app, monkeypatch):
    from guarantees.config import Config

    monkeypatch.setenv("PASSWORD_HASH_METHOD", "plain")  # the environment cannot weaken it
    assert not hasattr(Config(), "PASSWORD_HASH_METHOD")
    monkeypatch.delitem(app.config, "PASSWORD_HASH_METHOD")
    account = User(username="someone")
    account.set_password("long-enough-pw")
    assert account.password_hash.startswith("scrypt:") and account.check_password("long-enough-pw")


@pytest.mark.parametrize(
    ("password", "says"),
    [("Password2024!", "most common"), ("qwertyuiop!!", "most common"), ("Treasury-Clerk1", "cannot be the username")],
)
def test_common_passwords_and_the_username_are_refused(app, password, says):
    with pytest.raises(ValidationFailed, match=says) as refused:
        users.create("treasury-clerk", "viewer", password, user="chief")
    assert refused.value.field == "password" and count_users() == 0


def test_the_command_refuses_a_common_password(runner):
    result = runner.invoke(args=["users", "create", "clerk", "--password-stdin"], input="password1234\n")
    assert result.exit_code != 0 and "most common" in result.output
    assert count_users() == 0


def test_the_command_resets_a_password_to_a_temporary_one(runner, make_user):
    make_user("clerk", "editor")
    result = runner.invoke(args=["users", "reset-password", "clerk"])
    assert result.exit_code == 0, result.output
    temporary = result.output.split("Temporary password of clerk: ")[1].split()[0]
    stored = db.session.scalar(sa.select(User).where(User.username == "clerk"))
    db.session.refresh(stored)
    assert stored.check_password(temporary) and stored.must_change_password
    typed = runner.invoke(args=["users", "reset-password", "clerk", "--password-stdin"], input="short\n")
    assert typed.exit_code != 0 and "12 to 200" in typed.output
    unknown = runner.invoke(args=["users", "reset-password", "nobody"])
    assert unknown.exit_code != 0 and "No such user." in unknown.output


def test_the_command_ends_an_accounts_sessions(runner, make_user):
    make_user("clerk", "editor")
    result = runner.invoke(args=["users", "end-sessions", "clerk"])
    assert result.exit_code == 0 and "Ended 0 open session(s) of clerk." in result.output
