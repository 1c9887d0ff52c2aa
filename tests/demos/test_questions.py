"""What every demo's questions must do, over many seeds: answers read off a fresh compute(),
distinct distractors, and a check that accepts the answer and refuses every distractor."""

import dataclasses
import math
import re
from typing import Any

import numpy as np
import pytest

from app.figures.demo import Demo
from app.figures.questions import LETTERS, Question, ask, rng_for
from app.figures.registry import demos

SEEDS = range(50)
ASKING = [demo for demo in demos().values() if demo.questions]


def test_every_demo_asks_at_least_two_kinds_of_question() -> None:
    silent = sorted(demo.id for demo in demos().values() if len(demo.questions) < 2)
    assert not silent, f"demos with fewer than two question kinds: {silent}"


@pytest.mark.parametrize("demo", ASKING, ids=[demo.id for demo in ASKING])
def test_questions_hold_over_fifty_seeds(demo: Demo[Any, Any]) -> None:
    kinds = {kind.id for kind in demo.questions}
    assert len(kinds) == len(demo.questions), "question kind ids repeat"
    seen: set[str] = set()
    for seed in SEEDS:
        asked = ask(demo, seed)
        question = asked.question
        seen.add(asked.kind_id)
        # The variant is a reader's choice: valid parameters of the demo.
        assert demo.params.model_validate(asked.params.model_dump()) == asked.params
        # The same seed gives the same question.
        again = ask(demo, seed)
        assert again.params == asked.params
        assert again.question == question
        # Its answer is read off a fresh compute() of the variant's parameters.
        rng = rng_for(demo.id, seed)
        kind = demo.questions[int(rng.integers(len(demo.questions)))]
        params = kind.variant(rng)
        assert kind.ask(params, demo.compute(params), rng) == question
        assert question.prompt.strip()
        assert question.explanation.strip()
        if question.kind == "choice":
            assert 3 <= len(question.choices) <= 5
            assert len(set(question.choices)) == len(question.choices)
            assert question.is_right(question.expected)
            assert question.is_right(question.expected.upper())
            for index in range(len(question.choices)):
                if index != question.answer:
                    assert not question.is_right(LETTERS[index]), (seed, question)
        else:
            value, tolerance = question.value, question.tolerance
            assert math.isfinite(value)
            assert tolerance >= 0
            assert question.is_right(value)
            assert question.is_right(question.expected)
            assert question.is_right(value + tolerance)
            assert question.is_right(value - tolerance)
            outside = tolerance * 1.01 + 1e-6 * max(1.0, abs(value))
            assert not question.is_right(value + outside)
            assert not question.is_right(value - outside)
    assert seen == kinds, f"seeds 0-49 never drew {sorted(kinds - seen)}"


@pytest.mark.parametrize("demo", ASKING, ids=[demo.id for demo in ASKING])
def test_variants_differ_between_seeds(demo: Demo[Any, Any]) -> None:
    variants = {tuple(sorted(ask(demo, seed).params.model_dump().items())) for seed in range(10)}
    assert len(variants) >= 8, "a learner would meet the same numbers again and again"


@pytest.mark.parametrize("demo", ASKING, ids=[demo.id for demo in ASKING])
def test_question_data_is_not_changed_by_asking(demo: Demo[Any, Any]) -> None:
    # ask() must treat compute()'s data as read-only, or the figure would differ from it.
    asked = ask(demo, 3)
    first, second = demo.compute(asked.params), demo.compute(asked.params)
    rng = rng_for(demo.id, 3)
    kind = demo.questions[int(rng.integers(len(demo.questions)))]
    kind.ask(asked.params, first, rng)
    for field in dataclasses.fields(first):
        a, b = getattr(first, field.name), getattr(second, field.name)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)


NUMBER = re.compile(r"[-+−]?\d[\d,]*(?:\.\d+)?")


def by_heart(question: Question) -> str | float:
    """Return what a learner could learn by heart of a question's right answer.

    A number question's value. A choice question's text with its numbers masked when no other
    choice reads alike with its numbers masked (the words alone pick it, as "bias² rises" or
    "a random 19x19 crop" among flips and rotations); the whole text when one does (the numbers
    tell the choices apart, as "λ = 0.1" from "λ = 10").
    """
    if question.kind == "number":
        return question.value
    right = question.choices[question.answer]
    words = NUMBER.sub("#", right)
    if sum(NUMBER.sub("#", text) == words for text in question.choices) > 1:
        return right
    return words


@pytest.mark.parametrize("demo", ASKING, ids=[demo.id for demo in ASKING])
def test_every_kind_has_a_right_answer_that_varies_between_seeds(demo: Demo[Any, Any]) -> None:
    # The same right answer at every seed could be learnt by heart, without the figure's point.
    same: dict[str, str | float] = {}
    for kind in demo.questions:
        answers: set[str | float] = set()
        for seed in SEEDS:
            rng = rng_for(demo.id, seed)
            rng.integers(len(demo.questions))  # as ask() draws the kind: its variants, in turn
            params = kind.variant(rng)
            answers.add(by_heart(kind.ask(params, demo.compute(params), rng)))
            if len(answers) >= 2:
                break
        if len(answers) < 2:
            same[kind.id] = answers.pop()
    assert not same, f"right answers alike at seeds 0-49: {same}"


@pytest.mark.parametrize(
    ("choices", "answer", "remembered"),
    [
        (("bias² rises", "bias² falls", "both alike"), 0, "bias² rises"),
        (("a random 19x19 crop", "a flip", "a rotation by +20°"), 0, "a random #x# crop"),
        (("λ = 0.1", "λ = 10", "none of them"), 1, "λ = 10"),
        (("0.25", "0.5", "1.25"), 2, "1.25"),
    ],
)
def test_by_heart_masks_numbers_only_where_the_words_alone_pick_the_answer(
    choices: tuple[str, ...], answer: int, remembered: str
) -> None:
    question = Question(kind="choice", prompt="?", explanation=".", choices=choices, answer=answer)
    assert by_heart(question) == remembered
