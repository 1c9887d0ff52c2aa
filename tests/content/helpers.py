"""Helpers for the content tests: edits to a copy of the decks and the problems it then has."""

from collections.abc import Callable
from pathlib import Path

import pytest

from app.content.loader import ContentError, load_library

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


def break_card(root: Path) -> None:
    """Make one card's difficulty invalid."""
    path = root / CARD
    path.write_text(
        path.read_text(encoding="utf-8").replace("difficulty: hard", "difficulty: brutal"),
        encoding="utf-8",
    )


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


def assert_named_at_its_line(
    content_copy: Path,
    change: Callable[[Path], None],
    relative: str,
    needle: str | None,
    expected: list[str],
) -> None:
    """Apply change and assert that each expected problem is reported once, at its line."""
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
