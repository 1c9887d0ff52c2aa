"""The deck pages (home, card list with its filters, cheat sheet), checked with CSS selectors."""

import pytest
from fastapi.testclient import TestClient

from tests.helpers import attr, soup, text_of

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
        formula = 'dd.cheat-item__formula > .cheat-formula > math[display="block"]'
        assert item.select_one(formula), term
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
