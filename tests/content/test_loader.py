"""Broken content gives one clear file:line: message per problem."""

from collections.abc import Callable
from pathlib import Path

import pytest

from app.content.loader import ContentError, load_library
from tests.content.helpers import (
    CARD,
    DECK,
    assert_named_at_its_line,
    edit,
    line_of,
    problems,
)

CASES = [
    pytest.param(
        edit(CARD, "topics: [l1-l2]", "topics: [l1-l2, optimisation]"),
        CARD,
        "topics:",
        [
            "unknown topic 'optimisation': the deck's topics are "
            "l1-l2, dropout, batch-norm, early-stopping, data-aug, bias-variance"
        ],
        id="unknown-topic",
    ),
    pytest.param(
        edit(CARD, "id: l1-vs-l2", "id: l2-weight-decay"),
        CARD,
        "id: l2-weight-decay",
        [
            "duplicate card id 'l2-weight-decay' (also at ",
            "file name does not match the card: rename it 03-l2-weight-decay.yaml",
        ],
        id="duplicate-id",
    ),
    pytest.param(
        edit(CARD, "number: 3", "number: 2"),
        CARD,
        "number: 2",
        [
            "duplicate card number 2 (also at ",
            "file name does not match the card: rename it 02-l1-vs-l2.yaml",
        ],
        id="duplicate-number",
    ),
    pytest.param(
        edit(DECK, "card: l1-vs-l2", "card: l1-versus-l2"),
        DECK,
        "card: l1-versus-l2",
        ["cheat sheet item 'L1' names unknown card 'l1-versus-l2'"],
        id="cheatsheet-unknown-card",
    ),
    pytest.param(
        edit(DECK, "formula: '\\Omega(w)", "formula: '\\frac{a}{b \\Omega(w)"),
        DECK,
        "formula: '\\frac{a}{b",
        ["1 '{' never closed"],
        id="cheatsheet-bad-formula",
    ),
    pytest.param(
        edit(DECK, 'tip: "For exact zeros', 'tip: "$\\\\nocommand x$ For exact zeros'),
        DECK,
        "nocommand",
        ["unknown command \\nocommand"],
        id="cheatsheet-bad-tip",
    ),
]


@pytest.mark.parametrize(("change", "relative", "needle", "expected"), CASES)
def test_broken_content_names_file_line_and_problem(
    content_copy: Path,
    change: Callable[[Path], None],
    relative: str,
    needle: str | None,
    expected: list[str],
) -> None:
    assert_named_at_its_line(content_copy, change, relative, needle, expected)


@pytest.mark.parametrize(
    ("latex", "message"),
    [
        (r"\frac{a}{b", "1 '{' never closed"),
        (r"a}", "a '}' at position 1 closes no '{'"),
        (r"\notacommand x", "unknown command \\notacommand"),
        (r"\left( x", "ExtraLeftOrMissingRightError"),
    ],
)
def test_bad_latex_in_a_formula(content_copy: Path, latex: str, message: str) -> None:
    path = content_copy / CARD
    text = path.read_text(encoding="utf-8")
    head, tail = text.split("formula:\n", 1)
    path.write_text(f"{head}formula:\n  - '{latex}'\n{tail}", encoding="utf-8")
    line = line_of(content_copy, CARD, "formula:") + 1
    (found,) = problems(content_copy)
    assert found.startswith(f"{CARD}:{line}: formula: bad LaTeX"), found
    assert message in found


def test_bad_latex_inside_the_answer(content_copy: Path) -> None:
    edit(CARD, "answer: |\n", "answer: |\n  Broken $\\frac{a$ math.\n")(content_copy)
    line = line_of(content_copy, CARD, "answer:")
    (found,) = problems(content_copy)
    assert found.startswith(f"{CARD}:{line}: answer: bad LaTeX"), found


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("formula: '\\Omega(w) = ", "formula: '\\frac{a}{b = "),
        ('tip: "For exact zeros', 'tip: "$\\\\frac{a$ For exact zeros'),
    ],
)
def test_bad_latex_in_a_cheat_sheet_item_names_the_field(
    content_copy: Path, old: str, new: str
) -> None:
    edit(DECK, old, new)(content_copy)
    line = line_of(content_copy, DECK, new)
    field = new.split(":", 1)[0]
    (found,) = problems(content_copy)
    assert found.startswith(f"{DECK}:{line}: {field}: bad LaTeX"), found


def test_unknown_demo_id_once_demos_exist(content_copy: Path) -> None:
    demo_ids = frozenset(
        card.demo for deck in load_library(content_copy).decks for card in deck.cards if card.demo
    )
    edit(CARD, "demo: l1-vs-l2", "demo: l1-vs-l3")(content_copy)
    line = line_of(content_copy, CARD, "demo:")
    (found,) = problems(content_copy, demo_ids=demo_ids)
    assert found.startswith(f"{CARD}:{line}: unknown demo id 'l1-vs-l3': known demos are ")


def test_unknown_code_language(content_copy: Path) -> None:
    relative = "regularization/cards/04-dropout.yaml"
    edit(relative, "code_language: python", "code_language: klingon")(content_copy)
    line = line_of(content_copy, relative, "code_language:")
    (found,) = problems(content_copy)
    assert found == (
        f"{relative}:{line}: code_language: unknown code_language 'klingon': "
        "use a Pygments lexer name such as 'python'"
    )


def test_file_name_must_match_the_card(content_copy: Path) -> None:
    (content_copy / CARD).rename(content_copy / "regularization/cards/03-l1.yaml")
    (found,) = problems(content_copy)
    assert "file name does not match the card: rename it 03-l1-vs-l2.yaml" in found


def test_every_problem_is_reported_at_once(content_copy: Path) -> None:
    edit(CARD, "difficulty: hard", "difficulty: brutal")(content_copy)
    edit("regularization/cards/04-dropout.yaml", "topics: [dropout]", "topics: [nope]")(
        content_copy
    )
    edit("regularization/cards/05-dropout-vs-dropconnect.yaml", "demo:", "dmo:")(content_copy)
    assert len(problems(content_copy)) == 3


def test_a_folder_that_is_not_a_deck(content_copy: Path) -> None:
    (content_copy / "drafts").mkdir()
    (found,) = problems(content_copy)
    assert found == "drafts: not a deck: it has no deck.yaml"


def test_deck_without_cards(content_copy: Path) -> None:
    for path in (content_copy / "regularization/cards").iterdir():
        path.unlink()
    assert problems(content_copy) == [
        "regularization/cards: no cards: add one file per card, cards/NN-<card-id>.yaml"
    ]


def test_missing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ContentError) as caught:
        load_library(missing)
    assert "no such folder" in str(caught.value)


def test_duplicate_deck_ids(content_copy: Path) -> None:
    import shutil

    shutil.copytree(content_copy / "regularization", content_copy / "regularization-copy")
    (found,) = problems(content_copy)
    assert "duplicate deck id 'regularization'" in found


def test_several_decks_load(content_copy: Path) -> None:
    import shutil

    shutil.copytree(content_copy / "regularization", content_copy / "second")
    edit("second/deck.yaml", "id: regularization", "id: second")(content_copy)
    edit("second/deck.yaml", 'title: "', 'title: "A second deck – ')(content_copy)
    library = load_library(content_copy)
    assert [deck.id for deck in library.decks] == ["second", "regularization"]


def test_a_deck_folder_can_be_checked_alone(content_copy: Path) -> None:
    library = load_library(content_copy / "regularization")
    assert [deck.id for deck in library.decks] == ["regularization"]


def test_loaded_models_are_immutable(content_copy: Path) -> None:
    from pydantic import ValidationError

    deck = load_library(content_copy).decks[0]
    with pytest.raises(ValidationError):
        deck.cards[0].question = "changed"  # type: ignore[misc]
    assert isinstance(deck.cards, tuple)


def test_the_same_files_load_once_and_a_change_loads_again(content_copy: Path) -> None:
    first = load_library(content_copy)
    assert load_library(content_copy) is first
    edit(CARD, "number: 3", "number: 3 ")(content_copy)  # same meaning, other bytes
    second = load_library(content_copy)
    assert second is not first
    assert second == first
    edit(CARD, "difficulty: hard", "difficulty: easy")(content_copy)
    card = load_library(content_copy).decks[0].card("l1-vs-l2")
    assert card is not None
    assert card.difficulty == "easy"
