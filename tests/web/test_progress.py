"""The progress page, driven as plain HTML (no JavaScript)."""

from fastapi.testclient import TestClient

from app import urls
from tests.helpers import attr, soup, text_of
from tests.web.test_predict_first import (
    DECK,
    asked,
    post_answer,
    predicting,
    question_page,
    wrong_answer,
)


def test_progress_page(user_client: TestClient) -> None:
    page = soup(user_client.get("/progress"))
    assert text_of(page, "h1") == "Your progress"
    assert text_of(page, "[data-state=new] dd") == "20"
    assert len(page.select(".mastery tbody tr")) == 6
    assert page.select("img.chart") == []
    forecast = page.select_one("[data-chart=forecast] [role=img]")
    assert forecast is not None
    assert forecast["aria-label"] == "Cards due on each of the next 30 days: none."
    calendar = page.select_one("[data-chart=calendar] [role=img]")
    assert calendar is not None
    assert calendar["aria-label"] == "No reviews in the last 26 weeks."
    assert len(page.select(".calendar__grid [data-level]")) > 7 * 25
    # The legend shows every step of the scale the days use, fewest first.
    steps = [str(cell["data-level"]) for cell in page.select("[data-calendar-legend] [data-level]")]
    assert steps == ["0", "1", "2", "3", "4"]
    assert text_of(page, "[data-calendar-legend]").endswith("Last 26 weeks. No reviews.")
    assert attr(page, 'link[rel="alternate"]', "href") == "/api/v1/progress"


def test_predictions_before_any_answer(user_client: TestClient) -> None:
    page = soup(user_client.get("/progress"))
    assert text_of(page, "[data-stat=predictions-30]") == "–"
    section = page.select_one("[data-section=predictions]")
    assert section is not None
    assert "Predict first" in text_of(section, "[data-empty]")
    assert section.select("[data-week]") == []
    assert text_of(page, "tr[data-topic=dropout] [data-predictions=recent]") == "none"


def test_predictions_after_answers_on_card_pages(user_client: TestClient) -> None:
    predicting(user_client)
    # dropout: wrong, then right; l1-vs-l2: wrong; max-norm (two topics): right.
    plan = [("dropout", False), ("dropout", True), ("l1-vs-l2", False), ("max-norm", True)]
    for seed, (card_id, right) in enumerate(plan):
        fields = question_page(user_client, card_id, seed)
        question = asked(card_id, seed)
        answer = question.question.expected if right else wrong_answer(question)
        post_answer(user_client, card_id, **fields, answer=answer)

    page = soup(user_client.get("/progress"))
    assert text_of(page, "[data-stat=predictions-30]") == "50%"
    assert text_of(page, "[data-predictions=total]") == "2 of 4 · 50%"
    assert text_of(page, "tr[data-topic=dropout] [data-predictions=recent]") == "2 of 3 · 67%"
    assert text_of(page, "tr[data-topic=l1-l2] [data-predictions=recent]") == "1 of 2 · 50%"
    assert text_of(page, "tr[data-topic=batch-norm] [data-predictions=recent]") == "none"
    assert page.select("[data-predictions=earlier]") == []
    weeks = page.select("[data-week]")
    assert len(weeks) == 8
    assert text_of(weeks[-1], ".weeks__value") == "2 of 4 · 50%"
    assert all(text_of(week, ".weeks__value") == "none" for week in weeks[:-1])

    # To revisit: the cards missed lately, most missed first, each linked to its demo.
    revisit = page.select(".revisit__item")
    assert [item["data-card"] for item in revisit] == ["l1-vs-l2", "dropout"]
    assert attr(revisit[0], "a", "href") == urls.card(DECK, "l1-vs-l2", fragment="demo")
    assert attr(revisit[0], "[data-outcomes]", "data-outcomes") == "w"
    assert attr(revisit[1], "[data-outcomes]", "data-outcomes") == "wr"
    assert "wrong 1 of the last 2" in text_of(revisit[1], ".revisit__detail")
    assert "last answers, oldest first: wrong, right" in text_of(revisit[1], ".revisit__detail")

    rows = page.select(".prediction-cards tbody tr")
    assert [row["data-card"] for row in rows] == ["l1-vs-l2", "dropout", "max-norm"]
    assert text_of(rows[1], "td") == "1 of 2 · 50%"
    for row in rows:
        response = user_client.get(attr(row, "a", "href"))
        assert response.status_code == 200


def test_nothing_to_revisit_when_the_last_answers_were_right(user_client: TestClient) -> None:
    predicting(user_client)
    for seed in (3, 4):
        fields = question_page(user_client, "dropout", seed)
        post_answer(
            user_client, "dropout", **fields, answer=asked("dropout", seed).question.expected
        )
    page = soup(user_client.get("/progress"))
    assert page.select(".revisit__item") == []
    assert "Nothing to revisit" in text_of(page, "[data-section=predictions] [data-empty]")
