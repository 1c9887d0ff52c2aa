"""Explain it back as plain HTML forms: on a card page and in study, before the answer."""

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from app import urls
from app.content.key_points import card_text
from app.content.models import Card, Library
from app.rehearsal.matching import MAX_TEXT, match_points
from tests.helpers import attr, soup, text_of
from tests.web.test_predict_first import predicting
from tests.web.test_study_quiz import FIRST, answer, asked_of, question_form, wrong_answer

DECK = "regularization"
CARD = "dropout"
NONSENSE = "purple elephants under a marmalade sky"


def card_of(library: Library, card_id: str) -> Card:
    card = library.decks[0].card(card_id)
    assert card is not None
    return card


def explained_page(client: TestClient, text: str, card_id: str = CARD) -> BeautifulSoup:
    response = client.post(urls.explain(DECK, card_id), data={"text": text})
    assert response.status_code == 200, response.text
    return soup(response)


def test_the_card_page_asks_for_an_explanation_with_the_answer_closed(
    client: TestClient, library: Library
) -> None:
    page = soup(client.get(urls.card(DECK, CARD)))
    form = page.select_one("[data-explain] form[data-explain-form]")
    assert form is not None
    assert form["action"] == urls.explain(DECK, CARD) + "#explain"
    assert attr(form, "textarea", "maxlength") == str(MAX_TEXT)
    assert f"the {len(card_of(library, CARD).key_points)} key points" in text_of(
        form, "#explain-hint"
    )
    assert page.select_one("details.reveal[open]") is None
    # The points themselves are not shown before the explanation.
    for point in card_of(library, CARD).key_points:
        assert point.text not in page.text


def test_an_explanation_shows_points_made_and_missed_beside_the_open_answer(
    client: TestClient, library: Library
) -> None:
    card = card_of(library, CARD)
    first = card.key_points[0]
    text = card_text(card).split("\n")[0]
    coverage = match_points(text, card.key_points)
    page = explained_page(client, text)
    assert page.select_one("details.reveal[open]") is not None
    points = page.select("[data-coverage] [data-point]")
    assert [p["data-point"] for p in points] == [point.id for point in card.key_points]
    assert [p["data-covered"] for p in points] == [
        "yes" if point.covered else "no" for point in coverage.points
    ]
    made = sum(point.covered for point in coverage.points)
    assert text_of(page, "[data-coverage-score]") == (
        f"You made {made} of {len(card.key_points)} key points ({round(coverage.share * 100)}%)."
    )
    marks = [mark.get_text() for mark in page.select("[data-explained] mark")]
    assert marks == [text[a:b] for a, b in coverage.spans]
    assert first.text in page.text
    if card.follow_ups:
        assert [li.get_text() for li in page.select("[data-follow-ups] li")] == [
            f.question for f in card.follow_ups
        ]
    assert attr(page, "a[data-explain-again]", "href") == urls.card(DECK, CARD, fragment="explain")


def test_the_learners_text_is_escaped(client: TestClient) -> None:
    page = explained_page(client, '<script>alert("x")</script> drops units at random')
    quoted = page.select_one("[data-explained]")
    assert quoted is not None
    assert quoted.select("script") == []
    assert '<script>alert("x")</script>' in quoted.get_text()


def test_nonsense_makes_nothing(client: TestClient) -> None:
    page = explained_page(client, NONSENSE)
    assert {p["data-covered"] for p in page.select("[data-point]")} == {"no"}
    assert page.select("[data-explained] mark") == []


@pytest.mark.parametrize(
    ("text", "status", "needle"),
    [
        ("   ", 422, "text: type your explanation first"),
    ],
)
def test_bad_text_is_named_and_keeps_the_form(
    client: TestClient, text: str, status: int, needle: str
) -> None:
    response = client.post(urls.explain(DECK, CARD), data={"text": text})
    assert response.status_code == status
    page = soup(response)
    assert needle in text_of(page, "[data-explain-error]")
    assert page.select_one("form[data-explain-form] textarea") is not None


def test_nul_is_refused_naming_it(client: TestClient) -> None:
    response = client.post(urls.explain(DECK, CARD), data={"text": "a\x00b"})
    assert response.status_code == 422
    assert "NUL" in response.text
    assert "text" in response.text


def test_text_over_the_limit_is_422_naming_it(client: TestClient) -> None:
    response = client.post(urls.explain(DECK, CARD), data={"text": "a" * (MAX_TEXT + 1)})
    assert response.status_code == 422
    assert "text" in response.text
    assert str(MAX_TEXT) in response.text


def test_an_unknown_card_is_404(client: TestClient) -> None:
    assert client.post(urls.explain(DECK, "nope"), data={"text": "x"}).status_code == 404


def test_predict_first_keeps_the_figure_hidden_after_explaining(client: TestClient) -> None:
    predicting(client, CARD)
    page = explained_page(client, NONSENSE)
    assert page.select_one("form[data-quiz-form]") is not None
    assert page.select("img[data-demo-image], img[data-quiz-image]") == []


# Study


def study_explain_form(client: TestClient) -> tuple[BeautifulSoup, dict[str, str]]:
    page = soup(client.get("/study"))
    form = page.select_one("[data-explain] form[data-explain-form]")
    assert form is not None
    assert form["action"] == urls.study_explain()
    data = {str(f["name"]): str(f.get("value", "")) for f in form.select("input[type=hidden]")}
    return page, data


def test_study_offers_to_explain_before_the_question(user_client: TestClient) -> None:
    page, data = study_explain_form(user_client)
    assert data["card_id"] == FIRST
    assert "csrf_token" in data
    # The demo's question is there too, to skip the explanation; the answer is not.
    assert page.select_one("form[data-quiz-form]") is not None
    assert page.select_one("details.reveal") is None


def test_an_explanation_in_study_then_the_question_then_the_suggested_grade(
    user_client: TestClient, library: Library
) -> None:
    card = card_of(library, FIRST)
    _page, data = study_explain_form(user_client)
    text = NONSENSE + ". " + card.key_points[0].text
    coverage = match_points(text, card.key_points)
    response = user_client.post(urls.study_explain(), data={**data, "text": text})
    assert response.status_code == 200
    page = soup(response)
    assert [p["data-covered"] for p in page.select("[data-point]")] == [
        "yes" if p.covered else "no" for p in coverage.points
    ]
    # The question comes next, carrying the explanation; still no answer in the page.
    assert page.select_one("details.reveal") is None
    form = page.select_one("form[data-quiz-form]")
    assert form is not None
    fields = {str(f["name"]): str(f.get("value", "")) for f in form.select("input[type=hidden]")}
    assert fields["explained"] == text
    # A right prediction: the suggestion is the lower of Good and the explanation's.
    asked = asked_of(fields)
    page = soup(answer(user_client, fields, answer=asked.question.expected))
    assert page.select_one("details.reveal[open] form[data-grade-form]") is not None
    assert [p["data-covered"] for p in page.select("[data-point]")] == [
        "yes" if p.covered else "no" for p in coverage.points
    ]
    rating = min(3, coverage.suggested_rating)
    assert attr(page, "button[data-suggested]", "value") == str(rating)
    made = sum(p.covered for p in coverage.points)
    assert text_of(page, "#grade-suggested").startswith(
        f"Suggested: {['Again', 'Hard', 'Good'][rating - 1]}, as your prediction was right and "
        f"your explanation made {made} of {len(card.key_points)} key points."
    )


def test_a_wrong_prediction_after_a_full_explanation_suggests_again(
    user_client: TestClient, library: Library
) -> None:
    card = card_of(library, FIRST)
    _page, data = study_explain_form(user_client)
    text = card_text(card)
    user_client.post(urls.study_explain(), data={**data, "text": text})
    _page, fields = question_form(user_client)
    fields["explained"] = text
    page = soup(answer(user_client, fields, answer=wrong_answer(asked_of(fields))))
    assert attr(page, "button[data-suggested]", "value") == "1"


def test_study_explanation_of_another_card_is_409(user_client: TestClient) -> None:
    _page, data = study_explain_form(user_client)
    response = user_client.post(
        urls.study_explain(), data={**data, "card_id": "dropout", "text": "x"}
    )
    assert response.status_code == 409
    assert "not the card due now" in text_of(soup(response), "[data-notice]")


def test_study_explanation_needs_the_csrf_token(user_client: TestClient) -> None:
    _page, data = study_explain_form(user_client)
    del data["csrf_token"]
    response = user_client.post(urls.study_explain(), data={**data, "text": "x"})
    assert response.status_code == 403


def test_study_explanation_bad_text(user_client: TestClient) -> None:
    _page, data = study_explain_form(user_client)
    response = user_client.post(urls.study_explain(), data={**data, "text": " "})
    assert response.status_code == 422
    assert "type your explanation first" in text_of(soup(response), "[data-explain-error]")
    response = user_client.post(urls.study_explain(), data={**data, "text": "x" * (MAX_TEXT + 1)})
    assert response.status_code == 422
