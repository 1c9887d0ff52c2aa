"""API fuzzing: schemathesis generates requests for every operation in /openapi.json.

Valid and invalid requests both; every check schemathesis has is on: no answer may be a 5xx,
each must match the status, type, headers and body it is documented with, invalid input must
be refused and valid input accepted. Then every operation is sent what generated data rarely
holds: NaN, Infinity, a lone surrogate or NUL in each field, which must each be a 422.
(Schemathesis's own pytest plugin is switched off in pyproject.toml; its Python API is used.)
"""

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode
from sqlalchemy import delete, select

from app import migrate
from app.accounts.service import issue_token
from app.config import Settings
from app.main import create_app
from app.models import User
from app.request_checks import SELF_CHECKED_BODIES
from tests.helpers import PASSWORD

# Every operation the API documents, listed without a database (the schema is static).
OPENAPI = create_app(Settings(warm_demos=False, _env_file=None)).openapi()
OPERATIONS = [
    (method.upper(), path) for path, methods in OPENAPI["paths"].items() for method in methods
]
load_all_checks()
ALL_CHECKS = list(CHECKS.get_all())
# Some rules are the service's, beyond what a schema can state, so a schema-valid request may
# be refused with 422 naming the rule: a username's shape and a password's strength (sign-up,
# password change), the decks and topics the content has (study filters, interviews), an
# import's printable ids and timestamps between 2000 and tomorrow, an interview's steps in
# their order, and an undo's since with a UTC time (and nothing to undo: 409); deleting the
# account asks for the password (403) and keeps the last admin (409).
# The Bearer token is the fixture user's, sent with each request, not a generated one.
SERVICE_RULES = {
    "/api/v1/auth/register": ["2xx", "403", "409", "422", "429"],
    "/api/v1/me/password": ["2xx", "403", "422", "429"],
    "/api/v1/me": ["2xx", "403", "409", "422", "429"],
    "/api/v1/study/next": ["2xx", "404", "422"],
    "/api/v1/me/import": ["2xx", "409", "422"],
    "/api/v1/interviews": ["2xx", "422"],
    "/api/v1/me/cards": ["2xx", "422"],
    "/api/v1/me/cards/actions": ["2xx", "409", "413", "422"],
    "/api/v1/me/cards/resets/{reset_id}/undo": ["2xx", "404", "409", "422"],
    "/api/v1/reviews/undo": ["2xx", "409", "422"],
    "/api/v1/me/interview-dates": ["2xx", "422"],
    "/api/v1/interviews/{interview_id}/answers": ["2xx", "404", "409", "413", "422"],
    # A user id that no user has; the one admin may not disable, demote or delete themselves.
    "/api/v1/admin/users/{user_id}": ["2xx", "404", "409"],
    "/api/v1/admin/users/{user_id}/reset-link": ["2xx", "404"],
}
# Invalid data is rejected by any 4xx the defaults name and by 413: a body over a route's
# size limit (a generated list far past its maxItems, say) is refused before it is read.
REJECTED = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, "5xx"]
CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"with-security-parameters": False},
        "checks": {"negative_data_rejection": {"expected-statuses": REJECTED}},
        "operations": [
            {
                "include-path": path,
                "checks": {"positive_data_acceptance": {"expected-statuses": statuses}},
            }
            for path, statuses in SERVICE_RULES.items()
        ],
    }
)
HOSTILE_NUMBERS = [math.nan, math.inf, -math.inf]
HOSTILE_TEXT = ["\ud800", "a\x00b"]
HOSTILE_ERRORS = {"finite_number", "string_unicode", "string_nul"}


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return OPENAPI["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def _booleans_only(operation: dict[str, Any]) -> bool:
    """Return whether the operation's JSON body holds only booleans (nothing hostile to send)."""
    schema = _resolved(operation["requestBody"]["content"]["application/json"]["schema"])
    fields = schema.get("properties", {}).values()
    return bool(fields) and all(_resolved(field).get("type") == "boolean" for field in fields)


# The operations that take text or numbers from the client: path, query or a JSON body. (A
# body of booleans only gets NaN and the rest in tests/api/test_hostile_input.py.)
INPUT_OPERATIONS = [
    (method, path)
    for method, path in OPERATIONS
    if (
        "requestBody" in OPENAPI["paths"][path][method.lower()]
        and not _booleans_only(OPENAPI["paths"][path][method.lower()])
    )
    or any(
        parameter["in"] in ("path", "query") and parameter["schema"].get("type") != "boolean"
        for parameter in OPENAPI["paths"][path][method.lower()].get("parameters", [])
    )
]


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, FastAPI]]:
    """The API schema of a fresh app with one user on it, and the app."""
    data_dir: Path = tmp_path_factory.mktemp("fuzz")
    app = create_app(Settings(data_dir=data_dir, warm_demos=False, _env_file=None))
    migrate.upgrade(app.state.engine)
    with TestClient(app) as client:
        client.post("/api/v1/auth/register", json={"username": "fuzzer", "password": PASSWORD})
    yield schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG), app
    app.state.engine.dispose()


@pytest.fixture
def api(fuzzed_app: tuple[Any, FastAPI]) -> tuple[Any, str]:
    """The API schema and a new Bearer token of its user.

    A new token per test: fuzzing log-out-everywhere or a password change ends the others.
    """
    schema, app = fuzzed_app
    with app.state.sessionmaker() as session:
        # The fuzzer stays the only user, so the only admin: with an account that sign-up
        # fuzzing made, fuzzing the admin routes could make it an admin, then disable the fuzzer.
        session.execute(delete(User).where(User.username != "fuzzer"))
        session.commit()
        user = session.scalars(select(User).where(User.username == "fuzzer")).one()
        token = issue_token(session=session, user=user, kind="api")
    return schema, token


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_5xx_and_answers_match_their_schema(
    api: tuple[Any, str], method: str, path: str
) -> None:
    schema, token = api
    operation = schema[path][method]
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def fuzz(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=ALL_CHECKS)

    fuzz()


def _hostile_variants(value: Any) -> Iterator[Any]:
    """Yield copies of a JSON value with one string or number at a time made hostile."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int | float):
        yield from HOSTILE_NUMBERS
    elif isinstance(value, str):
        yield from (value + text for text in HOSTILE_TEXT)
    elif isinstance(value, dict):
        for key, item in value.items():
            for variant in _hostile_variants(item):
                yield {**value, key: variant}
    elif isinstance(value, list):
        for index, item in enumerate(value):
            for variant in _hostile_variants(item):
                yield [*value[:index], variant, *value[index + 1 :]]


@pytest.mark.parametrize(
    ("method", "path"), INPUT_OPERATIONS, ids=[f"{m} {p}" for m, p in INPUT_OPERATIONS]
)
def test_nan_infinity_surrogates_and_nul_are_422(
    api: tuple[Any, str], method: str, path: str
) -> None:
    schema, token = api
    operation = schema[path][method]
    headers = {"Authorization": f"Bearer {token}"}

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(GenerationMode.POSITIVE))
    def valid_example(case: Any) -> None:
        examples.append(case)

    examples: list[Any] = []
    valid_example()
    # The valid request with the most fields, so that each field gets its hostile turn.
    # An optional body (undo) is often left out: prefer an example that has one.
    case = max(
        examples,
        key=lambda case: (
            isinstance(case.body, dict) and bool(case.body),
            len(case.query or {}) + len(str(case.body)),
        ),
    )
    variants: list[Any] = []
    for parameter in OPENAPI["paths"][path][method.lower()].get("parameters", []):
        if parameter["in"] == "query" and parameter["schema"].get("type") != "boolean":
            query = {**(case.query or {}), parameter["name"]: "x\x00"}
            variants.append(operation.Case(**{**_parts(case), "query": query}))
    for name, value in (case.path_parameters or {}).items():
        parameters = {**case.path_parameters, name: f"{value}\x00"}
        variants.append(operation.Case(**{**_parts(case), "path_parameters": parameters}))
    if isinstance(case.body, dict):
        # Sent as raw JSON text: a client's encoder refuses NaN, so write it as Python does.
        variants.extend(
            operation.Case(**{**_parts(case), "body": json.dumps(body).encode()})
            for body in _hostile_variants(case.body)
        )
    assert variants
    for variant in variants:
        response = variant.call_and_validate(headers=headers, checks=ALL_CHECKS)
        assert response.status_code == 422, (variant.body, variant.query, response.text)
        error = response.json()["detail"][0]
        if path in SELF_CHECKED_BODIES:
            # The import checks its own body off the event loop: it names the entry and field.
            assert len(error["loc"]) > 1, error
        else:
            assert error["type"] in HOSTILE_ERRORS


def _parts(case: Any) -> dict[str, Any]:
    return {
        "path_parameters": case.path_parameters,
        "query": case.query,
        "body": case.body,
        "media_type": case.media_type,
    }
