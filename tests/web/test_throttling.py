"""Sign-in throttling in the database: shared by every worker, per name and per address, without letting an
attacker lock out the real user or an admin, and the same work and answers for known and unknown names."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from guarantees.extensions import db
from guarantees.models.session import SignInAttempt
from guarantees.services import auth
from tests.web.conftest import csrf_from

ATTACKER = "10.6.6.6"
OFFICE = "10.0.0.5"


def attempt(client, username: str, password: str, ip: str = "127.0.0.1"):
    """One sign-in from `ip` (a fresh CSRF token each time, as a browser reloading the form)."""
    client.environ_base["REMOTE_ADDR"] = ip
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "username": username, "password": password})


def sign_out(client) -> None:
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})


def codes(client, username: str, password: str, times: int, ip: str = "127.0.0.1") -> list[int]:
    return [attempt(client, username, password, ip).status_code for _ in range(times)]


def test_the_counts_are_shared_by_two_workers_on_one_database(app, make_app, database, make_user):
    make_user("clerk", "editor")
    other_worker = make_app(database)
    first, second = app.test_client(), other_worker.test_client()
    assert codes(first, "clerk", "wrong", 3) == [401, 401, 401]
    assert codes(second, "clerk", "wrong", 2) == [401, 401]
    assert attempt(first, "clerk", "pw-clerk").status_code == 429
    assert attempt(second, "clerk", "pw-clerk").status_code == 429


def test_the_real_user_is_not_locked_out_by_guesses_from_another_address(app, make_user):
    make_user("clerk", "editor")
    make_user("chief", "admin")
    user, attacker = app.test_client(), app.test_client()
    assert attempt(user, "clerk", "pw-clerk", OFFICE).status_code == 303  # the address clerk signs in from
    sign_out(user)
    assert codes(attacker, "clerk", "guess", 8, ATTACKER) == [401] * 5 + [429] * 3
    assert attempt(attacker, "clerk", "pw-clerk", ATTACKER).status_code == 429  # even the right one, from there
    assert attempt(user, "clerk", "pw-clerk", OFFICE).status_code == 303
    # An admin behind the attacker's address (a proxy everyone shares) signs in too.
    assert attempt(app.test_client(), "chief", "pw-chief", ATTACKER).status_code == 303


def test_a_familiar_address_counts_its_own_failures(app, make_user):
    make_user("clerk", "editor")
    client = app.test_client()
    assert attempt(client, "clerk", "pw-clerk", OFFICE).status_code == 303
    sign_out(client)
    assert codes(client, "clerk", "typo", 6, OFFICE) == [401] * 5 + [429]


def test_a_new_address_waits_while_the_account_is_being_guessed(app, make_user):
    make_user("clerk", "editor")
    attacker = app.test_client()
    assert codes(attacker, "clerk", "guess", 5, ATTACKER) == [401] * 5
    assert attempt(app.test_client(), "clerk", "pw-clerk", "10.7.7.7").status_code == 429


def test_the_wait_doubles_and_ends(app, make_user):
    make_user("clerk", "editor")
    client = app.test_client()
    codes(client, "clerk", "guess", 5)
    refused = attempt(client, "clerk", "guess")
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 32
    _move_attempts_back(timedelta(seconds=33))
    assert attempt(client, "clerk", "guess").status_code == 401  # the sixth failure: the next wait is 64 s
    again = attempt(client, "clerk", "guess")
    assert again.status_code == 429 and 32 < int(again.headers["Retry-After"]) <= 64
    _move_attempts_back(timedelta(minutes=16))  # out of the window
    assert attempt(client, "clerk", "pw-clerk").status_code == 303


def _move_attempts_back(delta: timedelta) -> None:
    for row in db.session.scalars(sa.select(SignInAttempt)):
        row.at -= delta
    db.session.commit()


def test_the_wait_grows_to_fifteen_minutes_at_most():
    from datetime import datetime

    now = datetime(2026, 1, 1, 12)
    waits = [auth.wait_after(n, now, 5, now) for n in range(4, 16)]
    assert waits[:3] == [0, 32, 64] and max(waits) == 900 and waits == sorted(waits)


def test_guessing_unknown_names_from_one_address_is_throttled_without_locking_anyone_out(app, make_user):
    make_user("clerk", "editor")
    guesser = app.test_client()
    answers = [attempt(guesser, f"nobody{n}", "guess", ATTACKER).status_code for n in range(12)]
    assert answers == [401] * 10 + [429] * 2
    # From that address a failed sign-in of a real account gets the same answer (which names exist stays hidden)...
    assert attempt(guesser, "clerk", "guess", ATTACKER).status_code == 429
    # ...but the right password still signs in, and other addresses are not concerned.
    assert attempt(app.test_client(), "clerk", "pw-clerk", ATTACKER).status_code == 303
    assert attempt(app.test_client(), "nobody99", "guess", OFFICE).status_code == 401


def test_known_and_unknown_names_get_the_same_answers(app, make_user):
    make_user("clerk", "editor")
    known = [attempt(app.test_client(), "clerk", "guess", "10.1.1.1") for _ in range(6)]
    unknown = [attempt(app.test_client(), "nobody", "guess", "10.2.2.2") for _ in range(6)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [401] * 5 + [429]
    for one, other in zip(known, unknown, strict=True):
        assert _message(one) == _message(other)
    assert "exist" not in _message(known[-1]).lower()


def _message(response) -> str:
    html = response.get_data(as_text=True)
    start = html.index('role="alert">') + len('role="alert">')
    return html[start : html.index("</p>", start)]


@pytest.fixture
def password_checks(monkeypatch):
    """The hashes every sign-in checks a password against, in order."""
    checked = []
    real = auth.check_password_hash

    def counting(stored, password):
        checked.append(stored)
        return real(stored, password)

    monkeypatch.setattr(auth, "check_password_hash", counting)
    return checked


def test_an_unknown_name_costs_one_password_check_like_a_known_one(app, make_user, password_checks):
    clerk = make_user("clerk", "editor")
    client = app.test_client()
    assert attempt(client, "clerk", "guess").status_code == 401
    assert password_checks == [clerk.password_hash]
    assert attempt(client, "nobody", "guess").status_code == 401
    assert len(password_checks) == 2
    dummy = password_checks[1]
    assert dummy != clerk.password_hash
    assert dummy.split("$")[0] == clerk.password_hash.split("$")[0] == app.config["PASSWORD_HASH_METHOD"]


def test_a_refused_attempt_checks_no_password(app, make_user, password_checks):
    make_user("clerk", "editor")
    client = app.test_client()
    codes(client, "clerk", "guess", 5)
    password_checks.clear()
    assert attempt(client, "clerk", "pw-clerk").status_code == 429
    assert password_checks == []


def test_a_disabled_account_is_a_wrong_password_to_the_user(app, make_user):
    clerk = make_user("clerk", "editor")
    clerk.active = False
    db.session.commit()
    response = attempt(app.test_client(), "clerk", "pw-clerk")
    assert response.status_code == 401 and "Wrong username or password." in response.get_data(as_text=True)
