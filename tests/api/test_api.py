"""What the whole JSON API shares: 404s, the OpenAPI document, the docs page."""

import pytest
from fastapi.testclient import TestClient

from tests.helpers import soup, urls_of

API = "/api/v1/decks"


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


def test_api_docs_load_nothing_from_elsewhere(client: TestClient) -> None:
    page = soup(client.get("/docs"))
    urls = urls_of(page, "script[src], link[href]")
    assert urls
    for url in urls:
        assert url.startswith("/"), url
        assert client.get(url).status_code == 200, url
