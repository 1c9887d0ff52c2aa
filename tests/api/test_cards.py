"""The cards API: lists with filters, one card, bad query parameters."""

import pytest
from fastapi.testclient import TestClient

API = "/api/v1/decks"


def test_list_cards_with_filters(client: TestClient) -> None:
    body = client.get(f"{API}/regularization/cards", params={"difficulty": "easy"}).json()
    assert (body["deck"], body["total"], body["count"]) == ("regularization", 20, 3)
    assert [card["id"] for card in body["cards"]] == [
        "what-is-regularization", "data-augmentation", "too-much-regularization",
    ]  # fmt: skip
    body = client.get(f"{API}/regularization/cards", params={"topic": "batch-norm"}).json()
    assert [card["number"] for card in body["cards"]] == [6, 7]
    body = client.get(f"{API}/regularization/cards", params={"q": "dropconnect"}).json()
    assert 5 in [card["number"] for card in body["cards"]]
    body = client.get(f"{API}/regularization/cards", params={"topic": "", "q": ""}).json()
    assert body["count"] == 20  # blank free-text filters mean "any"


def test_read_card(client: TestClient) -> None:
    body = client.get(f"{API}/regularization/cards/dropout").json()
    assert body["id"] == "dropout"
    assert body["number"] == 4
    assert body["difficulty"] == "medium"
    assert body["previous"] == "l1-vs-l2"
    assert body["next"] == "dropout-vs-dropconnect"
    assert body["code_language"] == "python"
    assert "(rng.random(out.shape) >= p) / (1 - p)" in body["code"]
    assert body["note"].startswith("**Erratum.**")
    assert body["note_html"].startswith("<p><strong>Erratum.</strong>")
    assert len(body["formula"]) == len(body["formula_mathml"]) >= 1
    assert all(math.startswith("<math") for math in body["formula_mathml"])
    assert body["url"] == "/decks/regularization/cards/dropout"
    first = client.get(f"{API}/regularization/cards/what-is-regularization").json()
    assert first["previous"] is None


@pytest.mark.parametrize(
    ("params", "error"),
    [
        (
            {"difficulty": "brutal"},
            {
                "type": "enum",
                "loc": ["query", "difficulty"],
                "msg": "Input should be 'easy', 'medium' or 'hard'",
                "input": "brutal",
            },
        ),
        (
            {"topic": "optimisation"},
            {
                "type": "value_error",
                "loc": ["query", "topic"],
                "msg": "unknown topic 'optimisation': use one of l1-l2, dropout, batch-norm, "
                "early-stopping, data-aug, bias-variance",
            },
        ),
        (
            {"q": "x" * 201},
            {
                "type": "string_too_long",
                "loc": ["query", "q"],
                "msg": "String should have at most 200 characters",
                "input": "x" * 201,
            },
        ),
    ],
)
def test_bad_query_parameters_are_422(
    client: TestClient, params: dict[str, str], error: dict[str, object]
) -> None:
    response = client.get(f"{API}/regularization/cards", params=params)
    assert response.status_code == 422
    assert response.json() == {"detail": [error]}
