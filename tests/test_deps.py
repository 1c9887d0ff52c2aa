"""The shared dependencies: an admin-only route lets admins in and refuses everyone else."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.deps import AdminUser
from tests.helpers import PASSWORD


def add_admin_route(app: FastAPI) -> None:
    """Mount a route that only an admin may call, as an admin page will be."""

    @app.get("/api/v1/admin-only")
    async def read_admin_only(user: AdminUser) -> dict[str, str]:
        return {"admin": user.username}


def bearer(client: TestClient, username: str) -> dict[str, str]:
    """Register username and return its Bearer header."""
    client.post("/api/v1/auth/register", json={"username": username, "password": PASSWORD})
    login = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    client.cookies.clear()
    return {"Authorization": f"Bearer {login.json()['token']}"}


def test_admin_user_lets_the_admin_in(app: FastAPI) -> None:
    add_admin_route(app)
    with TestClient(app) as client:
        first = bearer(client, "ada")  # the first account is the admin
        response = client.get("/api/v1/admin-only", headers=first)
    assert response.status_code == 200
    assert response.json() == {"admin": "ada"}


def test_admin_user_refuses_a_user_who_is_not_an_admin(app: FastAPI) -> None:
    add_admin_route(app)
    with TestClient(app) as client:
        bearer(client, "ada")
        second = bearer(client, "grace")
        response = client.get("/api/v1/admin-only", headers=second)
    assert response.status_code == 403
    assert "'grace' is not one" in response.json()["detail"]


def test_admin_user_asks_a_guest_to_log_in(app: FastAPI) -> None:
    add_admin_route(app)
    with TestClient(app) as client:
        response = client.get("/api/v1/admin-only")
    assert response.status_code == 401
