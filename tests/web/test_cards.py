"""The card pages, checked with CSS selectors."""

from pathlib import Path

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.helpers import attr, soup, text_of

DECK = "/decks/regularization"


def test_card_page(client: TestClient) -> None:
    response = client.get(f"{DECK}/cards/dropout")
    assert response.status_code == 200
    page = soup(response)
    assert text_of(page, "h1.flashcard__question") == (
        "What is Dropout? Why does it prevent overfitting?"
    )
    assert text_of(page, ".flashcard__position") == "Question 4 of 20"
    assert text_of(page, ".flashcard__meta .badge") == "Medium"
    assert attr(page, ".flashcard__meta a.chip", "href") == f"{DECK}?topic=dropout"
    # The answer sits in a closed <details>: hidden until revealed, with or without JS.
    reveal = page.select_one("details.reveal")
    assert reveal is not None
    assert not reveal.has_attr("open")
    assert reveal.select_one("summary") is not None
    assert "inverted dropout" in text_of(reveal, ".answer").casefold()
    assert reveal.select(".formula math")
    assert reveal.select(".block--code .highlight pre span")  # highlighted tokens
    assert text_of(reveal, ".note").startswith("Erratum.")
    assert reveal.select(".pros-cons__col--pro li")
    assert attr(page, 'link[rel="alternate"]', "href") == (
        "/api/v1/decks/regularization/cards/dropout"
    )


def test_card_pros_cons_and_chips(client: TestClient) -> None:
    page = soup(client.get(f"{DECK}/cards/l2-weight-decay"))
    assert text_of(page, ".pros-cons__col--pro li") == ("Smooth, differentiable, works well")
    assert text_of(page, ".pros-cons__col--con li") == ("Doesn't induce sparsity")
    page = soup(client.get(f"{DECK}/cards/data-augmentation"))
    chips = [chip.get_text() for chip in page.select(".chip--keyword")]
    assert {"cropping", "rotation", "color jitter"} <= set(chips)


def test_card_previous_and_next(client: TestClient) -> None:
    page = soup(client.get(f"{DECK}/cards/dropout"))
    assert attr(page, 'link[rel="prev"]', "href") == f"{DECK}/cards/l1-vs-l2"
    assert attr(page, 'link[rel="next"]', "href") == f"{DECK}/cards/dropout-vs-dropconnect"
    assert attr(page, "a[data-key-prev]", "href") == f"{DECK}/cards/l1-vs-l2"
    assert attr(page, "a[data-key-next]", "href") == f"{DECK}/cards/dropout-vs-dropconnect"
    first = soup(client.get(f"{DECK}/cards/what-is-regularization"))
    assert first.select_one("a[data-key-prev]") is None
    last = soup(client.get(f"{DECK}/cards/bias-variance"))
    assert last.select_one('link[rel="next"]') is None
    assert attr(last, "a[data-key-next]", "href") == DECK


def test_every_card_page_renders(client: TestClient) -> None:
    cards = client.get("/api/v1/decks/regularization/cards").json()["cards"]
    for card in cards:
        response = client.get(card["url"])
        assert response.status_code == 200, card["url"]
        assert text_of(soup(response), "h1") == card["question"]


def test_every_card_page_shows_its_code_highlighted(client: TestClient) -> None:
    cards = client.get("/api/v1/decks/regularization/cards").json()["cards"]
    assert len(cards) == 20
    for card in cards:
        code = client.get(card["api_url"]).json()["code"]
        reveal = soup(client.get(card["url"])).select_one("details.reveal")
        assert reveal is not None, card["url"]
        assert text_of(reveal, ".block--code .block__lang") == "python"
        pre = reveal.select_one(".block--code .highlight pre")
        assert pre is not None, card["url"]
        assert pre.select("span.kn"), card["url"]  # `import` highlighted as a keyword
        assert pre.get_text().rstrip("\n") == code, card["url"]


def test_card_text_is_escaped(tmp_path: Path, content_copy: Path) -> None:
    card = content_copy / "regularization/cards/01-what-is-regularization.yaml"
    text = card.read_text(encoding="utf-8")
    text = text.replace("question: ", "question: <script>alert(1)</script> ", 1).replace(
        "answer: |\n", "answer: |\n  <img src=x onerror=alert(2)> **bold**\n", 1
    )
    card.write_text(text, encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path / "data", content_dir=content_copy, warm_demos=False, _env_file=None
    )
    with TestClient(create_app(settings)) as client:
        body = client.get(f"{DECK}/cards/what-is-regularization").text
        listing = client.get(DECK).text
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=alert(2)&gt;" in body
    assert "<strong>bold</strong>" in body
    assert "<script>alert(1)</script>" not in listing
