"""Sign-in, sign-out, roles and the shared page behaviour."""

import pytest

from tests.web.conftest import csrf_from


def test_pages_need_a_session(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/health").status_code == 200


def test_sign_in_without_csrf_is_refused(client, make_user):
    make_user("clerk", "editor")
    response = client.post("/login", data={"username": "clerk", "password": "pw-clerk"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_wrong_password_shows_the_form_again(client, make_user):
    make_user("clerk", "editor")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "username": "clerk", "password": "nope"})
    assert response.status_code == 401 and "Wrong username or password" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_sign_in_goes_only_to_local_pages(client, make_user):
    make_user("clerk", "editor")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=https://evil.example/x", data={"csrf_token": token, "username": "clerk", "password": "pw-clerk"}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_repeated_failures_are_throttled(app, client, make_user):
    make_user("slow", "viewer")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    codes = [
        client.post("/login", data={"csrf_token": token, "username": "slow", "password": "bad"}).status_code
        for _ in range(6)
    ]
    assert codes == [401, 401, 401, 401, 401, 429]  # five failures, then a wait (tests/web/test_throttling.py)
    good = client.post("/login", data={"csrf_token": token, "username": "slow", "password": "pw-slow"})
    assert good.status_code == 429 and int(good.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins. Wait" in good.get_data(as_text=True)


def test_pages_carry_security_headers_and_vary(editor):
    response = editor.get("/")
    assert "HX-Request" in response.headers["Vary"]
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    html = response.get_data(as_text=True)
    assert 'integrity="sha384-' in html and "/static/vendor/htmx-2.0.4.min.js" in html


def test_sign_out_needs_post_with_token(editor):
    assert editor.post("/logout", csrf=False).status_code == 400
    assert editor.post("/logout").status_code == 303
    assert editor.get("/").status_code == 302


def test_sign_in_goes_back_to_the_page_asked_for(client, make_user):
    make_user("clerk", "editor")
    page = client.get("/login?next=/review").get_data(as_text=True)
    assert 'action="/login?next=/review"' in page
    token = csrf_from(page)
    response = client.post(
        "/login?next=/review", data={"csrf_token": token, "username": " clerk ", "password": "pw-clerk"}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/review"


def test_sign_in_refuses_other_sites_in_every_spelling(client, make_user):
    make_user("clerk", "editor")
    for target in ("//evil.example/x", "/\\evil.example", "javascript:alert(1)", "https:/evil.example"):
        page = client.get("/login", query_string={"next": target}).get_data(as_text=True)
        assert "evil" not in page and "javascript" not in page
        token = csrf_from(page)
        data = {"csrf_token": token, "username": "clerk", "password": "pw-clerk"}
        response = client.post("/login", query_string={"next": target}, data=data)
        assert response.status_code == 303 and response.headers["Location"] == "/"
        client.post("/logout", data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})


def test_an_incomplete_form_is_shown_again(client):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "username": "clerk"})
    assert response.status_code == 422 and 'name="username"' in response.get_data(as_text=True)


@pytest.mark.parametrize("forged", ["99999999999999999999", "2147483648", "-1", "abc", ""])
def test_a_session_naming_no_account_is_signed_out_not_a_crash(app, forged):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = forged
    response = client.get("/")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_the_tests_csrf_tokens_hold_no_letters_a_page_check_could_meet(editor):
    from tests.conftest import CSRF_SYMBOLS

    assert editor.token and set(editor.token) <= set(CSRF_SYMBOLS)
    assert editor.post("/logout", csrf=False).status_code == 400  # still checked: a missing token is refused
