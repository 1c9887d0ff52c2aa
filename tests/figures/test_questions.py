"""Questions: a fair question or none, distractors made distinct, variants on the sliders."""

import numpy as np
import pytest

from app.demos.dropout_mask import Params as DropoutParams
from app.figures.params import describe
from app.figures.questions import (
    Question,
    ask,
    ask_once,
    choice,
    grid_values,
    number,
    sample,
    summary_once,
)
from app.figures.registry import demos


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_choice_drops_distractors_equal_to_the_answer_or_each_other() -> None:
    question = choice("Which?", "1.00", ["1.00", "2.00", "2.00", "3.00", "0.50"], rng(), "Why.")
    assert sorted(question.choices) == ["0.50", "1.00", "2.00", "3.00"]
    assert question.choices[question.answer] == "1.00"


def test_choice_keeps_at_most_four_distractors() -> None:
    question = choice("Which?", "a", ["b", "c", "d", "e", "f"], rng(), "Why.")
    assert len(question.choices) == 5
    assert set(question.choices) == {"a", "b", "c", "d", "e"}


def test_choice_refuses_fewer_than_three_options() -> None:
    with pytest.raises(ValueError, match="too few distinct wrong choices"):
        choice("Which?", "1", ["1", "2", "2"], rng(), "Why.")


def test_choice_shuffles_by_the_generator() -> None:
    positions = {
        choice("Which?", "a", ["b", "c", "d"], rng(seed), "Why.").answer for seed in range(40)
    }
    assert positions == {0, 1, 2, 3}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "choice", "choices": ("a", "b")}, "3 to 5"),
        ({"kind": "choice", "choices": ("a", "a", "b")}, "repeat"),
        ({"kind": "choice", "choices": ("a", "b", "c"), "answer": 3}, "not one of"),
        ({"kind": "number", "value": float("nan")}, "finite"),
        ({"kind": "number", "value": 1.0, "tolerance": -0.1}, "at least 0"),
        ({"kind": "number", "prompt": " "}, "prompt"),
    ],
)
def test_an_unfair_question_is_refused(kwargs: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"prompt": "Q?", "explanation": "Because."} | kwargs
    with pytest.raises(ValueError, match=message):
        Question(**values)  # type: ignore[arg-type]


def test_a_number_counts_within_its_tolerance_and_not_beyond() -> None:
    question = number("How much?", 0.3, 0.05, "Because.")
    assert question.is_right(0.25)
    assert question.is_right(0.35)
    assert question.is_right("0.3")
    assert not question.is_right(0.2499)
    assert not question.is_right(0.3501)
    assert not question.is_right(float("nan"))
    assert not question.is_right(float("inf"))
    exact = number("How many?", 3, 0, "Because.")
    assert exact.is_right(3)
    assert not exact.is_right(3.001)
    assert exact.expected == "3"


def test_a_choice_is_answered_by_its_letter_only() -> None:
    question = Question(
        kind="choice", prompt="Q?", explanation="E.", choices=("x", "y", "z"), answer=1
    )
    assert question.expected == "b"
    assert question.is_right("b")
    assert question.is_right(" B ")
    assert not question.is_right("a")
    assert not question.is_right("y")
    assert not question.is_right(1.0)


def test_sampled_parameters_lie_on_the_sliders() -> None:
    infos = {info.name: info for info in describe(DropoutParams)}
    p_values = set(grid_values(infos["p"]))
    for seed in range(30):
        params = sample(DropoutParams, rng(seed))
        assert params.p in p_values
        assert params.units in grid_values(infos["units"])
        assert 0 <= params.seed <= 9999


def test_sample_keeps_fixed_values_and_narrowed_ranges() -> None:
    for seed in range(30):
        params = sample(DropoutParams, rng(seed), fixed={"units": 8}, ranges={"p": (0.2, 0.4)})
        assert params.units == 8
        assert 0.2 <= params.p <= 0.4


def test_sample_says_when_a_range_holds_no_slider_value() -> None:
    with pytest.raises(ValueError, match="no slider value of p"):
        sample(DropoutParams, rng(), ranges={"p": (0.51, 0.54)})


def test_a_question_shown_again_is_drawn_once() -> None:
    demo = demos()["dropout-mask"]
    first = ask_once(demo, 11)
    assert ask_once(demo, 11) is first
    assert first == ask(demo, 11)
    assert first.question == ask(demo, 11).question
    assert summary_once(demo, first.params) == demo.summary(demo.compute(first.params))
    assert ask_once(demo, 12) is not first
