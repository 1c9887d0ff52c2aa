"""The admin API: users (list, read, change, delete), reset links, and the sign-up setting."""

import pytest
from fastapi.testclient import TestClient

from tests.accounts.test_accounts import api_login
from tests.helpers import PASSWORD


@pytest.fixture
def admin(client: TestClient, auth: dict[str, str]) -> dict[str, str]:
    """The Bearer header of ada (the first account, an admin); bob is signed up too."""
    client.post("/api/v1/auth/register", json={"username": "bob", "password": PASSWORD})
    client.cookies.clear()
    return auth


def user_id(client: TestClient, admin: dict[str, str], name: str) -> int:
    found = client.get(f"/api/v1/admin/users?q={name}", headers=admin).json()["users"]
    return int(found[0]["id"])


def test_list_and_read(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get("/api/v1/admin/users", headers=admin)
    assert response.status_code == 200
    body = response.json()
    assert (body["total"], body["limit"], body["offset"], body["q"]) == (2, 50, 0, "")
    ada, bob = body["users"]
    assert {key: ada[key] for key in ("username", "is_admin", "disabled", "reviews")} == {
        "username": "ada",
        "is_admin": True,
        "disabled": False,
        "reviews": 0,
    }
    assert ada["last_login_at"] is not None
    assert ada["last_active_at"] == ada["last_login_at"]
    assert (bob["username"], bob["is_admin"], bob["last_active_at"]) == ("bob", False, None)
    assert bob["url"] == f"/api/v1/admin/users/{bob['id']}"
    assert client.get(bob["url"], headers=admin).json() == bob
    paged = client.get("/api/v1/admin/users?limit=1&offset=1", headers=admin).json()
    assert [user["username"] for user in paged["users"]] == ["bob"]


def test_disable_enable_promote_demote(client: TestClient, admin: dict[str, str]) -> None:
    bob = api_login(client, "bob")
    client.cookies.clear()
    bob_id = user_id(client, admin, "bob")
    path = f"/api/v1/admin/users/{bob_id}"
    changed = client.patch(path, json={"disabled": True, "is_admin": True}, headers=admin)
    assert changed.status_code == 200
    assert (changed.json()["disabled"], changed.json()["is_admin"]) == (True, True)
    assert changed.json()["disabled_at"] is not None
    assert client.get("/api/v1/progress", headers=bob).status_code == 401
    login = client.post("/api/v1/auth/login", json={"username": "bob", "password": PASSWORD})
    assert login.status_code == 403
    changed = client.patch(path, json={"disabled": False, "is_admin": False}, headers=admin)
    assert (changed.json()["disabled"], changed.json()["is_admin"]) == (False, False)
    assert changed.json()["disabled_at"] is None
    # An empty change changes nothing.
    assert client.patch(path, json={}, headers=admin).json() == changed.json()
    api_login(client, "bob")


def test_the_last_admin_stays_409(client: TestClient, admin: dict[str, str]) -> None:
    ada_path = f"/api/v1/admin/users/{user_id(client, admin, 'ada')}"
    for body, words in (
        ({"disabled": True}, "Disabling 'ada'"),
        ({"is_admin": False}, "Removing admin rights from 'ada'"),
    ):
        response = client.patch(ada_path, json=body, headers=admin)
        assert response.status_code == 409
        assert response.json() == {
            "detail": f"{words} would leave no enabled admin: make another account an admin first."
        }
    response = client.delete(ada_path, headers=admin)
    assert response.status_code == 409
    assert response.json()["detail"].startswith("Deleting 'ada' would leave no enabled admin")
    assert client.get(ada_path, headers=admin).json()["is_admin"] is True


def test_delete(client: TestClient, admin: dict[str, str]) -> None:
    path = f"/api/v1/admin/users/{user_id(client, admin, 'bob')}"
    assert client.delete(path, headers=admin).status_code == 204
    assert client.get(path, headers=admin).status_code == 404
    assert client.delete(path, headers=admin).status_code == 404
    assert client.get("/api/v1/admin/users", headers=admin).json()["total"] == 1


def test_reset_link(client: TestClient, admin: dict[str, str]) -> None:
    bob_id = user_id(client, admin, "bob")
    response = client.post(f"/api/v1/admin/users/{bob_id}/reset-link", headers=admin)
    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "bob"
    assert body["url"].startswith("http://testserver/reset/")
    assert client.get(body["url"]).status_code == 200
    token = body["url"].rsplit("/", 1)[1]
    # The link is no login.
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/progress", headers=bearer).status_code == 401


def test_signup_setting(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get("/api/v1/admin/settings", headers=admin)
    assert response.json() == {
        "allow_signup": True,
        "allow_signup_default": True,
        "allow_signup_set_by": None,
        "allow_signup_set_at": None,
    }
    closed = client.put("/api/v1/admin/settings", json={"allow_signup": False}, headers=admin)
    assert closed.status_code == 200
    assert closed.json()["allow_signup"] is False
    assert closed.json()["allow_signup_set_by"] == "ada"
    register = client.post("/api/v1/auth/register", json={"username": "cyd", "password": PASSWORD})
    assert register.status_code == 403
    client.put("/api/v1/admin/settings", json={"allow_signup": True}, headers=admin)
    register = client.post("/api/v1/auth/register", json={"username": "cyd", "password": PASSWORD})
    assert register.status_code == 201


ROUTES = [
    ("GET", "/api/v1/admin/users", None),
    ("GET", "/api/v1/admin/users/1", None),
    ("PATCH", "/api/v1/admin/users/1", {"disabled": True}),
    ("DELETE", "/api/v1/admin/users/1", None),
    ("POST", "/api/v1/admin/users/1/reset-link", None),
    ("GET", "/api/v1/admin/settings", None),
    ("PUT", "/api/v1/admin/settings", {"allow_signup": False}),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_others_get_403_and_guests_401(
    client: TestClient, admin: dict[str, str], method: str, path: str, body: object
) -> None:
    bob = api_login(client, "bob")
    client.cookies.clear()
    response = client.request(method, path, json=body, headers=bob)
    assert response.status_code == 403
    assert response.json() == {
        "detail": "This needs an admin and 'bob' is not one: log in as an admin (an account "
        "made with `prepdeck user create --admin`)."
    }
    # A guest's write meets the CSRF check first (a guest has no Bearer token to skip it).
    guest = client.request(method, path, json=body).status_code
    assert guest == (401 if method == "GET" else 403)
    # Nothing changed.
    assert client.get("/api/v1/admin/users/1", headers=admin).json()["disabled"] is False
    assert client.get("/api/v1/admin/settings", headers=admin).json()["allow_signup"] is True


@pytest.mark.parametrize(("method", "path", "body"), [r for r in ROUTES if r[0] != "GET"])
def test_cookie_writes_need_the_csrf_header(
    client: TestClient, method: str, path: str, body: object
) -> None:
    login = client.post("/api/v1/auth/login", json={"username": "x", "password": PASSWORD})
    assert login.status_code == 401
    client.post("/api/v1/auth/register", json={"username": "ada", "password": PASSWORD})
    login = client.post("/api/v1/auth/login", json={"username": "ada", "password": PASSWORD})
    response = client.request(method, path, json=body)
    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF check failed")
    headers = {"X-CSRF-Token": login.json()["csrf_token"]}
    if method == "PATCH":
        body = {"is_admin": True}  # harmless on oneself
    if method == "DELETE":
        return  # deleting oneself, the only admin, is a 409 (checked above)
    assert client.request(method, path, json=body, headers=headers).status_code < 300


@pytest.mark.parametrize(
    ("method", "path", "body", "loc"),
    [
        ("GET", "/api/v1/admin/users/0", None, ["path", "user_id"]),
        ("GET", "/api/v1/admin/users/2147483648", None, ["path", "user_id"]),
        ("GET", "/api/v1/admin/users/1e999", None, ["path", "user_id"]),
        ("GET", "/api/v1/admin/users/NaN", None, ["path", "user_id"]),
        ("GET", "/api/v1/admin/users/99999999999999999999999999", None, ["path", "user_id"]),
        ("GET", "/api/v1/admin/users?limit=101", None, ["query", "limit"]),
        ("GET", "/api/v1/admin/users?offset=-1", None, ["query", "offset"]),
        ("GET", "/api/v1/admin/users?q=" + "x" * 65, None, ["query", "q"]),
        ("GET", "/api/v1/admin/users?q=a%00", None, ["query", "q"]),
        ("PATCH", "/api/v1/admin/users/1", {"disabled": "yes"}, ["body", "disabled"]),
        ("PATCH", "/api/v1/admin/users/1", {"disabled": 1}, ["body", "disabled"]),
        ("PATCH", "/api/v1/admin/users/1", {"is_admin": [True]}, ["body", "is_admin"]),
        ("PATCH", "/api/v1/admin/users/1", {"admin": True}, ["body", "admin"]),
        ("PATCH", "/api/v1/admin/users/1", {"disabled": {"a": {"b": 1}}}, ["body", "disabled"]),
        ("PUT", "/api/v1/admin/settings", {}, ["body", "allow_signup"]),
        ("PUT", "/api/v1/admin/settings", {"allow_signup": "false"}, ["body", "allow_signup"]),
        ("PUT", "/api/v1/admin/settings", {"allow_signup": None}, ["body", "allow_signup"]),
    ],
)
def test_bad_input_is_422_naming_the_field(
    client: TestClient,
    admin: dict[str, str],
    method: str,
    path: str,
    body: object,
    loc: list[str],
) -> None:
    response = client.request(method, path, json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc


def test_an_unknown_user_is_404(client: TestClient, admin: dict[str, str]) -> None:
    for method in ("GET", "PATCH", "DELETE"):
        response = client.request(
            method, "/api/v1/admin/users/999", json={"disabled": True}, headers=admin
        )
        assert response.status_code == 404
        assert response.json() == {
            "detail": "There is no user with id 999: the admin page and GET /api/v1/admin/users "
            "list them."
        }
    response = client.post("/api/v1/admin/users/999/reset-link", headers=admin)
    assert response.status_code == 404
