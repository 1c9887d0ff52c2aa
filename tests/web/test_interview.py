"""The mock interview pages: setup, question, points made, follow-up, report; plain forms."""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from app.config import Settings
from app.content.loader import load_library
from app.models import CardState, InterviewAnswer, ReviewLog, User
from tests.accounts.test_accounts import signup
from tests.helpers import attr, soup, text_of
from tests.rehearsal.interview_content import FOLLOW_UP, KEYED, key_content


@pytest.fixture
def settings(settings: Settings, content_copy: Path) -> Settings:
    """The test settings on content with known key points."""
    return settings.model_copy(update={"content_dir": key_content(content_copy)})


def fields(form: Tag) -> dict[str, Any]:
    """Return a form's hidden fields."""
    return {
        str(field["name"]): field.get("value", "") for field in form.select("input[type=hidden]")
    }


def start(client: TestClient, **values: Any) -> str:
    """Start an interview through the setup form; return its page's path."""
    form = soup(client.get("/interview")).select_one("form[data-interview-setup]")
    assert form is not None
    response = client.post(
        "/interview",
        data={**fields(form), "questions": "5", "seconds_per_answer": "120", **values},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    location: str = response.headers["location"]
    return location


def answer(client: TestClient, path: str, text: str) -> BeautifulSoup:
    """Answer the step shown through its form; return the page the redirect leads to."""
    page = soup(client.get(path))
    form = page.select_one("form[data-answer-form]")
    assert form is not None
    response = client.post(
        str(form["action"]), data={**fields(form), "text": text}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == path
    return soup(client.get(path))


def test_the_setup_form_offers_every_choice(user_client: TestClient) -> None:
    page = soup(user_client.get("/interview"))
    assert attr(page, ".site-nav a[href='/interview']", "aria-current") == "page"
    form = page.select_one("form[data-interview-setup]")
    assert form is not None
    assert attr(form, "input[name=questions]", "value") == "5"
    assert attr(form, "input[name=seconds_per_answer]", "value") == "120"
    assert [box["value"] for box in form.select("input[name=decks]")] == ["regularization"]
    assert len(form.select("input[name=topics]")) == 6
    assert [box["value"] for box in form.select("input[name=difficulty]")] == [
        "easy",
        "medium",
        "hard",
    ]
    assert form.select("input[type=checkbox][checked]") == []
    assert attr(form, "input[name=csrf_token]", "value")


def test_a_bad_setup_is_shown_again_naming_the_field(user_client: TestClient) -> None:
    form = soup(user_client.get("/interview")).select_one("form[data-interview-setup]")
    assert form is not None
    response = user_client.post(
        "/interview",
        data={**fields(form), "questions": "50", "seconds_per_answer": "120", "topics": "dropout"},
    )
    assert response.status_code == 422
    page = soup(response)
    assert text_of(page, "[data-setup-error]") == "questions: send 1 to 20, not 50"
    assert attr(page, "input[name=questions]", "aria-invalid") == "true"
    assert attr(page, "input[name=questions]", "value") == "50"
    assert page.select_one("input[name=topics][value=dropout]").has_attr("checked")  # type: ignore[union-attr]


def test_a_question_then_its_points_and_follow_up_then_the_report(
    user_client: TestClient, app: FastAPI
) -> None:
    path = start(user_client, questions="1")
    page = soup(user_client.get(path))
    library = load_library(app.state.settings.content_dir)
    questions = {card.question for deck in library.decks for card in deck.cards if card.id in KEYED}
    assert text_of(page, "h1#step-question") in questions
    assert attr(page, "[data-step]", "data-step") == "question"
    assert text_of(page, "label[for=answer-text]") == (
        "Type your answer, or answer aloud and type the gist."
    )
    assert attr(page, "textarea#answer-text", "maxlength") == "5000"
    assert text_of(page, "button[data-done]") == "Done"
    assert page.select("[data-last-answer]") == []
    assert page.select_one("script[src^='/static/interview.js']") is not None
    assert page.select_one("[aria-live][data-countdown-live]") is not None

    page = answer(user_client, path, "An apple and a cherry")
    assert text_of(page, "[data-coverage-score]") == "You made 2 of 3 key points (67%)."
    assert [li["data-covered"] for li in page.select("[data-point]")] == ["yes", "no", "yes"]
    assert [m.get_text() for m in page.select("[data-explained] mark")] == ["apple", "cherry"]
    assert attr(page, "[data-step]", "data-step") == "follow_up"
    assert text_of(page, "h1#step-question") == FOLLOW_UP
    assert page.select_one("textarea#answer-text").get_text() == ""  # type: ignore[union-attr]

    page = answer(user_client, path, "No idea")
    assert page.select_one("[data-report]") is not None
    [question] = page.select("[data-question]")
    card_id = str(question["data-question"])
    assert attr(question, "a[data-card-link]", "href") == (f"/decks/regularization/cards/{card_id}")
    assert question["data-score"] == "0.400"
    assert text_of(question, "[data-revisit]") == "worth revisiting"
    assert [
        text_of(p, "[data-part-coverage]") for p in question.select(".interview-report__part")
    ] == ["67%", "0%"]
    demo = question.select_one("a[data-demo-link]")
    card = next(c for d in library.decks for c in d.cards if c.id == card_id)
    assert (demo is not None) == bool(card.demo)
    if demo is not None:
        assert demo["href"] == f"/decks/regularization/cards/{card_id}#demo"
    form = page.select_one("form[data-study-missed]")
    assert form is not None
    assert form["method"] == "get"
    assert form["action"] == "/study"
    assert fields(form) == {"cards": card_id, "practice": "true"}
    assert text_of(form, "button") == "Add the missed cards to today's study"
    gaps = [li["data-topic"] for li in page.select("[data-gaps] li")]
    assert sorted(gaps) == sorted(card.topics)
    assert page.select("[data-strengths] li") == []

    study = soup(user_client.get("/study", params=fields(form)))
    assert attr(study, "article.flashcard", "data-card") == card_id
    assert text_of(study, "[data-card-filter]").startswith("Only 1 chosen card:")
    with app.state.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(CardState)) == 0
        assert session.scalar(select(func.count()).select_from(ReviewLog)) == 0


def test_the_deadline_is_a_clock_time_in_the_users_zone(
    user_client: TestClient, app: FastAPI
) -> None:
    with app.state.sessionmaker() as session:
        session.execute(update(User).values(timezone="Asia/Tokyo"))
        session.commit()
    path = start(user_client, questions="1", seconds_per_answer="90")
    page = soup(user_client.get(path))
    deadline = datetime.fromisoformat(attr(page, "[data-deadline-text] time", "datetime"))
    local = deadline.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M")
    assert text_of(page, "[data-deadline-text]") == (
        f"Answer by {local} (Asia/Tokyo): 90 seconds from when the question was shown."
    )
    left = int(attr(page, "[data-deadline]", "data-seconds-left"))
    assert 80 <= left <= 90


def test_a_late_answer_is_kept_and_marked_over_time(user_client: TestClient, app: FastAPI) -> None:
    path = start(user_client, questions="1", seconds_per_answer="30")
    with app.state.sessionmaker() as session:
        shown = session.scalar(select(InterviewAnswer.shown_at))
        assert shown is not None
        session.execute(update(InterviewAnswer).values(shown_at=shown - timedelta(minutes=2)))
        session.commit()
    page = answer(user_client, path, "apple")
    assert text_of(page, "[data-last-answer] [data-over-time]") == "over time"
    assert text_of(page, "[data-last-time]").startswith("12")


def test_writes_without_the_csrf_token_are_refused(user_client: TestClient) -> None:
    response = user_client.post("/interview", data={"questions": "1"})
    assert response.status_code == 403
    path = start(user_client, questions="1")
    form = soup(user_client.get(path)).select_one("form[data-answer-form]")
    assert form is not None
    data = {**fields(form), "text": "apple"}
    del data["csrf_token"]
    assert user_client.post(str(form["action"]), data=data).status_code == 403
    assert soup(user_client.get(path)).select("[data-last-answer]") == []


def test_an_answer_to_a_step_already_answered_says_what_comes_next(
    user_client: TestClient,
) -> None:
    path = start(user_client, questions="1")
    form = soup(user_client.get(path)).select_one("form[data-answer-form]")
    assert form is not None
    data = {**fields(form), "text": "apple"}
    user_client.post(str(form["action"]), data=data)
    response = user_client.post(
        str(form["action"]), data={**data, "answer_id": "6f1c5b0e-7d2a-4c1e-9a3b-2d4e5f6a7b8c"}
    )
    assert response.status_code == 409
    assert text_of(soup(response), "[data-notice]") == (
        "You answered question 1, but the follow-up of question 1 comes next: answer that one."
    )


def test_text_over_the_limit_is_refused_and_kept(user_client: TestClient) -> None:
    path = start(user_client, questions="1")
    form = soup(user_client.get(path)).select_one("form[data-answer-form]")
    assert form is not None
    response = user_client.post(str(form["action"]), data={**fields(form), "text": "x" * 5001})
    assert response.status_code == 413
    page = soup(response)
    assert text_of(page, "[data-notice]") == (
        "text: 5001 characters; send at most 5000 (shorten the answer)"
    )
    assert page.select_one("textarea#answer-text").get_text() == "x" * 5001  # type: ignore[union-attr]


def test_another_users_interview_is_not_found(user_client: TestClient) -> None:
    path = start(user_client, questions="1")
    user_client.cookies.clear()
    signup(user_client, "bob")
    assert user_client.get(path).status_code == 404
    assert user_client.get("/interview/not-an-id").status_code == 404


def test_study_refuses_an_unknown_card_in_its_filter(user_client: TestClient) -> None:
    response = user_client.get("/study", params={"cards": "nope"})
    assert response.status_code == 422
    assert "cards: unknown card 'nope'" in soup(response).get_text()
