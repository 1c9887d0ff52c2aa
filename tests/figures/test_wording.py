"""The shared summary wording, and the checks the summary tests rely on, say what they should."""

from typing import Any

import pytest
from hypothesis import find, settings

from app.figures.demo import Demo
from app.figures.params import describe
from app.figures.registry import demos
from app.figures.wording import about, caption, change, num, pct, sig, split_lead
from tests.demos.claims import agrees, says, says_change
from tests.demos.strategies import value_of


def test_numbers_never_print_a_negative_zero() -> None:
    assert num(-0.001) == "0.00"
    assert num(-0.006) == "-0.01"
    assert sig(-1e-9, 2) == "-1e-09"
    assert pct(0.474) == "47%"


def test_a_change_is_worded_from_the_values() -> None:
    three = lambda value: num(value, 3)  # noqa: E731
    assert change(0.101, 0.118, three) == "rises from 0.101 to 0.118"
    assert change(0.118, 0.101, three) == "falls from 0.118 to 0.101"
    # Values that print alike stay, whichever way they moved.
    assert change(0.1001, 0.1004, three) == "stays at 0.100"
    assert change(0.1004, 0.1001, three) == "stays at 0.100"


def test_about_holds_only_within_the_tolerance() -> None:
    assert about(1.12, 1.0, 0.15)
    assert not about(1.2, 1.0, 0.15)
    assert about(0.86, 1.0, 0.15)


@pytest.mark.parametrize(
    ("stated", "actual", "agree"),
    [
        ("0.37", 0.3651, True),
        ("0.37", 0.3649, False),
        ("-0.13", -0.1349, True),
        ("+0.74", 0.7351, True),
        ("1e-06", 1.04e-6, True),
        ("1e-06", 1.6e-6, False),
        ("47%", 0.4749, True),
        ("47%", 0.4751, False),
        ("12", 12.4, True),
        ("12", 12.6, False),
    ],
)
def test_a_stated_number_agrees_only_with_what_rounds_to_it(
    stated: str, actual: float, agree: bool
) -> None:
    assert agrees(stated, actual) is agree


def test_the_checks_fail_on_a_false_statement() -> None:
    text = "the mask averages 1.40 and the error rises from 0.101 to 0.118."
    says(text, r"averages (N)", 1.4)
    with pytest.raises(AssertionError):
        says(text, r"averages (N)", 1.0)
    with pytest.raises(AssertionError):
        says(text, r"is about (N)", 1.4)
    says_change(text, "the error", 0.101, 0.118)
    with pytest.raises(AssertionError):
        says_change(text, "the error", 0.118, 0.101)  # it fell: "rises" is false
    with pytest.raises(AssertionError):
        says_change("the error stays at 0.10.", "the error", 0.101, 0.118)


@pytest.mark.parametrize("demo", list(demos().values()), ids=list(demos()))
def test_the_strategy_reaches_both_ends_of_every_parameter(demo: Demo[Any, Any]) -> None:
    for info in describe(demo.params):
        for end in (info.minimum, info.maximum):

            def at_end(value: float, end: float = end) -> bool:
                return value == end

            assert find(value_of(info), at_end, settings=settings(database=None)) == end


def test_a_caption_leads_with_one_sentence_that_splits_off_again() -> None:
    text = caption("Dropout zeroes units.", "With p = 0.50, it drops 44%. At test time: none.")
    assert text == "Dropout zeroes units. With p = 0.50, it drops 44%. At test time: none."
    assert split_lead(text) == (
        "Dropout zeroes units.",
        "With p = 0.50, it drops 44%. At test time: none.",
    )
    # A decimal point or a full stop before a lower-case word ends no sentence.
    assert split_lead("Mean 0.50 at B = 16. e.g. this") == ("Mean 0.50 at B = 16. e.g. this", "")


@pytest.mark.parametrize("lead", ["No full stop", "Two sentences. Here.", "Ends. Then more."])
def test_a_caption_refuses_a_lead_that_is_not_one_sentence(lead: str) -> None:
    with pytest.raises(ValueError, match="one sentence"):
        caption(lead, "Details.")
