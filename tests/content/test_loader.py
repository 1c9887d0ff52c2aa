"""Broken content gives one clear file:line: message per problem."""

import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from app.content.loader import MAX_DEPTH, MAX_FILE_BYTES, ContentError, load_library, parse_yaml

CARD = "regularization/cards/03-l1-vs-l2.yaml"
DECK = "regularization/deck.yaml"


def edit(relative: str, old: str, new: str) -> Callable[[Path], None]:
    """Return a change that replaces old by new (once) in one file of the content copy."""

    def apply(root: Path) -> None:
        path = root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return apply


def write(relative: str, text: str) -> Callable[[Path], None]:
    """Return a change that writes a file of the content copy."""

    def apply(root: Path) -> None:
        (root / relative).write_text(text, encoding="utf-8")

    return apply


def line_of(root: Path, relative: str, needle: str) -> int:
    """Return the 1-based line of the first line containing needle."""
    lines = (root / relative).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if needle in line)


def problems(root: Path, demo_ids: frozenset[str] | None = None) -> list[str]:
    """Load root and return its problems as printed."""
    with pytest.raises(ContentError) as caught:
        load_library(root, demo_ids=demo_ids)
    found = []
    for problem in caught.value.problems:
        where = problem.path.relative_to(root).as_posix()
        found.append(
            f"{where}:{problem.line}: {problem.message}"
            if problem.line
            else f"{where}: {problem.message}"
        )
    return found


CASES = [
    pytest.param(
        edit(CARD, "difficulty: hard", "dificulty: hard"),
        CARD,
        "dificulty:",
        [
            "unknown field 'dificulty'; did you mean 'difficulty'?",
        ],
        id="unknown-field",
    ),
    pytest.param(
        edit(CARD, "question:", "# question:"),
        CARD,
        "id: l1-vs-l2",
        ["missing field 'question'"],
        id="missing-field",
    ),
    pytest.param(
        edit(CARD, "difficulty: hard", "difficulty: brutal"),
        CARD,
        "difficulty:",
        ["bad difficulty 'brutal': use easy, medium or hard"],
        id="bad-difficulty",
    ),
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
        edit(CARD, "id: l1-vs-l2", "id: L1 vs L2"),
        CARD,
        "id: L1 vs L2",
        ["id: 'L1 vs L2' is not a slug"],
        id="not-a-slug",
    ),
    pytest.param(
        edit(CARD, "question: ", "question: [unclosed\n"),
        CARD,
        "How is L1",
        [
            "YAML syntax error: expected ',' or ']', but got '?' (while parsing a flow sequence "
            "that starts at line 3)"
        ],
        id="yaml-syntax",
    ),
    pytest.param(
        edit(CARD, "number: 3", "number: 3\nnumber: 3"),
        CARD,
        "number: 3",
        ["duplicate key 'number' (first at line 2)"],
        id="duplicate-key",
    ),
    pytest.param(
        write(CARD, ""),
        CARD,
        None,
        ["the file is empty: expected a mapping of fields"],
        id="empty-file",
    ),
    pytest.param(
        write(CARD, "- just\n- a list\n"),
        CARD,
        None,
        ["expected a mapping of fields (key: value), got a list"],
        id="not-a-mapping",
    ),
    pytest.param(
        edit(DECK, "card: l1-vs-l2", "card: l1-versus-l2"),
        DECK,
        "card: l1-versus-l2",
        ["cheat sheet item 'L1' names unknown card 'l1-versus-l2'"],
        id="cheatsheet-unknown-card",
    ),
    pytest.param(
        edit(DECK, 'tip: "For exact zeros', 'tips: "For exact zeros'),
        DECK,
        "tips:",
        ["unknown field 'cheatsheet.groups.0.items.0.tips'; did you mean 'tip'?"],
        id="cheatsheet-unknown-field",
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
    pytest.param(
        edit(DECK, "title:", "titel:"),
        DECK,
        "titel:",
        ["unknown field 'titel'; did you mean 'title'?"],
        id="deck-unknown-field",
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
    change(content_copy)
    found = problems(content_copy)
    assert len(found) == len(expected), found
    for want in expected:
        (message,) = [message for message in found if want in message]
        line = line_of(content_copy, relative, needle) if needle else 1
        if want.startswith(("duplicate key", "file name")):
            line = line_of(content_copy, relative, "number: 3" if "key" in want else "id:")
            line += 1 if "key" in want else 0
        assert message.startswith(f"{relative}:{line}: "), message


def test_yaml_syntax_error_names_its_line(content_copy: Path) -> None:
    path = content_copy / CARD
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(5, "broken: : : [")
    path.write_text("\n".join(lines), encoding="utf-8")
    (found,) = problems(content_copy)
    assert found.startswith(f"{CARD}:6: YAML syntax error"), found


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


def test_a_control_character_names_its_line(content_copy: Path) -> None:
    path = content_copy / CARD
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] += "\x1f"
    path.write_text("\n".join(lines), encoding="utf-8")
    (found,) = problems(content_copy)
    assert found == f"{CARD}:4: YAML error: the control character U+001F is not allowed"


BILLION_LAUGHS = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_billion_laughs_is_refused_fast_and_small(tmp_path: Path) -> None:
    path = tmp_path / "deck.yaml"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    assert len(BILLION_LAUGHS) < 1024
    tracemalloc.start()
    started = time.perf_counter()
    try:
        source, found = parse_yaml(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 1
    assert peak < 5_000_000  # bytes; the expanded document would take gigabytes
    assert source is None
    assert [(problem.line, problem.message) for problem in found] == [
        (2, "YAML error: aliases (*a) are not allowed in decks: write the value out")
    ]


def test_an_alias_in_a_card_is_named_with_its_line(content_copy: Path) -> None:
    path = content_copy / CARD
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("difficulty: hard", "difficulty: &level hard") + "chips: [*level]\n",
        encoding="utf-8",
    )
    (found,) = problems(content_copy)
    last = len(text.splitlines()) + 1
    assert found == (
        f"{CARD}:{last}: YAML error: aliases (*level) are not allowed in decks: write the value out"
    )


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 200_000])
def test_deep_nesting_is_refused(content_copy: Path, levels: int) -> None:
    path = content_copy / CARD
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "chips: " + "[" * levels + "]" * levels + "\n", encoding="utf-8")
    (found,) = problems(content_copy)
    assert found == (
        f"{CARD}:{len(text.splitlines()) + 1}: YAML error: nested more than {MAX_DEPTH} levels deep"
    )


def test_nesting_up_to_the_limit_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "deck.yaml"
    # The mapping is one level, so the lists may add MAX_DEPTH - 1.
    inner = MAX_DEPTH - 1
    path.write_text("x: " + "[" * inner + "]" * inner + "\n", encoding="utf-8")
    source, found = parse_yaml(path)
    assert found == []
    assert source is not None


def test_an_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "deck.yaml"
    path.write_bytes(b"x: " + b"a" * MAX_FILE_BYTES)
    source, found = parse_yaml(path)
    assert source is None
    assert [problem.message for problem in found] == [f"file is larger than {MAX_FILE_BYTES} bytes"]
