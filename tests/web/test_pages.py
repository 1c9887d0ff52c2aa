"""The HTML pages, checked with CSS selectors."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.helpers import attr, soup, text_of, urls_of

DECK = "/decks/regularization"


def test_home_lists_the_deck(client: TestClient) -> None:
    page = soup(client.get("/"))
    titles = [a.get_text(strip=True) for a in page.select(".deck-tile__title a")]
    assert titles == ["Deep Learning Regularization: 20 Interview Questions"]
    assert attr(page, ".deck-tile__title a", "href") == DECK
    assert text_of(page, ".deck-tile__count") == "20 cards"
    assert attr(page, 'link[rel="alternate"][type="application/json"]', "href") == ("/api/v1/decks")


def test_deck_page_lists_all_cards_in_order(client: TestClient) -> None:
    page = soup(client.get(DECK))
    rows = page.select(".card-list .card-row")
    assert len(rows) == 20
    assert [text_of(row, ".card-row__number") for row in rows] == [str(n) for n in range(1, 21)]
    first = rows[0]
    assert attr(first, "a.card-row__question", "href") == f"{DECK}/cards/what-is-regularization"
    assert text_of(first, ".badge") == "Easy"
    assert [chip.get_text(strip=True) for chip in first.select(".chip")] == ["Bias-Variance"]
    assert text_of(page, "h1") == "Deep Learning Regularization: 20 Interview Questions"
    assert [a.get_text(strip=True) for a in page.select(".hero .chip")] == [
        "L1/L2", "Dropout", "Batch Norm", "Early Stopping", "Data Aug", "Bias-Variance",
    ]  # fmt: skip
    assert attr(page, 'link[rel="alternate"]', "href") == "/api/v1/decks/regularization/cards"


@pytest.mark.parametrize(
    ("query", "numbers"),
    [
        ("difficulty=easy", ["1", "8", "19"]),
        ("topic=batch-norm", ["6", "7"]),
        ("q=sparse", ["3"]),
        ("q=feature+selection", ["3"]),
        ("difficulty=hard&topic=dropout", ["5", "12", "15"]),
        ("q=MIXUP", ["16"]),
        ("difficulty=&topic=&q=", [str(n) for n in range(1, 21)]),
    ],
)
def test_deck_filters(client: TestClient, query: str, numbers: list[str]) -> None:
    response = client.get(f"{DECK}?{query}")
    assert response.status_code == 200
    page = soup(response)
    found = [text_of(row, ".card-row__number") for row in page.select(".card-row")]
    assert found == numbers


def test_deck_filter_form_keeps_its_values(client: TestClient) -> None:
    page = soup(client.get(f"{DECK}?difficulty=hard&topic=dropout&q=drop"))
    assert attr(page, "#q", "value") == "drop"
    assert attr(page, "#difficulty option[selected]", "value") == "hard"
    assert attr(page, "#topic option[selected]", "value") == "dropout"
    assert text_of(page, ".result-count") == "3 of 20 cards match"
    assert attr(page, 'link[rel="alternate"]', "href") == (
        "/api/v1/decks/regularization/cards?difficulty=hard&topic=dropout&q=drop"
    )


def test_deck_filter_with_no_match_says_so(client: TestClient) -> None:
    page = soup(client.get(f"{DECK}?q=zebra"))
    assert page.select(".card-row") == []
    assert text_of(page, ".empty p") == "No card matches these filters."


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("difficulty=brutal", "difficulty: Input should be 'easy', 'medium' or 'hard'"),
        ("topic=optimisation", "topic: unknown topic 'optimisation': use one of l1-l2"),
        ("q=" + "x" * 201, "q: String should have at most 200 characters"),
    ],
)
def test_deck_bad_filter_is_a_422_page(client: TestClient, query: str, message: str) -> None:
    response = client.get(f"{DECK}?{query}")
    assert response.status_code == 422
    page = soup(response)
    assert text_of(page, "h1") == "Invalid parameter"
    assert message in text_of(page, ".error-page__messages")


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


def test_cheatsheet_page(client: TestClient) -> None:
    page = soup(client.get(f"{DECK}/cheatsheet"))
    assert text_of(page, "h1") == "Regularization – Interview Cheat Sheet"
    groups = [text_of(group, "h2") for group in page.select(".cheat-group")]
    assert groups == [
        "Parameter-based", "Layer-based", "Data-based", "Training-based", "Why regularize",
    ]  # fmt: skip
    items = page.select(".cheat-item")
    assert len(items) == 14
    assert text_of(items[0], "dt") == "L1"
    assert text_of(items[0], "dd") == "Sparse weights, feature selection"
    assert attr(items[0], "dt a", "href") == f"{DECK}/cards/l1-vs-l2"
    assert text_of(page, ".verdict") == "Verdict Regularization = bias↑ variance↓. Balance is key!"
    assert attr(page, 'link[rel="alternate"]', "href") == "/api/v1/decks/regularization"


def test_every_cheatsheet_item_shows_its_formula_and_tip(client: TestClient) -> None:
    page = soup(client.get(f"{DECK}/cheatsheet"))
    items = page.select(".cheat-item")
    assert items
    for item in items:
        term = text_of(item, "dt")
        assert item.select_one('dd.cheat-item__formula > math[display="block"]'), term
        assert text_of(item, "dd.cheat-item__tip"), term
    smoothing = next(item for item in items if text_of(item, "dt") == "Label Smooth")
    assert "calibration" in text_of(smoothing, ".cheat-item__tip")
    assert smoothing.select_one(".cheat-item__tip math")  # inline math in the tip
    terms = [text_of(item, "dt") for item in items]
    assert {"AdamW", "Mixup / CutMix", "Bias-variance"} <= set(terms)


def test_cheatsheet_has_a_one_page_print_style(client: TestClient) -> None:
    page = soup(client.get(f"{DECK}/cheatsheet"))
    assert page.select_one("body.page-cheatsheet") is not None
    css = client.get(attr(page, 'link[rel="stylesheet"][href*="style"]', "href")).text
    print_rules = "".join(block.split("\n}\n", 1)[0] for block in css.split("@media print {")[1:])
    assert ".page-cheatsheet .cheat-grid { display: block; columns: 2;" in print_rules
    assert ':root[data-theme="dark"] { color-scheme: light; }' in print_rules
    assert ".page-cheatsheet .cheat-group {" in print_rules
    assert "break-inside: avoid" in print_rules


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
