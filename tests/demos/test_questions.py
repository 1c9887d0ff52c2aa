"""What every demo's questions must do, over many seeds: answers read off a fresh compute(),
distinct distractors, and a check that accepts the answer and refuses every distractor."""

import dataclasses
import math
from typing import Any

import numpy as np
import pytest

from app.figures.demo import Demo
from app.figures.questions import LETTERS, ask, rng_for
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
