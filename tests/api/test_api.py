"""The JSON API under /api/v1: decks and cards, checked by equality."""

import pytest
from fastapi.testclient import TestClient

from app.content.render import latex_to_mathml
from tests.helpers import soup, urls_of

API = "/api/v1/decks"


def test_list_decks(client: TestClient) -> None:
    response = client.get(API)
    assert response.status_code == 200
    (deck,) = response.json()
    assert deck == {
        "id": "regularization",
        "title": "Deep Learning Regularization: 20 Interview Questions",
        "short_title": "Regularization 20 Essential Q/A",
        "tagline": "DL Interview Prep",
        "subtitle": deck["subtitle"],
        "topics": [
            {"id": "l1-l2", "label": "L1/L2"},
            {"id": "dropout", "label": "Dropout"},
            {"id": "batch-norm", "label": "Batch Norm"},
            {"id": "early-stopping", "label": "Early Stopping"},
            {"id": "data-aug", "label": "Data Aug"},
            {"id": "bias-variance", "label": "Bias-Variance"},
        ],
        "card_count": 20,
        "url": "/decks/regularization",
        "api_url": "/api/v1/decks/regularization",
        "cards_url": "/api/v1/decks/regularization/cards",
    }
    assert deck["subtitle"].startswith("Master L1/L2 regularization")


def test_read_deck(client: TestClient) -> None:
    body = client.get(f"{API}/regularization").json()
    assert body["verdict"] == "Regularization = bias↑ variance↓. Balance is key!"
    assert [group["name"] for group in body["cheatsheet"]["groups"]] == [
        "Parameter-based", "Layer-based", "Data-based", "Training-based", "Why regularize",
    ]  # fmt: skip
    formula = r"\alpha \approx \frac{1}{\tau\, \eta}"
    tip = (
        "Keep the best checkpoint and use patience. Like L2 only for plain gradient descent"
        " near a quadratic minimum, where $\\tau\\eta\\lambda_i \\ll 1$."
    )
    assert body["cheatsheet"]["groups"][3]["items"][0] == {
        "term": "Early Stop",
        "text": "Halt when val plateaus",
        "card": "early-stopping",
        "formula": formula,
        "formula_mathml": latex_to_mathml(formula, display=True),
        "tip": tip,
        "tip_html": tip.split("$")[0]
        + '<span class="math inline">'
        + latex_to_mathml(r"\tau\eta\lambda_i \ll 1", display=False)
        + "</span>.",
    }
    assert len(body["cards"]) == 20
    assert body["cards"][0] == {
        "id": "what-is-regularization",
        "deck": "regularization",
        "number": 1,
        "question": "What is regularization in deep learning? Why is it needed?",
        "difficulty": "easy",
        "topics": ["bias-variance"],
        "demo": "polynomial-fit",
        "url": "/decks/regularization/cards/what-is-regularization",
        "api_url": "/api/v1/decks/regularization/cards/what-is-regularization",
    }


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
    ("path", "detail"),
    [
        (f"{API}/nope", "There is no deck 'nope'. Decks: regularization."),
        (f"{API}/nope/cards", "There is no deck 'nope'. Decks: regularization."),
        (f"{API}/regularization/cards/nope", "Deck 'regularization' has no card 'nope'."),
        ("/api/v1/nothing", "Not Found"),
    ],
)
def test_unknown_ids_are_json_404(client: TestClient, path: str, detail: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": detail}


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


def test_openapi_documents_the_api(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert set(schema["paths"]) >= {
        "/api/v1/decks",
        "/api/v1/decks/{deck_id}",
        "/api/v1/decks/{deck_id}/cards",
        "/api/v1/decks/{deck_id}/cards/{card_id}",
        "/healthz",
    }
    assert not any(path.startswith("/decks") for path in schema["paths"])
    assert client.get("/docs").status_code == 200


def test_openapi_documents_the_cheat_sheet_item(client: TestClient) -> None:
    item = client.get("/openapi.json").json()["components"]["schemas"]["CheatItem"]
    assert sorted(item["properties"]) == [
        "card", "formula", "formula_mathml", "term", "text", "tip", "tip_html",
    ]  # fmt: skip
    described = {name for name, field in item["properties"].items() if field.get("description")}
    assert described == set(item["properties"]) - {"term"}


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "migrations": "ok",
        "decks": 1,
        "cards": 20,
    }


def test_api_docs_load_nothing_from_elsewhere(client: TestClient) -> None:
    page = soup(client.get("/docs"))
    urls = urls_of(page, "script[src], link[href]")
    assert urls
    for url in urls:
        assert url.startswith("/"), url
        assert client.get(url).status_code == 200, url


def test_livez(client: TestClient) -> None:
    assert client.get("/livez").json() == {"status": "ok"}
