"""The progress API."""

from datetime import date, timedelta

from fastapi.testclient import TestClient

from tests.api.test_quiz_attempts import QUESTION, QUIZ, SEED, bearer
from tests.api.test_study import grade


def test_progress(client: TestClient, auth: dict[str, str]) -> None:
    grade(client, auth, "dropout", 4)
    body = client.get("/api/v1/progress", headers=auth).json()
    assert body["cards"] == {"new": 19, "learning": 0, "review": 1, "relearning": 0, "suspended": 0}
    assert body["reviews_today"] == 1
    assert body["streak_days"] == 1
    assert len(body["forecast"]) == 30
    assert len(body["topics"]) == 6


def test_predictions_in_progress(client: TestClient, auth: dict[str, str]) -> None:
    body = client.get("/api/v1/progress", headers=auth).json()
    predictions = body["predictions"]
    none = {"answered": 0, "right": 0, "rate": None}
    assert predictions["total"] == none
    assert predictions["last_30d"] == none
    today = date.fromisoformat(body["today"])
    monday = today - timedelta(days=today.weekday())
    assert [week["start"] for week in predictions["weeks"]] == [
        (monday - timedelta(weeks=7 - k)).isoformat() for k in range(8)
    ]
    assert predictions["cards"] == []
    assert predictions["revisit"] == []

    wrong = next(letter for letter in "abcde" if letter != QUESTION.expected)
    for answer in (wrong, QUESTION.expected, wrong):
        response = client.post(QUIZ, json={"seed": SEED, "answer": answer}, headers=auth)
        assert response.status_code == 200
    predictions = client.get("/api/v1/progress", headers=auth).json()["predictions"]
    tally = {"answered": 3, "right": 1, "rate": 1 / 3}
    assert predictions["total"] == tally
    assert predictions["last_30d"] == tally
    assert predictions["weeks"][-1] == {"start": predictions["weeks"][-1]["start"], **tally}
    dropout = next(t for t in predictions["topics"] if t["topic"] == "dropout")
    assert dropout == {
        "deck": "regularization",
        "topic": "dropout",
        "label": dropout["label"],
        "last_30d": tally,
        "earlier": none,
        "total": tally,
    }
    [card] = predictions["cards"]
    answered_at = [outcome.pop("answered_at") for outcome in card["last"]]
    assert answered_at == sorted(answered_at)
    assert card == {
        "deck": "regularization",
        "card": "dropout",
        "question": card["question"],
        "total": tally,
        "last": [{"right": False}, {"right": True}, {"right": False}],
        "demo_url": "/decks/regularization/cards/dropout#demo",
    }
    assert predictions["revisit"][0]["card"] == "dropout"


def test_predictions_are_the_users_own(client: TestClient, auth: dict[str, str]) -> None:
    client.post(QUIZ, json={"seed": SEED, "answer": QUESTION.expected}, headers=auth)
    other = bearer(client, "bob")
    predictions = client.get("/api/v1/progress", headers=other).json()["predictions"]
    assert predictions["total"] == {"answered": 0, "right": 0, "rate": None}
    assert predictions["cards"] == []
