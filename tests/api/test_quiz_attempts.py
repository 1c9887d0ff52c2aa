"""A logged-in learner's answers to the quiz are stored as attempts; a guest's nowhere."""

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.figures.questions import ask
from app.figures.registry import demos
from tests.accounts.test_accounts import signup
from tests.helpers import PASSWORD

QUIZ = "/api/v1/decks/regularization/cards/dropout/quiz"
DEMO = demos()["dropout-mask"]
SEED = next(seed for seed in range(100) if ask(DEMO, seed).question.kind == "choice")
QUESTION = ask(DEMO, SEED).question


def attempts(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Return the user's stored attempts, as their export lists them."""
    response = client.get("/api/v1/me/export", headers=headers)
    assert response.status_code == 200
    found: list[dict[str, Any]] = response.json()["quiz_attempts"]
    return found


def bearer(client: TestClient, name: str) -> dict[str, str]:
    client.post("/api/v1/auth/register", json={"username": name, "password": PASSWORD})
    token = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
    client.cookies.clear()
    return {"Authorization": f"Bearer {token.json()['token']}"}


def test_a_bearer_answer_is_stored_and_its_id_echoed(
    client: TestClient, auth: dict[str, str]
) -> None:
    key = str(uuid.uuid4())
    body = {"seed": SEED, "answer": QUESTION.expected, "attempt_id": key, "duration_ms": 2500}
    before = datetime.now(UTC)
    response = client.post(QUIZ, json=body, headers=auth)
    after = datetime.now(UTC)
    assert response.status_code == 200
    verdict = response.json()
    assert verdict["correct"] is True
    assert verdict["attempt_id"] == key
    [stored] = attempts(client, auth)
    answered_at = stored.pop("answered_at")
    assert stored == {
        "attempt_id": key,
        "card_id": "dropout",
        "demo_id": DEMO.id,
        "kind_id": ask(DEMO, SEED).kind_id,
        "seed": SEED,
        "answer": QUESTION.expected,
        "correct": True,
        "duration_ms": 2500,
    }
    assert before <= datetime.fromisoformat(answered_at) <= after


def test_without_an_attempt_id_the_server_picks_one(
    client: TestClient, auth: dict[str, str]
) -> None:
    wrong = next(letter for letter in "abc" if letter != QUESTION.expected)
    verdict = client.post(QUIZ, json={"seed": SEED, "answer": wrong}, headers=auth).json()
    assert verdict["correct"] is False
    [stored] = attempts(client, auth)
    assert stored["attempt_id"] == verdict["attempt_id"]
    assert uuid.UUID(verdict["attempt_id"]).version == 4
    assert (stored["answer"], stored["correct"], stored["duration_ms"]) == (wrong, False, None)


def test_a_repeat_stores_nothing_new_and_another_answer_under_its_id_is_409(
    client: TestClient, auth: dict[str, str]
) -> None:
    body = {"seed": SEED, "answer": QUESTION.expected, "attempt_id": str(uuid.uuid4())}
    first = client.post(QUIZ, json=body, headers=auth).json()
    again = client.post(QUIZ, json=body, headers=auth)
    assert again.status_code == 200
    assert again.json() == first
    conflict = client.post(QUIZ, json={**body, "seed": SEED + 100}, headers=auth)
    assert conflict.status_code == 409
    assert "send a new attempt_id" in conflict.json()["detail"]
    assert len(attempts(client, auth)) == 1


def test_a_cookie_login_needs_the_csrf_header(client: TestClient) -> None:
    signup(client)
    body = {"seed": SEED, "answer": QUESTION.expected}
    refused = client.post(QUIZ, json=body)
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["detail"]
    csrf = {"X-CSRF-Token": client.cookies["prepdeck_csrf"]}
    assert client.get("/api/v1/me/export").json()["quiz_attempts"] == []
    stored = client.post(QUIZ, json=body, headers=csrf)
    assert stored.status_code == 200
    [attempt] = client.get("/api/v1/me/export").json()["quiz_attempts"]
    assert attempt["attempt_id"] == stored.json()["attempt_id"]


def test_a_guest_answer_is_checked_and_stored_nowhere(
    client: TestClient, auth: dict[str, str]
) -> None:
    body = {"seed": SEED, "answer": QUESTION.expected, "attempt_id": str(uuid.uuid4())}
    response = client.post(QUIZ, json=body)  # no token, no cookie, no CSRF header
    assert response.status_code == 200
    assert response.json()["correct"] is True
    assert response.json()["attempt_id"] is None
    assert attempts(client, auth) == []
    # The guest's attempt_id was not taken: the user may still use it.
    assert client.post(QUIZ, json=body, headers=auth).json()["attempt_id"] == body["attempt_id"]


def test_a_bad_token_is_401_and_stores_nothing(client: TestClient, auth: dict[str, str]) -> None:
    body = {"seed": SEED, "answer": QUESTION.expected}
    response = client.post(QUIZ, json=body, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert attempts(client, auth) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"answer": "z"}, "answer"),
        ({"answer": "a\x00"}, "answer"),
        ({"answer": "x" * 41}, "answer"),
        ({"answer": {"a": {"b": [1]}}}, "answer"),
        ({"attempt_id": "not-a-uuid"}, "attempt_id"),
        ({"attempt_id": "0" * 5000}, "attempt_id"),
        ({"attempt_id": 12}, "attempt_id"),
        ({"attempt_id": {"a": [1]}}, "attempt_id"),
        ({"duration_ms": -1}, "duration_ms"),
        ({"duration_ms": 86_400_001}, "duration_ms"),
        ({"duration_ms": 10**40}, "duration_ms"),
        ({"duration_ms": "5"}, "duration_ms"),
        ({"duration_ms": True}, "duration_ms"),
        ({"duration_ms": 1.5}, "duration_ms"),
        ({"duration_ms": [1]}, "duration_ms"),
        ({"seed": 2**31}, "seed"),
    ],
)
def test_a_bad_answer_is_422_and_stores_nothing(
    client: TestClient, auth: dict[str, str], changes: dict[str, Any], field: str
) -> None:
    body = {"seed": SEED, "answer": QUESTION.expected, "attempt_id": str(uuid.uuid4()), **changes}
    response = client.post(QUIZ, json=body, headers=auth)
    assert response.status_code == 422
    locs = [error["loc"] for error in response.json()["detail"]]
    assert all(loc[:2] == ["body", field] for loc in locs), locs
    assert attempts(client, auth) == []


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_huge_durations_are_refused(
    client: TestClient, auth: dict[str, str], raw: str
) -> None:
    content = f'{{"seed": {SEED}, "answer": "{QUESTION.expected}", "duration_ms": {raw}}}'
    response = client.post(
        QUIZ, content=content, headers={**auth, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert attempts(client, auth) == []


def test_an_unknown_card_stores_nothing(client: TestClient, auth: dict[str, str]) -> None:
    body = {"seed": SEED, "answer": "a"}
    response = client.post("/api/v1/decks/regularization/cards/nope/quiz", json=body, headers=auth)
    assert response.status_code == 404
    assert attempts(client, auth) == []


def test_another_users_attempts_are_never_visible(client: TestClient) -> None:
    ada, bob = bearer(client, "ada"), bearer(client, "bob")
    key = str(uuid.uuid4())
    body = {"seed": SEED, "answer": QUESTION.expected, "attempt_id": key}
    assert client.post(QUIZ, json=body, headers=ada).status_code == 200
    assert attempts(client, bob) == []
    # The same id is bob's own: stored for him, not answered with ada's attempt.
    wrong = next(letter for letter in "abc" if letter != QUESTION.expected)
    verdict = client.post(QUIZ, json={**body, "answer": wrong}, headers=bob).json()
    assert verdict["correct"] is False
    [bobs] = attempts(client, bob)
    assert (bobs["attempt_id"], bobs["answer"]) == (key, wrong)
    [adas] = attempts(client, ada)
    assert adas["answer"] == QUESTION.expected


def test_the_quiz_post_documents_the_attempt(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    post = document["paths"]["/api/v1/decks/{deck_id}/cards/{card_id}/quiz"]["post"]
    assert {"403", "409", "422"} <= set(post["responses"])
    schemas = document["components"]["schemas"]
    assert {"attempt_id", "duration_ms"} <= set(schemas["QuizAnswerIn"]["properties"])
    assert "attempt_id" in schemas["QuizVerdictOut"]["properties"]
