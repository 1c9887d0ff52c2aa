"""A deck file parsed with the line of each key; aliases, deep nesting and huge files refused."""

import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from app.content.yaml_source import MAX_DEPTH, MAX_FILE_BYTES, parse_yaml
from tests.content.helpers import CARD, assert_named_at_its_line, edit, problems, write

CASES = [
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


def test_yaml_syntax_error_names_its_line(content_copy: Path) -> None:
    path = content_copy / CARD
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(5, "broken: : : [")
    path.write_text("\n".join(lines), encoding="utf-8")
    (found,) = problems(content_copy)
    assert found.startswith(f"{CARD}:6: YAML syntax error"), found


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
