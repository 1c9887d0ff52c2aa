"""Accounts: sign-up, login, sessions and tokens, CSRF, throttling, who sees what."""

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app import migrate
from app.accounts.service import (
    THROTTLE_WINDOW,
    InvalidCredentials,
    Throttled,
    authenticate,
    create_user,
)
from app.config import Settings
from app.main import create_app
from app.models import utcnow
from tests.helpers import PASSWORD, attr, soup, text_of


def signup(client: TestClient, username: str = "ada", password: str = PASSWORD) -> None:
    """Sign up through the HTML form (which logs in)."""
    page = soup(client.get("/signup"))
    response = client.post(
        "/signup",
        data={
            "csrf_token": attr(page, "input[name=csrf_token]", "value"),
            "username": username,
            "password": password,
            "password_again": password,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/study"


def api_login(
    client: TestClient, username: str = "ada", password: str = PASSWORD
) -> dict[str, str]:
    """Log in through the API and return the Bearer header."""
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_passwords_are_hashed_with_argon2(db: Session) -> None:
    user = create_user(session=db, username="Ada", password=PASSWORD)
    assert user.username == "ada"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_first_user_is_admin(db: Session) -> None:
    assert create_user(session=db, username="ada", password=PASSWORD).is_admin
    assert not create_user(session=db, username="bob", password=PASSWORD).is_admin


def test_throttling_after_repeated_failures(db: Session) -> None:
    create_user(session=db, username="ada", password=PASSWORD)
    now = utcnow()
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            authenticate(session=db, username="ada", password="wrong", client="1.2.3.4", now=now)
    with pytest.raises(Throttled) as caught:
        authenticate(session=db, username="ada", password=PASSWORD, client="1.2.3.4", now=now)
    assert 0 < caught.value.retry_after <= THROTTLE_WINDOW.total_seconds() + 1
    later = now + THROTTLE_WINDOW + timedelta(seconds=1)
    user = authenticate(session=db, username="ada", password=PASSWORD, client="1.2.3.4", now=later)
    assert user.username == "ada"


def test_signup_logs_in_and_sets_a_safe_cookie(client: TestClient) -> None:
    page = soup(client.get("/signup"))
    response = client.post(
        "/signup",
        data={
            "csrf_token": attr(page, "input[name=csrf_token]", "value"),
            "username": "ada",
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
        follow_redirects=False,
    )
    cookie = next(
        value for key, value in response.headers.multi_items()
        if key == "set-cookie" and value.startswith("prepdeck_session=")
    )  # fmt: skip
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie
    page = soup(client.get("/study"))
    assert text_of(page, ".site-nav .nav-button") == "Log out"


def test_cookies_are_secure_when_configured(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "d", secure_cookies=True, warm_demos=False, _env_file=None
    )
    app = create_app(settings)
    migrate.upgrade(app.state.engine)
    with TestClient(app, base_url="https://testserver") as client:
        response = client.get("/signup")
        assert "Secure" in response.headers["set-cookie"]
        client.post("/api/v1/auth/register", json={"username": "ada", "password": PASSWORD})
        response = client.post("/api/v1/auth/login", json={"username": "ada", "password": PASSWORD})
        assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize(
    ("username", "password", "again", "message"),
    [
        ("a", PASSWORD, PASSWORD, "A username has 3 to 32 characters"),
        ("ada", "short", "short", "A password has at least 8 characters"),
        ("ada", PASSWORD, PASSWORD + "x", "The two passwords differ."),
        ("<script>", PASSWORD, PASSWORD, "A username has 3 to 32 characters"),
    ],
)
def test_signup_form_errors(
    client: TestClient, username: str, password: str, again: str, message: str
) -> None:
    page = soup(client.get("/signup"))
    response = client.post(
        "/signup",
        data={
            "csrf_token": attr(page, "input[name=csrf_token]", "value"),
            "username": username,
            "password": password,
            "password_again": again,
        },
    )
    assert response.status_code == 422
    assert message in text_of(soup(response), ".alert--error")


def test_taken_username(client: TestClient) -> None:
    signup(client)
    client.post("/logout", data={"csrf_token": client.cookies["prepdeck_csrf"]})
    response = client.post("/api/v1/auth/register", json={"username": "ADA", "password": PASSWORD})
    assert response.status_code == 409
    assert response.json() == {"detail": "The username 'ada' is taken."}


def test_forms_without_csrf_token_are_refused(client: TestClient) -> None:
    client.get("/signup")
    response = client.post(
        "/signup",
        data={"username": "ada", "password": PASSWORD, "password_again": PASSWORD},
    )
    assert response.status_code == 403
    assert "Reload the page" in text_of(soup(response), ".error-page__messages")
    response = client.post(
        "/signup",
        data={
            "csrf_token": "forged",
            "username": "ada",
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
    )
    assert response.status_code == 403


def test_cookie_api_writes_need_the_csrf_header(client: TestClient) -> None:
    signup(client)
    body = {"card_id": "dropout", "rating": 3, "review_id": "7f8a1e4e-0f71-4c55-9d55-6b4ad8d6b9f5"}
    response = client.post("/api/v1/reviews", json=body)
    assert response.status_code == 403
    assert "X-CSRF-Token" in response.json()["detail"]
    response = client.post(
        "/api/v1/reviews", json=body, headers={"X-CSRF-Token": client.cookies["prepdeck_csrf"]}
    )
    assert response.status_code == 201


def test_bearer_token_needs_no_csrf(client: TestClient) -> None:
    client.post("/api/v1/auth/register", json={"username": "ada", "password": PASSWORD})
    headers = api_login(client)
    client.cookies.clear()
    body = {"card_id": "dropout", "rating": 3, "review_id": "7f8a1e4e-0f71-4c55-9d55-6b4ad8d6b9f5"}
    assert client.post("/api/v1/reviews", json=body, headers=headers).status_code == 201


def test_bad_token_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/study/next", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_login_page_and_wrong_password(client: TestClient) -> None:
    client.post("/api/v1/auth/register", json={"username": "ada", "password": PASSWORD})
    client.cookies.clear()
    page = soup(client.get("/login?next=/progress"))
    token = attr(page, "input[name=csrf_token]", "value")
    assert attr(page, "input[name=next]", "value") == "/progress"
    response = client.post(
        "/login",
        data={"csrf_token": token, "username": "ada", "password": "wrong", "next": "/progress"},
    )
    assert response.status_code == 401
    assert text_of(soup(response), ".alert--error") == "Wrong username or password."
    response = client.post(
        "/login",
        data={"csrf_token": token, "username": "ada", "password": PASSWORD, "next": "/progress"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/progress"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example", "/\\evil.example", "/\t/evil.example", "/\n/x.org"],
    ids=["scheme", "no-scheme", "backslash", "tab", "newline"],
)
def test_login_does_not_redirect_elsewhere(client: TestClient, target: str) -> None:
    client.post("/api/v1/auth/register", json={"username": "ada", "password": PASSWORD})
    client.cookies.clear()
    token = attr(soup(client.get("/login")), "input[name=csrf_token]", "value")
    response = client.post(
        "/login",
        data={"csrf_token": token, "username": "ada", "password": PASSWORD, "next": target},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/study"


def test_login_throttling_over_http(client: TestClient) -> None:
    client.post("/api/v1/auth/register", json={"username": "ada", "password": PASSWORD})
    for _ in range(5):
        response = client.post("/api/v1/auth/login", json={"username": "ada", "password": "nope"})
        assert response.status_code == 401
        assert response.json() == {"detail": "Wrong username or password."}
    response = client.post("/api/v1/auth/login", json={"username": "ada", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    token = attr(soup(client.get("/login")), "input[name=csrf_token]", "value")
    response = client.post(
        "/login", data={"csrf_token": token, "username": "ada", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "Too many failed logins" in text_of(soup(response), ".alert--error")


def test_logout_ends_the_session(client: TestClient) -> None:
    signup(client)
    response = client.post(
        "/logout", data={"csrf_token": client.cookies["prepdeck_csrf"]}, follow_redirects=False
    )
    assert response.status_code == 303
    response = client.get("/study", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fstudy"


def test_api_logout_revokes_the_token(client: TestClient) -> None:
    client.post("/api/v1/auth/register", json={"username": "ada", "password": PASSWORD})
    headers = api_login(client)
    client.cookies.clear()
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/progress", headers=headers).status_code == 401


def test_signup_can_be_closed(tmp_path: Path) -> None:
    app = create_app(
        Settings(data_dir=tmp_path / "d", allow_signup=False, warm_demos=False, _env_file=None)
    )
    migrate.upgrade(app.state.engine)
    with TestClient(app) as client:
        # The first account may always be made: it is the admin.
        response = client.post(
            "/api/v1/auth/register", json={"username": "ada", "password": PASSWORD}
        )
        assert response.status_code == 201
        response = client.post(
            "/api/v1/auth/register", json={"username": "bob", "password": PASSWORD}
        )
        assert response.status_code == 403
        assert response.json() == {"detail": "Sign-up is closed on this server; ask its admin."}
        page = client.get("/signup")
        assert page.status_code == 403
        assert "Sign-up is closed" in text_of(soup(page), ".alert--error")


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"username": "ada"}, ["body", "password"]),
        ({"username": "ada", "password": "x" * 2000}, ["body", "password"]),
        ({"password": PASSWORD}, ["body", "username"]),
    ],
)
def test_api_register_bad_input(client: TestClient, body: dict[str, str], loc: list[str]) -> None:
    response = client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_guests_read_cards_but_not_study(client: TestClient) -> None:
    assert client.get("/decks/regularization/cards/dropout").status_code == 200
    response = client.get("/study", follow_redirects=False)
    assert response.headers["location"] == "/login?next=%2Fstudy"
    for path in (
        "/api/v1/study/next",
        "/api/v1/progress",
        "/api/v1/me/settings",
        "/api/v1/me/export",
    ):
        response = client.get(path)
        assert response.status_code == 401, path
    assert client.get("/progress", follow_redirects=False).status_code == 303


def test_users_see_only_their_own_data(client: TestClient) -> None:
    client.post("/api/v1/auth/register", json={"username": "ada", "password": PASSWORD})
    client.post("/api/v1/auth/register", json={"username": "bob", "password": PASSWORD})
    ada = api_login(client, "ada")
    bob = api_login(client, "bob")
    client.cookies.clear()
    review_id = "7f8a1e4e-0f71-4c55-9d55-6b4ad8d6b9f5"
    body = {"card_id": "dropout", "rating": 3, "review_id": review_id}
    assert client.post("/api/v1/reviews", json=body, headers=ada).status_code == 201
    assert client.get("/api/v1/progress", headers=bob).json()["total_reviews"] == 0
    assert client.get("/api/v1/me/export", headers=bob).json()["reviews"] == []
    # Bob cannot undo Ada's review: he has none of his own.
    response = client.post("/api/v1/reviews/undo", headers=bob)
    assert response.status_code == 409
    assert client.get("/api/v1/progress", headers=ada).json()["total_reviews"] == 1
    # Bob sending Ada's review_id records his own review, not a replay of hers.
    response = client.post("/api/v1/reviews", json={**body, "rating": 1}, headers=bob)
    assert response.status_code == 201
    assert response.json()["rating"] == 1
    assert client.get("/api/v1/me/export", headers=ada).json()["reviews"][0]["rating"] == 3
