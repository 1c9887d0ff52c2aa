"""The study API: next card, reviews, undo, bury and suspend."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from app.study.reviews import NOTHING_IN_SESSION


def grade(
    client: TestClient, auth: dict[str, str], card_id: str, rating: int = 3, **extra: object
) -> object:
    """Post a review with a fresh review_id."""
    body = {"card_id": card_id, "rating": rating, "review_id": str(uuid.uuid4()), **extra}
    return client.post("/api/v1/reviews", json=body, headers=auth)


def test_next_card_with_previews_and_counts(client: TestClient, auth: dict[str, str]) -> None:
    body = client.get("/api/v1/study/next", headers=auth).json()
    assert body["card"]["id"] == "what-is-regularization"
    assert body["card"]["version"] == 0
    assert body["card"]["kind"] == "new"
    assert body["counts"] == {"new": 20, "learning": 0, "review": 0}
    assert list(body["previews"]) == ["again", "hard", "good", "easy"]
    assert body["previews"]["again"]["interval"] == "1m"
    assert body["previews"]["good"]["interval"] == "10m"
    seconds = [body["previews"][name]["seconds"] for name in ("again", "hard", "good", "easy")]
    assert seconds == sorted(seconds)
    assert body["practice"] is False


def test_review_then_the_next_card(client: TestClient, auth: dict[str, str]) -> None:
    response = grade(client, auth, "what-is-regularization", 4, version=0, duration_ms=5000)
    assert response.status_code == 201  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["card"]["state"] == "review"
    assert body["card"]["version"] == 1
    assert body["rating_name"] == "easy"
    assert body["duration_ms"] == 5000
    following = client.get("/api/v1/study/next", headers=auth).json()
    assert following["card"]["id"] == "l2-weight-decay"
    assert following["counts"] == {"new": 19, "learning": 0, "review": 0}


def test_repeated_review_id_records_once(client: TestClient, auth: dict[str, str]) -> None:
    body = {"card_id": "dropout", "rating": 3, "review_id": str(uuid.uuid4())}
    first = client.post("/api/v1/reviews", json=body, headers=auth)
    second = client.post("/api/v1/reviews", json=body, headers=auth)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert client.get("/api/v1/progress", headers=auth).json()["total_reviews"] == 1


def test_two_tabs_one_wins(client: TestClient, auth: dict[str, str]) -> None:
    version = client.get("/api/v1/study/next", headers=auth).json()["card"]["version"]
    first = grade(client, auth, "what-is-regularization", 3, version=version)
    second = grade(client, auth, "what-is-regularization", 1, version=version)
    assert first.status_code == 201  # type: ignore[attr-defined]
    assert second.status_code == 409  # type: ignore[attr-defined]
    assert "graded in another tab" in second.json()["detail"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"card_id": "dropout", "rating": 5}, ["body", "rating"]),
        ({"card_id": "dropout", "rating": 0}, ["body", "rating"]),
        ({"card_id": "dropout", "rating": 3, "review_id": "not-a-uuid"}, ["body", "review_id"]),
        ({"card_id": "dropout", "rating": 3, "duration_ms": -1}, ["body", "duration_ms"]),
        ({"rating": 3}, ["body", "card_id"]),
        ({"card_id": "dropout", "rating": 3, "version": -2}, ["body", "version"]),
    ],
)
def test_bad_reviews_are_422(
    client: TestClient, auth: dict[str, str], body: dict[str, object], loc: list[str]
) -> None:
    body.setdefault("review_id", str(uuid.uuid4()))
    response = client.post("/api/v1/reviews", json=body, headers=auth)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_review_of_unknown_card_is_404(client: TestClient, auth: dict[str, str]) -> None:
    response = grade(client, auth, "nope")
    assert response.status_code == 404  # type: ignore[attr-defined]
    assert response.json() == {"detail": "There is no card 'nope' in the content."}  # type: ignore[attr-defined]


QUESTION_1 = "What is regularization in deep learning? Why is it needed?"


def test_undo(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post("/api/v1/reviews/undo", headers=auth)
    assert response.status_code == 409
    assert response.json() == {"detail": "There is nothing to undo."}
    review_id = grade(client, auth, "what-is-regularization", 4).json()["review_id"]  # type: ignore[attr-defined]
    response = client.post("/api/v1/reviews/undo", headers=auth)
    assert response.status_code == 200
    assert response.json() == {
        "action": "review",
        "card_id": "what-is-regularization",
        "review_id": review_id,
        "rating": 4,
        "message": f"Undid your “Easy” on “{QUESTION_1}”",
    }
    body = client.get("/api/v1/study/next", headers=auth).json()
    assert body["card"]["id"] == "what-is-regularization"
    assert body["counts"]["new"] == 20


def test_undo_takes_back_the_latest_action_of_any_kind(
    client: TestClient, auth: dict[str, str]
) -> None:
    grade(client, auth, "what-is-regularization", 3)
    card = {"card_id": "dropout"}
    client.post("/api/v1/study/suspend", json=card, headers=auth)
    client.post("/api/v1/study/unsuspend", json=card, headers=auth)
    client.post("/api/v1/study/bury", json=card, headers=auth)
    messages = [client.post("/api/v1/reviews/undo", headers=auth).json() for _action in range(4)]
    dropout = "What is Dropout? Why does it prevent overfitting?"
    assert [(m["action"], m["rating"], m["message"]) for m in messages] == [
        ("bury", None, f"Unburied “{dropout}”"),
        ("unsuspend", None, f"Suspended “{dropout}” again"),
        ("suspend", None, f"Unsuspended “{dropout}”"),
        ("review", 3, f"Undid your “Good” on “{QUESTION_1}”"),
    ]
    assert client.get("/api/v1/progress", headers=auth).json()["total_reviews"] == 0


def test_undo_stops_at_since(client: TestClient, auth: dict[str, str]) -> None:
    grade(client, auth, "what-is-regularization", 3)
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    response = client.post("/api/v1/reviews/undo", json={"since": later}, headers=auth)
    assert response.status_code == 409
    assert response.json() == {"detail": NOTHING_IN_SESSION}
    earlier = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    response = client.post("/api/v1/reviews/undo", json={"since": earlier}, headers=auth)
    assert response.json()["action"] == "review"


@pytest.mark.parametrize(
    ("since", "message"),
    [
        ("2026-01-02T03:04:05", "Input should have timezone info"),
        ("9999-12-31T23:59:59-05:00", "give a date and time between the years 1 and 9999 in UTC"),
        ("0001-01-01T00:00:00+05:00", "give a date and time between the years 1 and 9999 in UTC"),
        ([["2026-01-02T03:04:05Z"]], "Input should be a valid datetime"),
    ],
)
def test_undo_refuses_a_bad_since(
    client: TestClient, auth: dict[str, str], since: object, message: str
) -> None:
    grade(client, auth, "what-is-regularization", 3)
    response = client.post("/api/v1/reviews/undo", json={"since": since}, headers=auth)
    assert response.status_code == 422
    assert [error["msg"] for error in response.json()["detail"]] == [message]
    assert client.get("/api/v1/progress", headers=auth).json()["total_reviews"] == 1


def test_bury_suspend_unsuspend(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/study/bury", json={"card_id": "what-is-regularization"}, headers=auth
    )
    assert response.status_code == 200
    assert response.json()["buried_until"] is not None
    assert client.get("/api/v1/study/next", headers=auth).json()["card"]["id"] == "l2-weight-decay"
    response = client.post(
        "/api/v1/study/suspend", json={"card_id": "l2-weight-decay"}, headers=auth
    )
    assert response.json()["suspended"] is True
    assert client.get("/api/v1/study/next", headers=auth).json()["card"]["id"] == "l1-vs-l2"
    client.post("/api/v1/study/unsuspend", json={"card_id": "l2-weight-decay"}, headers=auth)
    assert client.get("/api/v1/study/next", headers=auth).json()["card"]["id"] == "l2-weight-decay"
    assert (  # no such action: no such path
        client.post("/api/v1/study/explode", json={"card_id": "dropout"}, headers=auth).status_code
        == 404
    )
    assert (
        client.post("/api/v1/study/bury", json={"card_id": "nope"}, headers=auth).status_code == 404
    )


def test_a_card_in_learning_is_not_buried_and_long_answers_count_60_seconds(
    client: TestClient, auth: dict[str, str]
) -> None:
    """Anki's manual: learning cards are not buried, "as time is of the essence for those
    cards"; and "Maximum answer seconds" caps the recorded time at 60 seconds."""
    review = {
        "card_id": "dropout",
        "rating": 1,
        "review_id": "5f0c1d2e-3a4b-4c5d-8e6f-708192a3b4c5",
        "duration_ms": 3_600_000,
    }
    response = client.post("/api/v1/reviews", json=review, headers=auth)
    assert response.status_code == 201
    response = client.post("/api/v1/study/bury", json={"card_id": "dropout"}, headers=auth)
    assert response.status_code == 409
    assert "learning cards are not buried" in response.json()["detail"]
    exported = client.get("/api/v1/me/export", headers=auth).json()
    assert [entry["duration_ms"] for entry in exported["reviews"]] == [60_000]


def test_the_previews_are_what_the_grades_do(client: TestClient, auth: dict[str, str]) -> None:
    """The intervals shown come from the same configuration and fuzz as the grade: here the
    maximum interval of the settings caps Easy in the preview and in the review alike."""
    settings = client.get("/api/v1/me/settings", headers=auth).json()
    response = client.put(
        "/api/v1/me/settings", json=settings | {"maximum_interval": 2}, headers=auth
    )
    assert response.status_code == 200
    shown = client.get("/api/v1/study/next", headers=auth).json()
    assert shown["previews"]["easy"]["seconds"] == 2 * 86_400
    review = {
        "card_id": shown["card"]["id"],
        "rating": 4,
        "review_id": "6a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3",
    }
    body = client.post("/api/v1/reviews", json=review, headers=auth).json()
    due = datetime.fromisoformat(body["card"]["due"])
    assert due - datetime.fromisoformat(body["reviewed_at"]) == timedelta(days=2)


def test_filters_and_their_errors(client: TestClient, auth: dict[str, str]) -> None:
    body = client.get("/api/v1/study/next?topic=batch-norm&difficulty=hard", headers=auth).json()
    assert body["card"]["id"] == "bn-ln-in"
    assert body["counts"]["new"] == 1
    response = client.get("/api/v1/study/next?deck=nope", headers=auth)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "deck"]
    response = client.get("/api/v1/study/next?difficulty=brutal", headers=auth)
    assert response.status_code == 422


def test_nothing_due_and_practice(client: TestClient, auth: dict[str, str]) -> None:
    client.put(
        "/api/v1/me/settings",
        json={
            "desired_retention": 0.9,
            "new_per_day": 0,
            "reviews_per_day": 200,
            "timezone": "UTC",
            "day_starts_at": 4,
        },
        headers=auth,
    )
    body = client.get("/api/v1/study/next", headers=auth).json()
    assert body["card"] is None
    assert body["counts"] == {"new": 0, "learning": 0, "review": 0}
    practice = client.get("/api/v1/study/next?practice=true", headers=auth).json()
    assert practice["practice"] is True
    assert practice["card"]["id"] == "what-is-regularization"
    following = client.get(
        "/api/v1/study/next?practice=true&after=what-is-regularization", headers=auth
    ).json()
    assert following["card"]["id"] == "l2-weight-decay"
    assert client.get("/api/v1/progress", headers=auth).json()["total_reviews"] == 0
