"""The shared dependencies: an admin-only route lets admins in and refuses everyone else, and
requests hold a bounded number of database sessions."""

from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import anyio
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.db import CONNECTIONS, REQUEST_SESSIONS
from app.deps import AdminUser, get_db
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


def test_requests_hold_at_most_request_sessions_sessions(app: FastAPI) -> None:
    """A request past the limit waits for a slot (not for a connection on the event loop)."""
    slots = app.state.session_slots
    assert slots.total_tokens == REQUEST_SESSIONS < CONNECTIONS
    request = SimpleNamespace(app=app)

    async def run() -> list[str]:
        events: list[str] = []
        slots.total_tokens = 1
        first = get_db(request)  # type: ignore[arg-type]
        await anext(first)
        events.append("first open")

        async def second() -> None:
            later = get_db(request)  # type: ignore[arg-type]
            await anext(later)
            events.append("second open")
            await later.aclose()

        async with anyio.create_task_group() as group:
            group.start_soon(second)
            await anyio.sleep(0.05)
            events.append("first closes")
            await first.aclose()
        return events

    # On a thread of its own: a browser test in this process may keep a loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as thread:
        events = thread.submit(anyio.run, run).result()
    assert events == ["first open", "first closes", "second open"]


def test_each_request_gives_its_session_slot_back(app: FastAPI) -> None:
    with TestClient(app) as client:
        headers = bearer(client, "ada")
        for _ in range(3):
            assert client.get("/api/v1/study/next", headers=headers).status_code == 200
        assert client.get("/api/v1/study/next").status_code == 401
    assert app.state.session_slots.borrowed_tokens == 0
