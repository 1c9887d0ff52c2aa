"""Small things a new user notices: breadcrumbs, pager words, quotes, prose set as maths."""

import pytest
from fastapi.testclient import TestClient

from tests.helpers import soup, text_of
from tests.web.test_study import grade_form

DECK = "/decks/regularization"
TITLE = "Deep Learning Regularization: 20 Interview Questions"


@pytest.mark.parametrize(
    "path",
    [DECK, f"{DECK}/cheatsheet", f"{DECK}/cards/dropout"],
    ids=["deck", "cheatsheet", "card"],
)
def test_the_breadcrumb_names_the_deck_by_its_title(client: TestClient, path: str) -> None:
    page = soup(client.get(path))
    crumbs = [item.get_text(strip=True) for item in page.select(".breadcrumbs li")]
    assert crumbs[:2] == ["Decks", TITLE]


def test_the_pager_says_each_direction_once(client: TestClient) -> None:
    page = soup(client.get(f"{DECK}/cards/dropout"))
    assert text_of(page, ".pager__link--prev .pager__dir") == "← Previous"
    assert text_of(page, ".pager__link--next .pager__dir") == "Next →"
    last = soup(client.get(f"{DECK}/cards/bias-variance"))
    assert text_of(last, ".pager__link--next .pager__dir") == "Done →"


def test_the_undo_notice_of_a_question_has_no_stray_full_stop(user_client: TestClient) -> None:
    _card, data = grade_form(user_client, 4)
    user_client.post("/study/review", data=data)
    token = user_client.cookies["prepdeck_csrf"]
    response = user_client.post("/study/undo", data={"csrf_token": token})
    notice = text_of(soup(response), "[data-notice]")
    assert notice.endswith("Why is it needed?”")
    assert "?”." not in notice


def test_words_in_a_formula_are_set_as_text(client: TestClient) -> None:
    # Card 1's formula is a sentence in \text{...}: MathML's <mtext>, which the style sheet
    # sets in the text font rather than the maths font.
    page = soup(client.get(f"{DECK}/cards/what-is-regularization"))
    words = [mtext.get_text() for mtext in page.select(".block--formula math mtext")]
    assert "Overfitting" in words
    css = client.get("/static/style.css").text
    assert "math mtext { font-family: var(--font-sans); }" in css
