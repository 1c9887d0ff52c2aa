"""DELETE /api/v1/me: the account and its data go, after the password; bad input is refused."""

import pytest
from fastapi.testclient import TestClient

from tests.accounts.test_sessions import bearer, signup
from tests.helpers import PASSWORD

LAST_ADMIN = (
    "You are the only admin of this server, and it has other users: make another user an "
    "admin first, then delete your account."
)


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"current_password": "not it at all"}, 403, "The current password is wrong."),
        ({"current_password": "x" * 1000}, 403, "The current password is wrong."),
        ({"current_password": "x" * 1025}, 422, "String should have at most 1024 characters"),
        ({"current_password": ""}, 422, "String should have at least 1 character"),
        ({"current_password": PASSWORD + "\x00"}, 422, "Text must not contain the NUL character"),
        ({"current_password": 1}, 422, "Input should be a valid string"),
        ({"current_password": [PASSWORD]}, 422, "Input should be a valid string"),
        ({"password": PASSWORD}, 422, "Field required"),
        (None, 422, "Field required"),
    ],
    ids=["wrong", "long-wrong", "huge", "empty", "nul", "number", "nested", "other-key", "none"],
)
def test_bad_input_deletes_nothing(
    client: TestClient, body: object, status: int, detail: str
) -> None:
    signup(client, "ada")
    with TestClient(client.app) as other:
        signup(other, "bob")
    auth = bearer(client, "bob")
    response = client.request("DELETE", "/api/v1/me", json=body, headers=auth)
    assert response.status_code == status, response.text
    got = response.json()["detail"]
    assert detail in (got if isinstance(got, str) else got[0]["msg"])
    assert client.get("/api/v1/me/settings", headers=auth).status_code == 200


def test_delete_me_ends_every_login_and_the_last_admin_stays(client: TestClient) -> None:
    signup(client, "ada")
    with TestClient(client.app) as other:
        signup(other, "bob")
        bob, bob_again = bearer(client, "bob"), bearer(client, "bob")
        ada = bearer(client, "ada")
        body = {"current_password": PASSWORD}
        response = client.request("DELETE", "/api/v1/me", json=body, headers=ada)
        assert (response.status_code, response.json()) == (409, {"detail": LAST_ADMIN})
        # With the session cookie, a write needs the CSRF header.
        assert other.request("DELETE", "/api/v1/me", json=body).status_code == 403
        response = client.request("DELETE", "/api/v1/me", json=body, headers=bob)
        assert response.status_code == 204
        for headers in (bob, bob_again):
            assert client.get("/api/v1/me/settings", headers=headers).status_code == 401
        assert other.get("/api/v1/me/settings").status_code == 401  # bob's browser session
        login = {"username": "bob", "password": PASSWORD}
        assert client.post("/api/v1/auth/login", json=login).status_code == 401
        # Alone now, the admin may go; the server is empty and the next sign-up is its admin.
        response = client.request("DELETE", "/api/v1/me", json=body, headers=ada)
        assert response.status_code == 204
    response = client.post("/api/v1/auth/register", json={"username": "cyd", "password": PASSWORD})
    assert response.json()["is_admin"] is True
