"""What every HTML page shares: error pages, local assets only, no inline script."""

import pytest
from fastapi.testclient import TestClient

from tests.helpers import attr, soup, text_of, urls_of

DECK = "/decks/regularization"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/decks/nope", "There is no deck 'nope'. Decks: regularization."),
        ("/decks/nope/cheatsheet", "There is no deck 'nope'."),
        (f"{DECK}/cards/nope", "Deck 'regularization' has no card 'nope'."),
        ("/decks/nope/cards/dropout", "There is no deck 'nope'."),
        ("/no/such/page", "There is no page at /no/such/page."),
    ],
)
def test_unknown_deck_or_card_is_a_404_page(client: TestClient, path: str, message: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    page = soup(response)
    assert text_of(page, "h1") == "Not found"
    assert message in text_of(page, ".error-page__messages")
    assert attr(page, "a.brand", "href") == "/"


def test_method_not_allowed_is_a_page(client: TestClient) -> None:
    response = client.post(DECK)
    assert response.status_code == 405
    assert text_of(soup(response), "h1") == "Method not allowed"


def test_pages_load_only_local_assets(client: TestClient) -> None:
    for path in ("/", DECK, f"{DECK}/cards/dropout", f"{DECK}/cheatsheet"):
        page = soup(client.get(path))
        urls = urls_of(page, "script, link")
        assert urls
        assert all(url.startswith("/") for url in urls), urls
        for url in urls:
            if url.startswith(("/static/", "/assets/")):
                assert client.get(url).status_code == 200, url


def test_pages_have_no_inline_script(client: TestClient) -> None:
    page = soup(client.get(f"{DECK}/cards/dropout"))
    assert all(script.has_attr("src") and not script.string for script in page.select("script"))
    assert page.select("[onclick], [onload], [onkeydown]") == []


def test_highlight_css_has_both_themes(client: TestClient) -> None:
    page = soup(client.get("/"))
    url = next(url for url in urls_of(page, 'link[rel="stylesheet"]') if "highlight" in url)
    response = client.get(url)
    assert response.headers["content-type"].startswith("text/css")
    assert "immutable" in response.headers["cache-control"]
    assert ".highlight" in response.text
    assert "data-theme='dark'" in response.text
    assert "prefers-color-scheme: dark" in response.text
