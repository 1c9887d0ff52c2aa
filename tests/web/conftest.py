"""Fixtures of the page tests."""

import pytest
from fastapi.testclient import TestClient

from tests.accounts.test_accounts import signup


@pytest.fixture
def user_client(client: TestClient) -> TestClient:
    """A client logged in through the sign-up form."""
    signup(client)
    return client
