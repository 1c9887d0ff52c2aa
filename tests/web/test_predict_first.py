"""Predict first on the card page: the demo's question before its figure, then the verdict."""

import math
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app import urls
from app.config import Settings
from app.figures.params import query_of
from app.figures.questions import LETTERS, Asked, ask
from app.figures.registry import demos
from app.main import create_app
from app.models import QuizAttempt
from tests.helpers import attr, soup, text_of

DECK = "regularization"
# Cards of different demos, choice and number questions among them.
CARDS = {
    "dropout": "dropout-mask",
    "l1-vs-l2": "l1-vs-l2",
    "what-is-regularization": "polynomial-fit",
    "label-smoothing": "label-smoothing",
    "early-stopping": "early-stopping",
    "max-norm": "max-norm",
    "bias-variance": "bias-variance",
}
SEEDS = (0, 7, 123456)


def asked(card_id: str, seed: int) -> Asked:
    """Draw the question the card's demo asks for a seed, as the page does."""
    return ask(demos()[CARDS[card_id]], seed)


def predicting(client: TestClient, card_id: str = "dropout") -> TestClient:
    """Turn Predict first on through the switch's form, as a reader would."""
    page = soup(client.get(urls.card(DECK, card_id)))
    form = page.select_one("form[data-predict-switch]")
    assert form is not None
    data = {str(field["name"]): str(field["value"]) for field in form.select("input[type=hidden]")}
    assert data["on"] == "1"
    response = client.post(str(form["action"]), data=data, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == urls.card(DECK, card_id, fragment="demo")
    cookie = response.headers["set-cookie"]
    assert "prepdeck_predict_first=on" in cookie
    assert "SameSite=lax" in cookie
    assert "Max-Age=31536000" in cookie
    return client


def summary(question: Asked) -> str:
    """Return the demo's summary of the question's variant (the figure's alt text)."""
    demo = demos()[question.demo_id]
    return demo.summary(demo.compute(question.params))


def wrong_answer(question: Asked) -> str:
    """Return an answer the question counts as wrong."""
    q = question.question
    if q.kind == "choice":
        return next(letter for letter in LETTERS[: len(q.choices)] if letter != q.expected)
    return f"{q.value + 10 * q.tolerance + 1:g}"


def post_answer(client: TestClient, card_id: str, **data: Any) -> BeautifulSoup:
    """Post the no-JS answer form and return the page."""
    response = client.post(urls.quiz(DECK, card_id), data=data)
    assert response.status_code == 200, response.text
    return soup(response)


def test_switch_off_shows_todays_page(client: TestClient) -> None:
    page = soup(client.get(urls.card(DECK, "dropout")))
    assert attr(page, "button[data-predict-toggle]", "aria-checked") == "false"
    assert page.select_one("img[data-demo-image]") is not None
    assert page.select_one("form[data-demo-form]") is not None
    assert page.select_one("[data-quiz]") is None
    assert page.select_one("script[src^='/static/quiz.js']") is None


def test_switch_turns_on_and_off(client: TestClient) -> None:
    predicting(client)
    page = soup(client.get(urls.card(DECK, "dropout")))
    assert attr(page, "button[data-predict-toggle]", "aria-checked") == "true"
    assert attr(page, "form[data-predict-switch] input[name=on]", "value") == "0"
    assert page.select_one("[data-quiz] form[data-quiz-form]") is not None
    assert page.select_one("script[src^='/static/quiz.js']") is not None
    token = attr(page, "form[data-predict-switch] input[name=csrf_token]", "value")
    response = client.post(
        urls.predict_first(DECK, "dropout"),
        data={"csrf_token": token, "on": "0"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert 'prepdeck_predict_first=""' in response.headers["set-cookie"]
    page = soup(client.get(urls.card(DECK, "dropout")))
    assert page.select_one("img[data-demo-image]") is not None
    assert page.select_one("[data-quiz]") is None


def test_switch_needs_the_csrf_token(client: TestClient) -> None:
    response = client.post(urls.predict_first(DECK, "dropout"), data={"on": "1"})
    assert response.status_code == 403
    assert "prepdeck_predict_first" not in response.headers.get("set-cookie", "")


def test_switch_is_remembered_for_a_logged_in_reader(user_client: TestClient) -> None:
    predicting(user_client)
    page = soup(user_client.get(urls.card(DECK, "max-norm")))
    assert page.select_one("[data-quiz] form[data-quiz-form]") is not None


@pytest.mark.parametrize("card_id", list(CARDS))
def test_before_the_answer_nothing_of_the_figure_or_answer_is_in_the_page(
    client: TestClient, card_id: str
) -> None:
    predicting(client)
    for seed in SEEDS:
        question = asked(card_id, seed)
        response = client.get(urls.card(DECK, card_id, f"seed={seed}"))
        assert response.status_code == 200
        page = soup(response)
        html = response.text
        assert text_of(page, "[data-quiz-prompt]") == " ".join(question.question.prompt.split())
        assert attr(page, "form[data-quiz-form] input[name=seed]", "value") == str(seed)
        assert page.select("img") == []  # not the demo's nor any other figure
        assert page.select_one("figure, figcaption, [data-demo-form]") is None
        assert summary(question) not in html
        assert question.question.explanation not in html
        assert "data-quiz-expected" not in html
        assert "The answer:" not in html
        assert urlencode(query_of(question.params)) not in html
        if question.question.kind == "choice":
            labels = [" ".join(label.get_text(" ").split()) for label in page.select("label")]
            letters = [str(radio["value"]) for radio in page.select("input[type=radio]")]
            assert letters == list(LETTERS[: len(question.question.choices)])
            for letter, choice in zip(letters, question.question.choices, strict=True):
                assert f"{letter} {' '.join(choice.split())}" in labels
        else:
            assert attr(page, "input#quiz-answer", "type") == "number"
            assert page.select_one("label[for=quiz-answer]") is not None
            assert f"±{question.question.tolerance:g}" in text_of(page, "#quiz-tolerance")


def test_without_a_seed_a_fresh_one_goes_into_the_form(client: TestClient) -> None:
    predicting(client)
    seeds = set()
    for _ in range(4):
        page = soup(client.get(urls.card(DECK, "dropout")))
        seed = int(attr(page, "form[data-quiz-form] input[name=seed]", "value"))
        question = asked("dropout", seed)
        assert text_of(page, "[data-quiz-prompt]") == " ".join(question.question.prompt.split())
        seeds.add(seed)
    assert len(seeds) > 1


@pytest.mark.parametrize("card_id", list(CARDS))
def test_a_right_answer_shows_the_verdict_and_the_figure(client: TestClient, card_id: str) -> None:
    for seed in SEEDS[:2]:
        question = asked(card_id, seed)
        page = post_answer(client, card_id, seed=seed, answer=question.question.expected)
        assert attr(page, "[data-verdict]", "data-verdict") == "right"
        assert text_of(page, "[data-quiz-explanation]") == " ".join(
            question.question.explanation.split()
        )
        assert text_of(page, "[data-quiz-expected]").startswith(question.question.expected)
        demo = demos()[CARDS[card_id]]
        figure_url = urls.api_demo_image(demo.id, "png", urlencode(query_of(question.params)))
        assert attr(page, "img[data-quiz-image]", "src") == figure_url
        assert attr(page, "img[data-quiz-image]", "alt") == summary(question)
        assert text_of(page, "figcaption[data-quiz-summary]") == " ".join(summary(question).split())
        assert client.get(figure_url).headers["content-type"] == "image/png"


@pytest.mark.parametrize("card_id", list(CARDS))
def test_a_wrong_answer_says_wrong_and_shows_the_right_one(
    client: TestClient, card_id: str
) -> None:
    question = asked(card_id, 7)
    answer = wrong_answer(question)
    assert not question.question.is_right(answer)
    page = post_answer(client, card_id, seed=7, answer=answer)
    assert attr(page, "[data-verdict]", "data-verdict") == "wrong"
    assert text_of(page, "[data-verdict]") == f"Wrong: you answered {answer}."
    expected = text_of(page, "[data-quiz-expected]")
    q = question.question
    if q.kind == "choice":
        assert expected == " ".join(f"{q.expected}. {q.choices[q.answer]}".split())
    else:
        assert math.isclose(float(expected.split()[0]), q.value, rel_tol=1e-5)
    assert page.select_one("img[data-quiz-image]") is not None


def test_show_skips_to_the_figure(client: TestClient) -> None:
    question = asked("l1-vs-l2", 0)
    page = post_answer(client, "l1-vs-l2", seed=0, show="1")
    assert attr(page, "[data-verdict]", "data-verdict") == "shown"
    assert text_of(page, "[data-quiz-explanation]") == " ".join(
        question.question.explanation.split()
    )
    assert attr(page, "img[data-quiz-image]", "alt") == summary(question)
    next_url = attr(page, "a[data-quiz-next]", "href")
    assert next_url.startswith(urls.card(DECK, "l1-vs-l2") + "?seed=")


def number_card() -> tuple[str, int]:
    """Return a card and seed whose question is answered with a number."""
    for card_id in CARDS:
        for seed in range(20):
            if asked(card_id, seed).question.kind == "number":
                return card_id, seed
    raise AssertionError("no card asks a number question")


def choice_card() -> tuple[str, int]:
    """Return a card and seed whose question is a choice."""
    for card_id in CARDS:
        for seed in range(20):
            if asked(card_id, seed).question.kind == "choice":
                return card_id, seed
    raise AssertionError("no card asks a choice question")


def assert_names_answer(response: Any, field: str = "answer") -> None:
    assert response.status_code == 422, response.text
    assert f"{field}:" in " ".join(soup(response).get_text(" ").split())


@pytest.mark.parametrize("answer", ["z", "f", "ab", "", " "])
def test_an_unknown_letter_is_refused_naming_the_field(client: TestClient, answer: str) -> None:
    card_id, seed = choice_card()
    response = client.post(urls.quiz(DECK, card_id), data={"seed": seed, "answer": answer})
    assert_names_answer(response)
    page = soup(response)
    # The question is asked again, still without its answer or figure.
    assert page.select_one("form[data-quiz-form] input[type=radio]") is not None
    assert page.select("img") == []
    assert asked(card_id, seed).question.explanation not in response.text


@pytest.mark.parametrize("answer", ["abc", "nan", "NaN", "inf", "-Infinity", "1e999", "1" * 41])
def test_a_bad_number_is_refused_naming_the_field(client: TestClient, answer: str) -> None:
    card_id, seed = number_card()
    response = client.post(urls.quiz(DECK, card_id), data={"seed": seed, "answer": answer})
    assert_names_answer(response)


def test_nul_is_refused_naming_the_field(client: TestClient) -> None:
    card_id, seed = number_card()
    response = client.post(urls.quiz(DECK, card_id), data={"seed": seed, "answer": "1\x00"})
    assert_names_answer(response)


@pytest.mark.parametrize("seed", ["-1", "2147483648", "x", "1.5", "", "nan"])
def test_a_bad_seed_is_refused_naming_the_field(client: TestClient, seed: str) -> None:
    response = client.post(urls.quiz(DECK, "dropout"), data={"seed": seed, "answer": "a"})
    assert_names_answer(response, "seed")
    predicting(client)
    response = client.get(urls.card(DECK, "dropout", urlencode({"seed": seed})))
    assert_names_answer(response, "seed")


def test_a_huge_number_is_checked_not_refused(client: TestClient) -> None:
    card_id, seed = number_card()
    page = post_answer(client, card_id, seed=seed, answer="1e300")
    assert attr(page, "[data-verdict]", "data-verdict") == "wrong"


def test_a_card_without_a_demo_has_no_switch_and_no_quiz(
    tmp_path: Path, content_copy: Path
) -> None:
    card = content_copy / "regularization/cards/04-dropout.yaml"
    text = card.read_text(encoding="utf-8")
    card.write_text(text.replace("demo: dropout-mask\n", ""), encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path / "data", content_dir=content_copy, warm_demos=False, _env_file=None
    )
    with TestClient(create_app(settings)) as client:
        predicting(client, "l1-vs-l2")
        page = soup(client.get(urls.card(DECK, "dropout")))
        assert page.select_one("form[data-predict-switch], [data-quiz], img") is None
        assert page.select_one("h1.flashcard__question") is not None
        response = client.post(urls.quiz(DECK, "dropout"), data={"seed": 1, "answer": "a"})
        assert response.status_code == 404
        assert "has no question" in text_of(soup(response), "main")


def question_page(client: TestClient, card_id: str, seed: int) -> dict[str, str]:
    """Return the hidden fields of the card page's question form for a seed."""
    page = soup(client.get(urls.card(DECK, card_id, f"seed={seed}")))
    form = page.select_one("form[data-quiz-form]")
    assert form is not None
    return {str(field["name"]): str(field["value"]) for field in form.select("input[type=hidden]")}


def stored_attempts(app: FastAPI) -> list[QuizAttempt]:
    with app.state.sessionmaker() as session:
        return list(session.scalars(select(QuizAttempt).order_by(QuizAttempt.id)))


def test_a_guests_form_carries_nothing_to_store(client: TestClient) -> None:
    predicting(client)
    fields = question_page(client, "dropout", 7)
    assert set(fields) == {"seed"}
    page = soup(client.get(urls.card(DECK, "dropout", "seed=7")))
    assert page.select_one("[data-quiz][data-saves]") is None


def test_a_logged_in_readers_answer_is_stored_once(user_client: TestClient, app: FastAPI) -> None:
    predicting(user_client)
    fields = question_page(user_client, "dropout", 7)
    assert set(fields) == {"seed", "csrf_token", "attempt_id", "duration_ms"}
    question = asked("dropout", 7)
    answer = wrong_answer(question)
    for _ in range(2):  # the form sent again (a reload) stores nothing new
        page = post_answer(
            user_client, "dropout", **{**fields, "duration_ms": "5200"}, answer=answer
        )
        assert attr(page, "[data-verdict]", "data-verdict") == "wrong"
    (stored,) = stored_attempts(app)
    assert (stored.card_id, stored.demo_id, stored.kind_id) == (
        "dropout",
        "dropout-mask",
        question.kind_id,
    )
    assert (stored.seed, stored.answer, stored.correct, stored.duration_ms) == (
        7,
        answer,
        False,
        5200,
    )
    assert stored.attempt_id == fields["attempt_id"]
    # A new page is a new attempt.
    second = question_page(user_client, "dropout", 7)
    assert second["attempt_id"] != fields["attempt_id"]
    post_answer(user_client, "dropout", **second, answer=question.question.expected)
    assert [a.correct for a in stored_attempts(app)] == [False, True]


def test_show_and_unreadable_answers_store_nothing(user_client: TestClient, app: FastAPI) -> None:
    predicting(user_client)
    fields = question_page(user_client, "l1-vs-l2", 0)
    post_answer(user_client, "l1-vs-l2", **fields, show="1")
    response = user_client.post(urls.quiz(DECK, "l1-vs-l2"), data={**fields, "answer": "zz"})
    assert response.status_code == 422
    assert stored_attempts(app) == []


def test_without_the_csrf_token_the_answer_is_checked_but_not_stored(
    user_client: TestClient, app: FastAPI
) -> None:
    predicting(user_client)
    question = asked("dropout", 7)
    page = post_answer(user_client, "dropout", seed=7, answer=question.question.expected)
    assert attr(page, "[data-verdict]", "data-verdict") == "right"
    assert stored_attempts(app) == []


def test_a_wrong_csrf_token_is_refused(user_client: TestClient, app: FastAPI) -> None:
    predicting(user_client)
    fields = question_page(user_client, "dropout", 7)
    question = asked("dropout", 7)
    response = user_client.post(
        urls.quiz(DECK, "dropout"),
        data={**fields, "csrf_token": "forged", "answer": question.question.expected},
    )
    assert response.status_code == 403
    assert stored_attempts(app) == []


def test_an_attempt_id_reused_for_another_answer_is_not_stored(
    user_client: TestClient, app: FastAPI
) -> None:
    predicting(user_client)
    fields = question_page(user_client, "dropout", 7)
    question = asked("dropout", 7)
    post_answer(user_client, "dropout", **fields, answer=question.question.expected)
    response = user_client.post(
        urls.quiz(DECK, "dropout"), data={**fields, "answer": wrong_answer(question)}
    )
    assert response.status_code == 409
    page = soup(response)
    assert "send a new attempt_id" in text_of(page, "[data-notice]")
    assert attr(page, "[data-verdict]", "data-verdict") == "wrong"
    assert [a.correct for a in stored_attempts(app)] == [True]


@pytest.mark.parametrize(
    ("name", "value"),
    [("attempt_id", "not-a-uuid"), ("duration_ms", "-1"), ("duration_ms", "1e99")],
)
def test_bad_attempt_fields_are_refused_naming_them(
    user_client: TestClient, app: FastAPI, name: str, value: str
) -> None:
    predicting(user_client)
    fields = question_page(user_client, "dropout", 7)
    response = user_client.post(
        urls.quiz(DECK, "dropout"), data={**fields, name: value, "answer": "a"}
    )
    assert response.status_code == 422
    assert name in response.text
    assert stored_attempts(app) == []


def test_the_verdict_figure_is_a_picture_of_both_layouts_themes_and_densities(
    client: TestClient,
) -> None:
    question = asked("l1-vs-l2", 0)
    page = post_answer(client, "l1-vs-l2", seed=0, show="1")
    png = urls.api_demo_image("l1-vs-l2", "png", urlencode(query_of(question.params)))
    picture = page.select_one("[data-quiz-verdict] picture[data-themed-picture]")
    assert picture is not None
    sources = picture.select("source[data-quiz-source]")
    assert [(s["media"], s["srcset"]) for s in sources] == [
        (
            "(max-width: 40rem) and (prefers-color-scheme: dark)",
            f"{png}&theme=dark&layout=narrow 1x, {png}&theme=dark&layout=narrow&scale=2 2x",
        ),
        ("(max-width: 40rem)", f"{png}&layout=narrow 1x, {png}&layout=narrow&scale=2 2x"),
        ("(prefers-color-scheme: dark)", f"{png}&theme=dark 1x, {png}&theme=dark&scale=2 2x"),
    ]
    assert attr(picture, "img[data-quiz-image]", "srcset") == f"{png} 1x, {png}&scale=2 2x"
    # The script that draws a verdict itself builds the same picture from these.
    section = page.select_one("section[data-quiz]")
    assert section is not None
    assert (section["data-narrow-width"], section["data-narrow-height"]) == (
        sources[0]["width"],
        sources[0]["height"],
    )
    assert section["data-narrow-media"] == "(max-width: 40rem)"
    assert page.select(".demo__scroll") == []
