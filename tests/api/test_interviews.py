"""The mock interview API: start, answer step by step, read the report; bad input named."""

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.config import Settings
from app.models import CardState, ReviewLog
from tests.helpers import PASSWORD
from tests.rehearsal.interview_content import FOLLOW_UP, KEYED, POINTS, key_content

API = "/api/v1/interviews"


@pytest.fixture
def settings(settings: Settings, content_copy: Path) -> Settings:
    """The test settings on content with known key points."""
    return settings.model_copy(update={"content_dir": key_content(content_copy)})


def start(client: TestClient, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post(API, json=body, headers=auth)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def send(client: TestClient, auth: dict[str, str], interview: str, text: str, **extra: Any) -> Any:
    body = {"answer_id": str(uuid.uuid4()), "text": text, **extra}
    return client.post(f"{API}/{interview}/answers", json=body, headers=auth)


def test_an_interview_runs_from_start_to_report(client: TestClient, auth: dict[str, str]) -> None:
    started = start(client, auth, questions=2, seconds_per_answer=60)
    current = started["current"]
    assert started["state"] == "question"
    assert started["questions_total"] == 2
    assert started["options"] == {
        "questions": 2,
        "seconds_per_answer": 60,
        "decks": [],
        "topics": [],
        "difficulty": [],
    }
    assert current["card_id"] in KEYED
    assert (current["position"], current["part"]) == (0, "question")
    shown = datetime.fromisoformat(current["shown_at"])
    assert (datetime.fromisoformat(current["deadline"]) - shown).total_seconds() == 60
    assert started["answers"] == []
    assert started["report"] is None

    answer_id = str(uuid.uuid4())
    text = "An apple, then a banana."
    response = client.post(
        f"{API}/{started['id']}/answers", json={"answer_id": answer_id, "text": text}, headers=auth
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["points"] == [
        {"id": "apple", "text": "Names the apple", "covered": True, "matched_spans": [[3, 8]]},
        {"id": "banana", "text": "Names the banana", "covered": True, "matched_spans": [[17, 23]]},
        {"id": "cherry", "text": "Names the cherry", "covered": False, "matched_spans": []},
    ]
    assert result["coverage"] == pytest.approx(2 / 3)
    assert result["state"] == "follow_up"
    assert result["answer"]["covered"] == ["apple", "banana"]
    assert result["answer"]["answer_id"] == answer_id
    assert result["answer"]["over_time"] is False
    assert result["next"]["question"] == FOLLOW_UP
    assert (result["next"]["position"], result["next"]["part"]) == (0, "follow_up")

    again = client.post(
        f"{API}/{started['id']}/answers", json={"answer_id": answer_id, "text": text}, headers=auth
    )
    assert again.json() == result

    for text in ("damson elder", "cherry", "nothing"):
        assert send(client, auth, started["id"], text).status_code == 200
    final = client.get(f"{API}/{started['id']}", headers=auth).json()
    assert final["state"] == "finished"
    assert final["current"] is None
    assert [a["coverage"] for a in final["answers"]] == pytest.approx([2 / 3, 1, 1 / 3, 0])
    report = final["report"]
    scores = [q["score"] for q in report["questions"]]
    assert scores == pytest.approx([4 / 5, 1 / 5])
    second = final["questions"][1]
    assert report["revisit"] == [second["card_id"]]
    assert report["questions"][1]["card_url"] == f"/decks/regularization/cards/{second['card_id']}"
    assert report["questions"][1]["demo_url"] == (
        f"/decks/regularization/cards/{second['card_id']}#demo"
    )
    assert {t["strength"] for t in report["topics"]} <= {True, False}
    assert all(t["strength"] == (t["mean"] >= 0.75) for t in report["topics"])
    assert send(client, auth, started["id"], "late").status_code == 409


def test_answers_never_touch_the_schedule(
    client: TestClient, auth: dict[str, str], app: Any
) -> None:
    started = start(client, auth, questions=1)
    for text in POINTS:
        send(client, auth, started["id"], text)
    with app.state.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(CardState)) == 0
        assert session.scalar(select(func.count()).select_from(ReviewLog)) == 0


def test_answering_out_of_order_says_what_comes_next(
    client: TestClient, auth: dict[str, str]
) -> None:
    started = start(client, auth, questions=1)
    response = send(client, auth, started["id"], "x", position=0, part="follow_up")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "You answered the follow-up of question 1, but question 1 comes next: "
        "answer that one."
    }


def test_another_users_interview_is_404(client: TestClient, auth: dict[str, str]) -> None:
    started = start(client, auth, questions=1)
    client.post("/api/v1/auth/register", json={"username": "bob", "password": PASSWORD})
    token = client.post(
        "/api/v1/auth/login", json={"username": "bob", "password": PASSWORD}
    ).json()["token"]
    client.cookies.clear()
    bob = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{API}/{started['id']}", headers=bob).status_code == 404
    assert send(client, bob, started["id"], "apple").status_code == 404
    assert client.get(f"{API}/{uuid.uuid4()}", headers=auth).status_code == 404
    assert client.get(f"{API}/nope", headers=auth).status_code == 404


def test_writes_need_a_login_and_the_csrf_header(client: TestClient) -> None:
    assert client.get(f"{API}/{uuid.uuid4()}").status_code == 401
    client.post("/api/v1/auth/register", json={"username": "ada", "password": PASSWORD})
    client.post("/api/v1/auth/login", json={"username": "ada", "password": PASSWORD})
    refused = client.post(API, json={})
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json()["detail"]
    csrf = client.cookies.get("prepdeck_csrf")
    assert csrf is not None
    assert client.post(API, json={}, headers={"X-CSRF-Token": csrf}).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"questions": 0}, "questions"),
        ({"questions": 21}, "questions"),
        ({"questions": "5"}, "questions"),
        ({"questions": 1e300}, "questions"),
        ({"seconds_per_answer": 29}, "seconds_per_answer"),
        ({"seconds_per_answer": 10**20}, "seconds_per_answer"),
        ({"decks": "regularization"}, "decks"),
        ({"decks": [["regularization"]]}, "decks"),
        ({"topics": [{"id": "dropout"}]}, "topics"),
        ({"difficulty": ["extreme"]}, "difficulty"),
        ({"nested": {"a": [1]}}, "nested"),
    ],
)
def test_bad_options_are_422_naming_the_field(
    client: TestClient, auth: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = client.post(API, json=body, headers=auth)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][:2] == ["body", field]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"decks": ["nope"]}, "decks", "unknown deck 'nope'"),
        ({"topics": ["nope"]}, "topics", "unknown topic 'nope'"),
        ({"topics": ["bias-variance"]}, "topics", "no card with key points matches"),
    ],
)
def test_unknown_decks_and_topics_are_422_naming_the_field(
    client: TestClient, auth: dict[str, str], body: dict[str, Any], field: str, words: str
) -> None:
    response = client.post(API, json=body, headers=auth)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", field]
    assert words in error["msg"]


def test_bad_answers_are_refused(client: TestClient, auth: dict[str, str]) -> None:
    started = start(client, auth, questions=1)
    huge = send(client, auth, started["id"], "x" * 5001)
    assert huge.status_code == 413
    assert huge.json() == {
        "detail": "text: 5001 characters; send at most 5000 (shorten the answer)"
    }
    raw = client.post(
        f"{API}/{started['id']}/answers",
        content=b'{"answer_id": "' + str(uuid.uuid4()).encode() + b'", "text": "a\\u0000b"}',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert raw.status_code == 422
    assert raw.json()["detail"][0]["loc"] == ["body", "text"]
    for body, field in (
        ({"answer_id": "nope", "text": "a"}, "answer_id"),
        ({"answer_id": str(uuid.uuid4()), "text": ["a"]}, "text"),
        ({"answer_id": str(uuid.uuid4()), "text": {"a": "b"}}, "text"),
        ({"answer_id": str(uuid.uuid4()), "text": "a", "position": 0}, "part"),
    ):
        response = client.post(f"{API}/{started['id']}/answers", json=body, headers=auth)
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["loc"][:2] == ["body", field]
    assert client.get(f"{API}/{started['id']}", headers=auth).json()["answers"] == []
