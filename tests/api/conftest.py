"""Fixtures of the API tests."""

import pytest
from fastapi.testclient import TestClient

from tests.helpers import PASSWORD


@pytest.fixture
def auth(client: TestClient) -> dict[str, str]:
    """Register and log in a user; return the Bearer header."""
    client.post("/api/v1/auth/register", json={"username": "ada", "password": PASSWORD})
    token = client.post(
        "/api/v1/auth/login", json={"username": "ada", "password": PASSWORD}
    ).json()["token"]
    client.cookies.clear()
    return {"Authorization": f"Bearer {token}"}
