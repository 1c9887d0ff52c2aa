"""The explain API: an explained answer matched against the card's key points, nothing stored."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.content.key_points import card_text
from app.content.models import Card, Library
from app.rehearsal.matching import MAX_TEXT, match_points

CARD = "dropout"
EXPLAIN = f"/api/v1/decks/regularization/cards/{CARD}/explain"


def card_of(library: Library, card_id: str = CARD) -> Card:
    card = library.decks[0].card(card_id)
    assert card is not None
    return card


def expected(card: Card, text: str) -> dict[str, Any]:
    coverage = match_points(text, card.key_points)
    return {
        "points": [
            {
                "id": point.id,
                "text": point.text,
                "covered": point.covered,
                "matched_spans": [list(span) for span in point.spans],
            }
            for point in coverage.points
        ],
        "coverage": coverage.share,
        "suggested_rating": coverage.suggested_rating,
    }


def test_the_cards_own_text_makes_its_points(client: TestClient, library: Library) -> None:
    card = card_of(library)
    text = card_text(card)
    response = client.post(EXPLAIN, json={"text": text})
    assert response.status_code == 200
    body = response.json()
    assert body == expected(card, text)
    assert body["coverage"] >= 0.9
    assert body["suggested_rating"] == 3
    # Each span marks words of the text sent.
    for point in body["points"]:
        for start, end in point["matched_spans"]:
            assert 0 <= start < end <= len(text)


def test_nonsense_makes_no_point(client: TestClient, library: Library) -> None:
    body = client.post(EXPLAIN, json={"text": "purple elephants under a marmalade sky"}).json()
    assert body["coverage"] == 0
    assert body["suggested_rating"] == 1
    assert all(not point["covered"] and point["matched_spans"] == [] for point in body["points"])
    assert [point["id"] for point in body["points"]] == [p.id for p in card_of(library).key_points]


def test_an_answer_to_another_card_makes_few_points(client: TestClient, library: Library) -> None:
    text = card_text(card_of(library, "early-stopping"))
    body = client.post(EXPLAIN, json={"text": text}).json()
    assert body == expected(card_of(library), text)
    assert body["coverage"] <= 0.2


def test_a_guest_and_a_user_get_the_same_and_nothing_is_stored(
    client: TestClient, auth: dict[str, str], library: Library
) -> None:
    text = card_text(card_of(library))
    guest = client.post(EXPLAIN, json={"text": text}).json()
    user = client.post(EXPLAIN, json={"text": text}, headers=auth).json()
    assert guest == user
    exported = client.get("/api/v1/me/export", headers=auth).json()
    assert exported["reviews"] == []
    assert exported["quiz_attempts"] == []


def detail_locs(response: Any) -> list[list[Any]]:
    return [error["loc"] for error in response.json()["detail"]]


def test_text_over_the_limit_is_refused_naming_it(client: TestClient) -> None:
    response = client.post(EXPLAIN, json={"text": "a" * (MAX_TEXT + 1)})
    assert response.status_code == 422
    assert detail_locs(response) == [["body", "text"]]
    assert str(MAX_TEXT) in response.json()["detail"][0]["msg"]
    # At the limit it is matched.
    assert client.post(EXPLAIN, json={"text": "a " * (MAX_TEXT // 2)}).status_code == 200


def test_a_body_over_the_route_limit_is_413(client: TestClient) -> None:
    response = client.post(
        EXPLAIN,
        content=b'{"text": "' + b"a" * (70 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert "65536 bytes" in response.json()["detail"]


def test_wide_characters_up_to_the_limit_fit_the_body(client: TestClient) -> None:
    text = "漢" * MAX_TEXT
    assert client.post(EXPLAIN, json={"text": text}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"{}",
        b'{"text": null}',
        b'{"text": 5}',
        b'{"text": NaN}',
        b'{"text": 1e999}',
        b'{"text": ["a"]}',
        b'{"text": {"nested": {"deeper": "x"}}}',
        b'{"text": "ok", "extra": 1}',
        b"[]",
        b'"text"',
        b'{"text": "unclosed',
    ],
    ids=[
        "missing",
        "null",
        "number",
        "nan",
        "huge",
        "list",
        "nested",
        "extra",
        "array",
        "string",
        "broken",
    ],
)
def test_malformed_bodies_are_422_naming_the_field(client: TestClient, body: bytes) -> None:
    response = client.post(EXPLAIN, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"]


def test_nul_is_refused(client: TestClient) -> None:
    response = client.post(EXPLAIN, json={"text": "drops\x00units"})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "text"]
    assert "NUL" in error["msg"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/decks/regularization/cards/nope/explain",
        "/api/v1/decks/nope/cards/dropout/explain",
    ],
)
def test_an_unknown_card_is_404(client: TestClient, path: str) -> None:
    assert client.post(path, json={"text": "x"}).status_code == 404


def test_explain_is_in_the_api_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths["/api/v1/decks/{deck_id}/cards/{card_id}/explain"]) == {"post"}
