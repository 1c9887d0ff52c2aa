"""API fuzzing: schemathesis generates requests for every operation in /openapi.json.

No answer may be a 5xx, and every answer must match the schema it is documented with.
(Schemathesis's own pytest plugin is switched off in pyproject.toml; its Python API is used.)
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from app import migrate
from app.config import Settings
from app.main import create_app
from tests.helpers import PASSWORD

# Every operation the API documents, listed without a database (the schema is static).
OPERATIONS = [
    (method.upper(), path)
    for path, methods in create_app(Settings(warm_demos=False, _env_file=None))
    .openapi()["paths"]
    .items()
    for method in methods
]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    """The API schema of a fresh app, and a Bearer token of a user on it."""
    data_dir: Path = tmp_path_factory.mktemp("fuzz")
    app = create_app(Settings(data_dir=data_dir, warm_demos=False, _env_file=None))
    migrate.upgrade(app.state.engine)
    with TestClient(app) as client:
        client.post("/api/v1/auth/register", json={"username": "fuzzer", "password": PASSWORD})
        token = client.post(
            "/api/v1/auth/login", json={"username": "fuzzer", "password": PASSWORD}
        ).json()["token"]
    yield schemathesis.openapi.from_asgi("/openapi.json", app), token
    app.state.engine.dispose()


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_5xx_and_answers_match_their_schema(
    api: tuple[Any, str], method: str, path: str
) -> None:
    schema, token = api
    operation = schema[path][method]

    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy())
        case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"},
            checks=[not_a_server_error, response_schema_conformance],
        )

    fuzz()
