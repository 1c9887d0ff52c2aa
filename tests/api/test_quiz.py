"""The quiz API: a question without its answer, and a check that trusts only seed and answer."""

from typing import Any

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient

from app.api.quiz import quiz_demo
from app.content.models import Library
from app.figures.questions import LETTERS, ask
from app.figures.registry import demos

QUIZ = "/api/v1/decks/regularization/cards/dropout/quiz"
DEMO = demos()["dropout-mask"]


def choice_seed() -> int:
    return next(seed for seed in range(100) if ask(DEMO, seed).question.kind == "choice")


def number_seed() -> int:
    return next(seed for seed in range(100) if ask(DEMO, seed).question.kind == "number")


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 2**31 - 1])
def test_a_question_comes_without_its_answer(client: TestClient, seed: int) -> None:
    response = client.get(QUIZ, params={"seed": seed})
    assert response.status_code == 200
    asked = ask(DEMO, seed)
    question = asked.question
    expected: dict[str, Any] = {
        "id": asked.id,
        "kind": question.kind,
        "prompt": question.prompt,
        "choices": list(question.choices) if question.kind == "choice" else None,
        "unit": question.unit,
        "tolerance": question.tolerance if question.kind == "number" else None,
        "params": asked.params.model_dump(),
        "seed": seed,
    }
    assert response.json() == expected
    assert question.explanation not in response.text


def test_the_same_seed_gives_the_same_question(client: TestClient) -> None:
    first = client.get(QUIZ, params={"seed": 7}).json()
    assert client.get(QUIZ, params={"seed": 7}).json() == first
    others = [client.get(QUIZ, params={"seed": seed}).json()["params"] for seed in range(8, 14)]
    assert any(params != first["params"] for params in others)


def test_the_right_letter_is_correct_and_the_others_are_not(client: TestClient) -> None:
    seed = choice_seed()
    asked = ask(DEMO, seed)
    question = asked.question
    right = client.post(QUIZ, json={"seed": seed, "answer": question.expected.upper()})
    assert right.status_code == 200
    body = right.json()
    assert body["correct"] is True
    assert body["expected"] == question.expected
    assert body["explanation"] == question.explanation
    assert body["figure_url"].startswith("/api/v1/demos/dropout-mask.png?")
    assert f"p={asked.params.model_dump()['p']}" in body["figure_url"]
    assert client.get(body["figure_url"]).status_code == 200
    for letter in LETTERS[: len(question.choices)]:
        if letter != question.expected:
            wrong = client.post(QUIZ, json={"seed": seed, "answer": letter}).json()
            assert wrong["correct"] is False
            assert wrong["expected"] == question.expected


def test_a_number_counts_within_the_stated_tolerance(client: TestClient) -> None:
    seed = number_seed()
    question = ask(DEMO, seed).question
    for answer, correct in [
        (question.value, True),
        (question.value + question.tolerance * 0.99, True),
        (str(question.value - question.tolerance * 0.99), True),
        (question.value + question.tolerance * 1.5, False),
        (-question.value, False),
        (round(question.value), abs(round(question.value) - question.value) <= question.tolerance),
    ]:
        body = client.post(QUIZ, json={"seed": seed, "answer": answer}).json()
        assert body["correct"] is correct, answer


def test_the_check_trusts_nothing_but_seed_and_answer(client: TestClient) -> None:
    seed = number_seed()
    question = ask(DEMO, seed).question
    forged = {"seed": seed, "answer": question.value, "params": {"p": 0.0}, "expected": "1"}
    response = client.post(QUIZ, json=forged)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "params"]


def field_of(response: Any) -> list[Any]:
    return [error["loc"] for error in response.json()["detail"]]


@pytest.mark.parametrize(
    "seed", ["-1", str(2**31), "abc", "1.5", "NaN", "Infinity", "9" * 400, "", "1\x00"]
)
def test_a_bad_seed_is_named(client: TestClient, seed: str) -> None:
    response = client.get(QUIZ, params={"seed": seed})
    assert response.status_code == 422
    assert ["query", "seed"] in field_of(response)


def test_a_missing_seed_is_named(client: TestClient) -> None:
    response = client.get(QUIZ)
    assert response.status_code == 422
    assert field_of(response) == [["query", "seed"]]


@pytest.mark.parametrize(
    "body",
    [
        {"seed": -1, "answer": "a"},
        {"seed": 2**31, "answer": "a"},
        {"seed": "3", "answer": "a"},
        {"seed": True, "answer": "a"},
        {"seed": 1.5, "answer": "a"},
        {"seed": [1], "answer": "a"},
        {"seed": {"a": {"b": 1}}, "answer": "a"},
        {"answer": "a"},
    ],
)
def test_a_bad_seed_in_an_answer_is_named(client: TestClient, body: dict[str, Any]) -> None:
    response = client.post(QUIZ, json=body)
    assert response.status_code == 422
    assert ["body", "seed"] in field_of(response)


@pytest.mark.parametrize(
    "answer", ["z", "ab", "", "1", 1, 2.5, "a\x00", "x" * 41, [1], {"a": 1}, None, True]
)
def test_a_malformed_choice_answer_is_named(client: TestClient, answer: Any) -> None:
    response = client.post(QUIZ, json={"seed": choice_seed(), "answer": answer})
    assert response.status_code == 422
    locs = field_of(response)
    assert all(loc[:2] == ["body", "answer"] for loc in locs), locs


@pytest.mark.parametrize("answer", ["a", "one", "", "1e999", "nan", "1\x00", [1.0], None, False])
def test_a_malformed_number_answer_is_named(client: TestClient, answer: Any) -> None:
    response = client.post(QUIZ, json={"seed": number_seed(), "answer": answer})
    assert response.status_code == 422
    locs = field_of(response)
    assert all(loc[:2] == ["body", "answer"] for loc in locs), locs


def test_nan_and_huge_numbers_in_the_body_are_refused(client: TestClient) -> None:
    seed = number_seed()
    for raw in [
        f'{{"seed": {seed}, "answer": NaN}}',
        f'{{"seed": {seed}, "answer": 1e999}}',
        f'{{"seed": {seed}, "answer": Infinity}}',
    ]:
        response = client.post(QUIZ, content=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == 422, raw


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/decks/regularization/cards/nope/quiz",
        "/api/v1/decks/nope/cards/dropout/quiz",
    ],
)
def test_an_unknown_card_is_404(client: TestClient, path: str) -> None:
    assert client.get(path, params={"seed": 1}).status_code == 404
    assert client.post(path, json={"seed": 1, "answer": "a"}).status_code == 404


def test_a_card_whose_demo_asks_nothing_has_no_quiz(library: Library) -> None:
    card = library.decks[0].cards[0].model_copy(update={"demo": None})
    with pytest.raises(HTTPException) as raised:
        quiz_demo(card)
    assert raised.value.status_code == 404
    assert "has no quiz" in str(raised.value.detail)


def test_the_quiz_is_in_the_api_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    quiz = paths["/api/v1/decks/{deck_id}/cards/{card_id}/quiz"]
    assert set(quiz) == {"get", "post"}
    assert any(parameter["name"] == "seed" for parameter in quiz["get"]["parameters"])
