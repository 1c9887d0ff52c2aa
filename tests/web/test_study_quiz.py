"""The study page asks a due card's question before its answer (plain HTML forms, no JS)."""

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import urls
from app.figures.params import query_of
from app.figures.questions import LETTERS, Asked, ask
from app.figures.registry import demos
from app.models import CardState, QuizAttempt, ReviewLog, User
from app.study.attempts import study_seed
from tests.accounts.test_accounts import signup
from tests.helpers import attr, soup, text_of

FIRST = "what-is-regularization"  # the first card due, whose demo asks questions
FIRST_DEMO = "polynomial-fit"


def user_id(app: FastAPI, username: str = "ada") -> int:
    """Return the id of a user signed up through the form."""
    session: Session
    with app.state.sessionmaker() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        return user.id


def question_form(client: TestClient, query: str = "") -> tuple[BeautifulSoup, dict[str, str]]:
    """Return the study page and the hidden fields of its question's form."""
    page = soup(client.get(f"/study{query}"))
    form = page.select_one("form[data-quiz-form]")
    assert form is not None, "no question on the study page"
    assert form["action"] == urls.study_quiz()
    data = {str(f["name"]): str(f.get("value", "")) for f in form.select("input[type=hidden]")}
    return page, data


def asked_of(data: dict[str, str], demo_id: str = FIRST_DEMO) -> Asked:
    """Return the question the form's seed draws."""
    return ask(demos()[demo_id], int(data["seed"]))


def wrong_answer(asked: Asked) -> str:
    """Return an answer the question counts as wrong."""
    q = asked.question
    if q.kind == "choice":
        return next(letter for letter in LETTERS[: len(q.choices)] if letter != q.expected)
    return f"{q.value + 10 * q.tolerance + 1:g}"


def answer(client: TestClient, data: dict[str, str], **fields: str) -> Any:
    """Post the question's form with an answer (or show=1)."""
    return client.post(urls.study_quiz(), data={**data, **fields})


def attempts(app: FastAPI) -> list[QuizAttempt]:
    """Return every stored attempt."""
    with app.state.sessionmaker() as session:
        return list(session.scalars(select(QuizAttempt).order_by(QuizAttempt.id)))


def test_the_question_comes_before_the_figure_and_the_answer(
    user_client: TestClient, app: FastAPI
) -> None:
    page, data = question_form(user_client)
    assert attr(page, "article.flashcard", "data-card") == FIRST
    assert data["card_id"] == FIRST
    assert int(data["seed"]) == study_seed(user_id(app), FIRST, 0)
    asked = asked_of(data)
    demo = demos()[FIRST_DEMO]
    assert text_of(page, "[data-quiz-prompt]") == asked.question.prompt
    for selector in ("img", "figure", "figcaption", "[alt]", "[data-quiz-explanation]"):
        assert page.select(selector) == [], selector
    for selector in ("[data-quiz-expected]", "details.reveal", "form[data-grade-form]"):
        assert page.select(selector) == [], selector
    words = page.get_text(" ")
    assert asked.question.explanation not in words
    assert demo.summary(demo.compute(asked.params)) not in words
    # The same review asks the same question.
    assert question_form(user_client)[1]["seed"] == data["seed"]


@pytest.mark.parametrize(("right", "verdict", "rating"), [(True, "right", 3), (False, "wrong", 1)])
def test_an_answer_shows_the_verdict_the_figure_and_the_suggested_grade(
    user_client: TestClient, right: bool, verdict: str, rating: int
) -> None:
    _page, data = question_form(user_client)
    asked = asked_of(data)
    given = asked.question.expected if right else wrong_answer(asked)
    response = answer(user_client, data, answer=given)
    assert response.status_code == 200, response.text
    page = soup(response)
    assert attr(page, "article.flashcard", "data-card") == FIRST
    assert attr(page, "[data-verdict]", "data-verdict") == verdict
    assert text_of(page, "[data-quiz-explanation]") == asked.question.explanation
    assert text_of(page, "[data-quiz-expected]").startswith(asked.question.expected)
    demo = demos()[FIRST_DEMO]
    image = page.select_one("img[data-quiz-image]")
    assert image is not None
    assert image["src"] == urls.api_demo_image(demo.id, "png", urlencode(query_of(asked.params)))
    assert image["alt"] == demo.summary(demo.compute(asked.params))
    assert text_of(page, "[data-quiz-summary]") == image["alt"]
    assert page.select_one("form[data-quiz-form]") is None
    # The card's answer is revealed and the grade the verdict suggests is marked.
    assert page.select_one("details.reveal[open] form[data-grade-form]") is not None
    suggested = page.select("button[data-suggested]")
    assert [button["value"] for button in suggested] == [str(rating)]
    assert "grade--suggested" in suggested[0]["class"]
    assert suggested[0].has_attr("autofocus")
    described = str(suggested[0]["aria-describedby"]).split()
    assert all(page.select_one(f"#{name}") is not None for name in described)
    assert "suggested" in text_of(page, "#grade-suggested").lower()
    assert [b["value"] for b in page.select("form[data-grade-form] button[name=rating]")] == [
        "1",
        "2",
        "3",
        "4",
    ]


def test_show_skips_the_question_suggests_nothing_and_stores_nothing(
    user_client: TestClient, app: FastAPI
) -> None:
    _page, data = question_form(user_client)
    response = answer(user_client, data, show="1")
    assert response.status_code == 200
    page = soup(response)
    assert attr(page, "[data-verdict]", "data-verdict") == "shown"
    assert page.select_one("img[data-quiz-image]") is not None
    assert page.select_one("details.reveal[open] form[data-grade-form]") is not None
    assert page.select("[data-suggested], .grade--suggested, #grade-suggested") == []
    assert attempts(app) == []


def test_the_attempt_is_stored_once_when_the_form_is_sent_again(
    user_client: TestClient, app: FastAPI
) -> None:
    _page, data = question_form(user_client)
    asked = asked_of(data)
    for _ in range(2):
        response = answer(user_client, data, answer=asked.question.expected, duration_ms="4200")
        assert response.status_code == 200
    stored = attempts(app)
    assert len(stored) == 1
    attempt = stored[0]
    assert (attempt.attempt_id, attempt.card_id, attempt.seed) == (
        data["attempt_id"],
        FIRST,
        int(data["seed"]),
    )
    assert (attempt.demo_id, attempt.kind_id) == (FIRST_DEMO, asked.kind_id)
    assert (attempt.answer, attempt.correct, attempt.duration_ms) == (
        asked.question.expected,
        True,
        4200,
    )
    # The same attempt_id for another answer is refused.
    response = answer(user_client, data, answer=wrong_answer(asked))
    assert response.status_code == 409
    assert "send a new attempt_id" in text_of(soup(response), "[data-notice]")
    assert len(attempts(app)) == 1


@pytest.mark.parametrize("bad", ["z", "NaN", "inf", "1e400", "", " "])
def test_a_bad_answer_is_refused_with_422_naming_it(
    user_client: TestClient, app: FastAPI, bad: str
) -> None:
    _page, data = question_form(user_client)
    response = answer(user_client, data, answer=bad)
    assert response.status_code == 422
    page = soup(response)
    assert text_of(page, "[data-quiz-error]").startswith("answer: ")
    # The question is asked again, still without its figure or answer.
    assert page.select_one("form[data-quiz-form]") is not None
    assert page.select("img, [data-quiz-explanation], form[data-grade-form]") == []
    assert attempts(app) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("answer", "1" * 41),
        ("answer", "\x00"),
        ("seed", "99999999999"),
        ("seed", "-1"),
        ("seed", "NaN"),
        ("attempt_id", "not-a-uuid"),
        ("duration_ms", "-5"),
        ("duration_ms", "1e99"),
        ("card_id", ""),
        ("card_id", "x" * 81),
    ],
)
def test_malformed_fields_are_refused_with_422_naming_them(
    user_client: TestClient, app: FastAPI, field: str, value: str
) -> None:
    _page, data = question_form(user_client)
    response = answer(user_client, {**data, field: value})
    assert response.status_code == 422
    assert f"{field}:" in text_of(soup(response), ".error-page__messages")
    assert attempts(app) == []


def test_a_foreign_card_or_a_stale_seed_is_refused_with_409(
    user_client: TestClient, app: FastAPI
) -> None:
    _page, data = question_form(user_client)
    asked = asked_of(data)
    stale_seed = str((int(data["seed"]) + 1) % 2**31)
    cases = [
        ({"card_id": "dropout"}, "card_id: "),
        ({"card_id": "no-such-card"}, "card_id: "),
        ({"seed": stale_seed}, "seed: "),
    ]
    for change, named in cases:
        response = answer(user_client, {**data, **change}, answer=asked.question.expected)
        assert response.status_code == 409, change
        page = soup(response)
        assert text_of(page, "[data-notice]").startswith(named)
        # The page goes on with the card due now, its question unanswered.
        assert attr(page, "article.flashcard", "data-card") == FIRST
        assert page.select_one("form[data-quiz-form]") is not None
    assert attempts(app) == []


def test_the_next_review_asks_a_new_question(user_client: TestClient, app: FastAPI) -> None:
    _page, data = question_form(user_client)
    page = soup(answer(user_client, data, show="1"))
    grade = page.select_one("form[data-grade-form]")
    assert grade is not None
    fields = {str(f["name"]): str(f.get("value", "")) for f in grade.select("input[type=hidden]")}
    assert user_client.post(urls.study_review(), data={**fields, "rating": "1"}).status_code == 200
    # The old form now answers a review that is over.
    response = answer(user_client, data, answer=asked_of(data).question.expected)
    assert response.status_code == 409
    # Again brings the card back within minutes; let them pass.
    with app.state.sessionmaker() as session:
        state = session.get(CardState, (user_id(app), FIRST))
        assert state is not None
        state.due = state.due - timedelta(hours=1)
        session.commit()
    _page, again = question_form(user_client)
    assert again["card_id"] == FIRST
    assert int(again["seed"]) == study_seed(user_id(app), FIRST, 1)
    assert again["seed"] != data["seed"]


def snapshot(session: Session, user: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Return a user's review logs and card states, less ids and clock times."""
    logs = [
        (
            log.card_id,
            log.deck_id,
            log.rating,
            log.kind,
            log.duration_ms,
            log.desired_retention,
            log.state_before,
        )
        for log in session.scalars(select(ReviewLog).where(ReviewLog.user_id == user))
    ]
    states = [
        (
            state.card_id,
            state.deck_id,
            state.state,
            state.step,
            state.stability,
            state.difficulty,
            state.due - state.last_review if state.last_review else None,
            state.reps,
            state.lapses,
            state.version,
            state.buried_until,
            state.suspended,
        )
        for state in session.scalars(select(CardState).where(CardState.user_id == user))
    ]
    return logs, states


def test_a_review_after_the_question_is_recorded_as_one_without_it(app: FastAPI) -> None:
    with TestClient(app) as quizzed, TestClient(app) as plain:
        signup(quizzed, "ada")
        signup(plain, "bob")
        _page, data = question_form(quizzed)
        page = soup(answer(quizzed, data, answer=wrong_answer(asked_of(data))))
        grade = page.select_one("form[data-grade-form]")
        assert grade is not None
        fields = {
            str(f["name"]): str(f.get("value", "")) for f in grade.select("input[type=hidden]")
        }
        # since: the start of the study session, which undo stops at.
        assert set(fields) == {
            "csrf_token", "card_id", "review_id", "version", "duration_ms", "since"
        }  # fmt: skip
        assert quizzed.post(urls.study_review(), data={**fields, "rating": "1"}).status_code == 200
        # The same grade of the same card, sent without answering the question first.
        token = plain.cookies["prepdeck_csrf"]
        without = {
            "csrf_token": token,
            "card_id": FIRST,
            "review_id": "4c5d6e7f-8091-4a2b-9c3d-4e5f60718293",
            "version": "0",
            "duration_ms": "",
            "rating": "1",
        }
        assert plain.post(urls.study_review(), data=without).status_code == 200
    with app.state.sessionmaker() as session:
        after_quiz = snapshot(session, user_id(app, "ada"))
        assert after_quiz[0], "no review recorded"
        assert after_quiz == snapshot(session, user_id(app, "bob"))
    assert len(attempts(app)) == 1


def test_a_number_question_is_checked_within_its_tolerance(
    user_client: TestClient, app: FastAPI
) -> None:
    query = "?topic=dropout&difficulty=medium"
    page, data = question_form(user_client, query)
    assert data["card_id"] == "dropout"
    asked = asked_of(data, "dropout-mask")
    assert asked.question.kind == "number"
    assert page.select_one("input#quiz-answer[type=number]") is not None
    for bad in ("NaN", "1e400", "a"):
        response = answer(user_client, data, answer=bad)
        assert response.status_code == 422
        assert text_of(soup(response), "[data-quiz-error]").startswith("answer: ")
    edge = asked.question.value + asked.question.tolerance
    page = soup(answer(user_client, data, answer=repr(edge)))
    assert attr(page, "[data-verdict]", "data-verdict") == "right"
    assert attr(page, "button[data-suggested]", "value") == "3"
    # The grade form goes on with the filter.
    assert attr(page, "form[data-grade-form] input[name=topic]", "value") == "dropout"
    assert [(a.card_id, a.answer, a.correct) for a in attempts(app)] == [
        ("dropout", repr(edge), True)
    ]
