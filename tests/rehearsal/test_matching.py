"""Matching an explained answer against key points: stems, order, typos, windows, regexes."""

import itertools

import pytest

from app.content.models import KeyPoint
from app.rehearsal.matching import Coverage, match_points, phrasing_slots

DROP = KeyPoint(
    id="random",
    text="Drops units at random with probability p",
    match=("drop|zero unit|neuron random|probability",),
)
SCALE = KeyPoint(
    id="scale",
    text="Divides by 1-p in training",
    match=("inverted dropout",),
    regex=(r"1\s*/\s*\(\s*1\s*-\s*p\s*\)",),
)
ENSEMBLE = KeyPoint(
    id="ensemble", text="An ensemble of subnetworks", match=("ensemble subnetwork",)
)
POINTS = (DROP, SCALE, ENSEMBLE)


def covered(coverage: Coverage) -> dict[str, bool]:
    return {point.id: point.covered for point in coverage.points}


def test_slots_are_stems_with_alternatives_and_no_stop_words() -> None:
    assert phrasing_slots("drops|zeroed the units") == (("drop", "zero"), ("unit",))
    assert phrasing_slots("co-adaptation") == (("coadapt",),)
    assert phrasing_slots("the of a") == ()


@pytest.mark.parametrize(
    "text",
    [
        "Dropout drops units at random.",
        "It randomly zeroes neurons.",  # other inflections, other order
        "neurons are dropped; which ones is random",  # within the window
        "units get droped at randon",  # typos in longer words... and short ones exact
    ],
)
def test_a_phrasing_matches_in_any_order_and_inflection(text: str) -> None:
    result = match_points(text, (DROP,))
    if "droped" in text:
        # "droped" is one letter off a 4-letter stem: short words need the exact stem.
        assert not result.points[0].covered
    else:
        assert result.points[0].covered


def test_a_typo_in_a_long_word_still_counts() -> None:
    assert covered(match_points("an ensemble of subnetwroks", (ENSEMBLE,))) == {"ensemble": True}


def test_words_far_apart_do_not_make_a_phrasing() -> None:
    text = "We drop the learning rate later. " + "filler " * 20 + "The initialisation is random."
    assert not match_points(text, (DROP,)).points[0].covered


def test_a_regex_counts_and_marks_its_match() -> None:
    text = "Outputs are scaled by 1 / (1 - p) while training."
    result = match_points(text, (SCALE,))
    assert result.points[0].covered
    ((start, end),) = result.points[0].spans
    assert text[start:end] == "1 / (1 - p)"


def test_spans_mark_the_words_that_made_the_point() -> None:
    text = "Dropout randomly zeroes neurons."
    point = match_points(text, (DROP,)).points[0]
    assert [text[a:b] for a, b in point.spans] == ["randomly", "zeroes", "neurons"]


def test_share_and_suggested_rating() -> None:
    none = match_points("", POINTS)
    assert (none.share, none.suggested_rating) == (0.0, 1)
    one = match_points("It drops units at random.", POINTS)
    assert (one.share, one.suggested_rating) == (1 / 3, 1)
    two = match_points("It drops units at random, an ensemble of subnetworks.", POINTS)
    assert (two.share, two.suggested_rating) == (2 / 3, 2)
    three = match_points(
        "It drops units at random, an ensemble of subnetworks; inverted dropout.", POINTS
    )
    assert (three.share, three.suggested_rating) == (1.0, 3)


def test_merged_spans_are_in_order_without_overlap() -> None:
    text = "inverted dropout drops units at random"
    spans = match_points(text, POINTS).spans
    assert list(spans) == sorted(spans)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))


def test_matching_is_deterministic() -> None:
    text = "Dropout randomly zeroes neurons; an ensemble of sub-networks; 1/(1-p)."
    assert match_points(text, POINTS) == match_points(text, POINTS)


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "?!.,", "λ μ σ", "x" * 5000])
def test_nothing_covers_nothing(text: str) -> None:
    assert match_points(text, POINTS).share == 0
