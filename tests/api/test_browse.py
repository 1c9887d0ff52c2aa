"""The card browser's API: list, filter, sort; actions on a selection; reset and undo."""

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.models import User
from app.study.reviews import replay_mismatches
from tests.api.test_study import grade
from tests.helpers import PASSWORD

API = "/api/v1/me/cards"


def cards(client: TestClient, auth: dict[str, str], **query: Any) -> dict[str, Any]:
    """Return the browser's answer for a query."""
    response = client.get(API, params=query, headers=auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def act(client: TestClient, auth: dict[str, str], action: str, card_ids: list[str]) -> Any:
    """Post an action on a selection."""
    return client.post(
        f"{API}/actions", json={"action": action, "card_ids": card_ids}, headers=auth
    )


def mismatches(app: FastAPI) -> list[str]:
    """Return replay_mismatches of the user ada."""
    with app.state.sessionmaker() as session:
        user = session.scalars(select(User).where(User.username == "ada")).one()
        return replay_mismatches(session, user)


def test_every_card_with_its_state(client: TestClient, auth: dict[str, str]) -> None:
    grade(client, auth, "dropout", 4)
    body = cards(client, auth, limit=200)
    assert body["total"] == 20
    assert len(body["cards"]) == 20
    by_id = {card["id"]: card for card in body["cards"]}
    dropout = by_id["dropout"]
    assert dropout["state"] == "review"
    assert (dropout["reviews"], dropout["lapses"]) == (1, 0)
    assert 0 < dropout["retrievability"] <= 1
    assert dropout["stability"] > 0
    assert dropout["memory_difficulty"] > 0
    assert dropout["demo_url"] == "/decks/regularization/cards/dropout#demo"
    fresh = by_id["max-norm"]
    assert fresh["state"] == "new"
    assert (fresh["due"], fresh["retrievability"], fresh["stability"]) == (None, None, None)
    assert [card["id"] for card in cards(client, auth, state="review")["cards"]] == ["dropout"]


def test_sort_filter_search_and_pages(client: TestClient, auth: dict[str, str]) -> None:
    grade(client, auth, "dropout", 4)
    grade(client, auth, "l1-vs-l2", 1)
    ordered = [card["id"] for card in cards(client, auth, limit=200)["cards"]]
    assert ordered[0] == "what-is-regularization"
    by_stability = cards(client, auth, sort="stability", order="desc")["cards"]
    assert [card["id"] for card in by_stability[:2]] == ["dropout", "l1-vs-l2"]
    page = cards(client, auth, limit=5, offset=5)
    assert [card["id"] for card in page["cards"]] == ordered[5:10]
    assert (page["total"], page["limit"], page["offset"]) == (20, 5, 5)
    hard = cards(client, auth, difficulty="hard", deck="regularization", limit=200)
    assert hard["cards"]
    assert {card["difficulty"] for card in hard["cards"]} == {"hard"}
    topic = cards(client, auth, topic="dropout", limit=200)["cards"]
    assert topic
    assert all("dropout" in card["topics"] for card in topic)
    found = cards(client, auth, q="dropconnect")["cards"]
    assert "dropout-vs-dropconnect" in [card["id"] for card in found]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"sort": "evil"}, "sort"),
        ({"order": "sideways"}, "order"),
        ({"limit": 10**9}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"q": "a\x00b"}, "q"),
        ({"state": "asleep"}, "state"),
        ({"deck": "nope"}, "deck"),
        ({"topic": "nope"}, "topic"),
        ({"difficulty": "brutal"}, "difficulty"),
    ],
    ids=[
        "sort",
        "order",
        "limit-huge",
        "limit-zero",
        "offset",
        "q-nul",
        "state",
        "deck",
        "topic",
        "difficulty",
    ],
)
def test_bad_query_names_the_field(
    client: TestClient, auth: dict[str, str], query: dict[str, Any], field: str
) -> None:
    response = client.get(API, params=query, headers=auth)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", field]


def test_login_required(client: TestClient) -> None:
    assert client.get(API).status_code == 401


def test_suspend_unsuspend_unbury(client: TestClient, auth: dict[str, str]) -> None:
    response = act(client, auth, "suspend", ["dropout", "max-norm", "dropout"])
    assert response.status_code == 200
    assert response.json() == {
        "action": "suspend",
        "card_ids": ["dropout", "max-norm"],
        "reset_id": None,
        "undo_url": None,
    }
    suspended = cards(client, auth, state="suspended")["cards"]
    assert [card["id"] for card in suspended] == ["dropout", "max-norm"]
    act(client, auth, "unsuspend", ["dropout"])
    assert [card["id"] for card in cards(client, auth, state="suspended")["cards"]] == ["max-norm"]
    client.post("/api/v1/study/bury", json={"card_id": "l1-vs-l2"}, headers=auth)
    assert [card["id"] for card in cards(client, auth, state="buried")["cards"]] == ["l1-vs-l2"]
    assert act(client, auth, "unbury", ["l1-vs-l2"]).status_code == 200
    assert cards(client, auth, state="buried")["cards"] == []


def test_unknown_ids_are_named_and_nothing_changes(
    client: TestClient, auth: dict[str, str]
) -> None:
    for action in ("suspend", "reset"):
        response = act(client, auth, action, ["dropout", "nope", "gone"])
        assert response.status_code == 422
        assert response.json()["detail"] == [
            {
                "loc": ["body", "card_ids"],
                "msg": "unknown cards: nope, gone; nothing was changed",
                "type": "value_error",
                "input": ["nope", "gone"],
            }
        ]
    assert cards(client, auth, state="suspended")["cards"] == []


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"action": "explode", "card_ids": ["dropout"]}, ["body", "action"]),
        ({"action": "suspend", "card_ids": []}, ["body", "card_ids"]),
        ({"action": "suspend", "card_ids": ["x"] * 201}, ["body", "card_ids"]),
        ({"action": "suspend", "card_ids": "dropout"}, ["body", "card_ids"]),
        ({"action": "suspend", "card_ids": [7]}, ["body", "card_ids", 0]),
        ({"action": "suspend", "card_ids": ["dropout"], "extra": 1}, ["body", "extra"]),
    ],
    ids=["action", "empty", "too-many", "not-a-list", "not-text", "extra"],
)
def test_bad_action_bodies(
    client: TestClient, auth: dict[str, str], body: dict[str, Any], loc: list[str | int]
) -> None:
    response = client.post(f"{API}/actions", json=body, headers=auth)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_reset_and_undo(app: FastAPI, client: TestClient, auth: dict[str, str]) -> None:
    grade(client, auth, "dropout", 4)
    grade(client, auth, "dropout", 3)
    grade(client, auth, "l1-vs-l2", 1)
    before = cards(client, auth, limit=200)
    response = act(client, auth, "reset", ["dropout", "max-norm"])
    assert response.status_code == 200
    body = response.json()
    reset_id = body["reset_id"]
    assert body["card_ids"] == ["dropout", "max-norm"]
    assert body["undo_url"] == f"{API}/resets/{reset_id}/undo"
    assert cards(client, auth, state="review")["cards"] == []
    assert mismatches(app) == []

    undone = client.post(body["undo_url"], headers=auth)
    assert undone.status_code == 200
    assert undone.json()["reviews_restored"] == 2
    assert undone.json()["card_ids"] == ["dropout", "max-norm"]
    after = cards(client, auth, limit=200)
    for card in (*before["cards"], *after["cards"]):
        card.pop("retrievability")  # moves with the clock
    assert after == before
    assert mismatches(app) == []
    again = client.post(body["undo_url"], headers=auth)
    assert again.status_code == 409
    assert "undone already" in again.json()["detail"]


def test_undo_after_studying_again(client: TestClient, auth: dict[str, str]) -> None:
    grade(client, auth, "dropout", 4)
    body = act(client, auth, "reset", ["dropout"]).json()
    grade(client, auth, "dropout", 3)
    response = client.post(body["undo_url"], headers=auth)
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "Cannot undo this reset: card dropout studied since; undoing would overwrite the "
        "newer reviews. Nothing was changed."
    )
    assert cards(client, auth, state="learning")["cards"][0]["reviews"] == 1


def test_another_users_reset_is_404(client: TestClient, auth: dict[str, str]) -> None:
    body = act(client, auth, "reset", ["dropout"]).json()
    client.post("/api/v1/auth/register", json={"username": "bob", "password": PASSWORD})
    token = client.post(
        "/api/v1/auth/login", json={"username": "bob", "password": PASSWORD}
    ).json()["token"]
    client.cookies.clear()
    bob = {"Authorization": f"Bearer {token}"}
    assert client.post(body["undo_url"], headers=bob).status_code == 404
    assert client.post(f"{API}/resets/{uuid.uuid4()}/undo", headers=auth).status_code == 404
    bad = client.post(f"{API}/resets/nope/undo", headers=auth)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["path", "reset_id"]
