"""Sessions: CSRF tokens bound to them, origin checks, log out everywhere, password changes."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app import migrate
from app.config import Settings
from app.main import create_app
from tests.helpers import PASSWORD, attr, soup, text_of, urls_of

NEW_PASSWORD = "velvet orbit pancake"
CROSS_ORIGIN = "Cross-origin request refused"


def signup(client: TestClient, username: str) -> None:
    """Sign up through the HTML form, which logs in with a session cookie."""
    token = attr(soup(client.get("/signup")), "input[name=csrf_token]", "value")
    response = client.post(
        "/signup",
        data={
            "csrf_token": token,
            "username": username,
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def page_token(client: TestClient) -> str:
    """Return the CSRF token the pages give this client."""
    return attr(soup(client.get("/settings")), 'meta[name="csrf-token"]', "content")


def bearer(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Log in through the API from a fresh cookie jar; return the Bearer header."""
    with TestClient(client.app) as other:
        response = other.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
def other_client(app: FastAPI) -> Iterator[TestClient]:
    """A second browser on the same app."""
    with TestClient(app) as test_client:
        yield test_client


def test_a_guest_token_does_not_work_with_a_session(client: TestClient) -> None:
    guest_token = attr(soup(client.get("/login")), "input[name=csrf_token]", "value")
    signup(client, "alice")
    response = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": guest_token})
    assert response.status_code == 403
    response = client.post("/logout", data={"csrf_token": guest_token})
    assert response.status_code == 403
    # Logging in gave a new token, in the pages and in the cookie.
    token = page_token(client)
    assert token != guest_token
    assert client.cookies["prepdeck_csrf"] == token
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": token}).status_code == 204


def test_another_users_token_does_not_work_with_a_session(
    client: TestClient, other_client: TestClient
) -> None:
    signup(client, "alice")
    signup(other_client, "bob")
    bobs_token = page_token(other_client)
    assert page_token(client) != bobs_token
    response = client.put(
        "/api/v1/me/settings",
        json={"desired_retention": 0.8},
        headers={"X-CSRF-Token": bobs_token},
    )
    assert response.status_code == 403
    response = client.post("/account/logout-all", data={"csrf_token": bobs_token})
    assert response.status_code == 403
    assert client.get("/api/v1/me/settings").status_code == 200  # still logged in


def test_the_api_login_returns_the_token_of_its_session(client: TestClient) -> None:
    client.post("/api/v1/auth/register", json={"username": "alice", "password": PASSWORD})
    login = client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    token = login.json()["csrf_token"]
    assert client.cookies["prepdeck_csrf"] == token
    assert page_token(client) == token
    response = client.post("/api/v1/reviews/undo", headers={"X-CSRF-Token": token})
    assert response.status_code == 409  # past CSRF: nothing to undo


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Origin", "https://evil.example"),
        ("Origin", "null"),
        ("Origin", "http://testserver:8080"),
        ("Referer", "https://evil.example/page"),
    ],
)
def test_writes_from_another_origin_are_refused(
    client: TestClient, header: str, value: str
) -> None:
    signup(client, "alice")
    token = page_token(client)
    headers = {"X-CSRF-Token": token, header: value}
    response = client.post("/api/v1/auth/logout", headers=headers)
    assert response.status_code == 403
    assert response.json() == {
        "detail": f"{CROSS_ORIGIN}: its {header} is {value!r}, not this site "
        "(http://testserver). Send it from this site's pages, or use a Bearer token."
    }
    response = client.post("/logout", data={"csrf_token": token}, headers={header: value})
    assert response.status_code == 403
    assert CROSS_ORIGIN in text_of(soup(response), "main")
    # From this site it works.
    headers = {"X-CSRF-Token": token, header: "http://testserver/settings"}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204


def test_logins_from_another_origin_are_refused(client: TestClient) -> None:
    client.post("/api/v1/auth/register", json={"username": "alice", "password": PASSWORD})
    credentials = {"username": "alice", "password": PASSWORD}
    evil = {"Origin": "https://evil.example"}
    response = client.post("/api/v1/auth/login", json=credentials, headers=evil)
    assert response.status_code == 403
    token = attr(soup(client.get("/login")), "input[name=csrf_token]", "value")
    response = client.post("/login", data={"csrf_token": token, **credentials}, headers=evil)
    assert response.status_code == 403
    assert "prepdeck_session" not in client.cookies


def test_bearer_requests_need_no_origin_check(client: TestClient) -> None:
    client.post("/api/v1/auth/register", json={"username": "alice", "password": PASSWORD})
    auth = bearer(client, "alice")
    headers = {**auth, "Origin": "https://tool.example"}
    assert client.post("/api/v1/reviews/undo", headers=headers).status_code == 409


def test_secure_cookies_have_host_prefixed_names(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "d", secure_cookies=True, warm_demos=False, _env_file=None
    )
    app = create_app(settings)
    migrate.upgrade(app.state.engine)
    with TestClient(app, base_url="https://testserver") as client:
        response = client.get("/signup")
        assert response.headers["set-cookie"].startswith("__Host-prepdeck_csrf=")
        assert "; Path=/" in response.headers["set-cookie"]
        assert "Secure" in response.headers["set-cookie"]
        client.post("/api/v1/auth/register", json={"username": "alice", "password": PASSWORD})
        login = client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
        cookies = [v for k, v in login.headers.multi_items() if k == "set-cookie"]
        assert any(cookie.startswith("__Host-prepdeck_session=") for cookie in cookies)
        assert any(cookie.startswith("__Host-prepdeck_csrf=") for cookie in cookies)
        headers = {"X-CSRF-Token": login.json()["csrf_token"]}
        assert client.post("/api/v1/reviews/undo", headers=headers).status_code == 409
        # A cookie without the prefix (as a sibling subdomain could plant) is not a session.
        session = client.cookies["__Host-prepdeck_session"]
        client.cookies.clear()
        client.cookies.set("prepdeck_session", session)
        assert client.get("/api/v1/me/settings").status_code == 401
    app.state.engine.dispose()


def test_api_logout_all_ends_every_session_and_token(
    client: TestClient, other_client: TestClient
) -> None:
    signup(client, "alice")
    first, second = bearer(client, "alice"), bearer(client, "alice")
    assert other_client.post("/api/v1/auth/logout-all", headers=first).status_code == 204
    for headers in (first, second):
        assert client.get("/api/v1/me/settings", headers=headers).status_code == 401
    assert client.get("/api/v1/me/settings").status_code == 401  # the browser session too


def test_logout_everywhere_from_the_account_page(client: TestClient) -> None:
    signup(client, "alice")
    api = bearer(client, "alice")
    page = soup(client.get("/account"))
    token = attr(page, 'form[action="/account/logout-all"] input[name=csrf_token]', "value")
    response = client.post(
        "/account/logout-all", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    assert client.get("/study", follow_redirects=False).headers["location"].startswith("/login")
    assert client.get("/api/v1/me/settings", headers=api).status_code == 401


def test_api_password_change_ends_every_other_login(
    client: TestClient, other_client: TestClient
) -> None:
    signup(other_client, "alice")
    mine, other = bearer(client, "alice"), bearer(client, "alice")
    change = {"current_password": "not it at all", "new_password": NEW_PASSWORD}
    response = client.post("/api/v1/me/password", json=change, headers=mine)
    assert response.status_code == 403
    assert response.json() == {"detail": "The current password is wrong."}
    change = {"current_password": PASSWORD, "new_password": "alice2024"}
    response = client.post("/api/v1/me/password", json=change, headers=mine)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "password"]
    assert "too easy to guess" in response.json()["detail"][0]["msg"]
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert client.post("/api/v1/me/password", json=change, headers=mine).status_code == 204
    assert client.get("/api/v1/me/settings", headers=mine).status_code == 200
    assert client.get("/api/v1/me/settings", headers=other).status_code == 401
    assert other_client.get("/api/v1/me/settings").status_code == 401
    old = {"username": "alice", "password": PASSWORD}
    assert client.post("/api/v1/auth/login", json=old).status_code == 401
    bearer(client, "alice", NEW_PASSWORD)


def test_password_change_from_the_account_page(client: TestClient) -> None:
    signup(client, "alice")
    api = bearer(client, "alice")
    token = page_token(client)
    form = {
        "csrf_token": token,
        "current_password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "new_password_again": NEW_PASSWORD + "x",
    }
    response = client.post("/account/password", data=form)
    assert response.status_code == 422
    assert text_of(soup(response), "#new_password_again-error") == (
        "The two new passwords differ: type the same one twice."
    )
    assert urls_of(soup(response), ".error-summary a") == ["#new_password_again"]
    response = client.post("/account/password", data=form | {"new_password_again": NEW_PASSWORD})
    assert response.status_code == 200
    assert str(response.url).endswith("/account?password_changed=true")
    assert text_of(soup(response), ".alert--info") == (
        "Password changed. Every other session and API token has ended."
    )
    assert client.get("/api/v1/me/settings").status_code == 200  # this session stays
    assert client.get("/api/v1/me/settings", headers=api).status_code == 401
    form["current_password"] = "not it at all"
    form["new_password"] = form["new_password_again"] = "another velvet orbit"
    response = client.post("/account/password", data=form)
    assert response.status_code == 403
    assert text_of(soup(response), "#current_password-error") == "The current password is wrong."
    assert attr(soup(response), "#current_password", "aria-invalid") == "true"
    form["current_password"] = NEW_PASSWORD
    form["new_password"] = form["new_password_again"] = "password"
    response = client.post("/account/password", data=form)
    assert response.status_code == 422
    assert "too easy to guess" in text_of(soup(response), "#new_password-error")


@pytest.mark.parametrize(
    ("password", "advice"),
    [
        ("password", "This is a top-10 common password."),
        ("12345678", "This is a top-10 common password."),
        ("        ", 'Repeats like "aaa" are easy to guess.'),
        ("adalovelacexy", "It contains the username."),
        ("qwertyuiop", "This is a top-100 common password."),
    ],
)
def test_guessable_passwords_are_refused(client: TestClient, password: str, advice: str) -> None:
    body = {"username": "adalovelace", "password": password}
    response = client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "password"]
    assert error["msg"].startswith("This password is too easy to guess: ")
    assert advice in error["msg"]


def test_the_signup_form_explains_a_guessable_password(client: TestClient) -> None:
    token = attr(soup(client.get("/signup")), "input[name=csrf_token]", "value")
    response = client.post(
        "/signup",
        data={
            "csrf_token": token,
            "username": "ada",
            "password": "password1",
            "password_again": "password1",
        },
    )
    assert response.status_code == 422
    assert "This password is too easy to guess" in response.text


def test_the_signup_form_answers_429_past_the_sign_up_limit(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "d", signups_per_hour=1, warm_demos=False, _env_file=None
    )
    app = create_app(settings)
    migrate.upgrade(app.state.engine)
    with TestClient(app) as client:
        signup(client, "alice")
        client.cookies.clear()
        token = attr(soup(client.get("/signup")), "input[name=csrf_token]", "value")
        response = client.post(
            "/signup",
            data={
                "csrf_token": token,
                "username": "bob",
                "password": PASSWORD,
                "password_again": PASSWORD,
            },
        )
        assert response.status_code == 429
        assert 3500 < int(response.headers["retry-after"]) <= 3600
        assert "Too many sign-ups from your address" in response.text
    app.state.engine.dispose()
