"""Validation errors told to the author: the field, what is wrong, and what to write instead."""

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.content.helpers import CARD, DECK, assert_named_at_its_line, edit

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
        edit(CARD, "id: l1-vs-l2", "id: L1 vs L2"),
        CARD,
        "id: L1 vs L2",
        ["id: 'L1 vs L2' is not a slug"],
        id="not-a-slug",
    ),
    pytest.param(
        edit(DECK, 'tip: "For exact zeros', 'tips: "For exact zeros'),
        DECK,
        "tips:",
        ["unknown field 'cheatsheet.groups.0.items.0.tips'; did you mean 'tip'?"],
        id="cheatsheet-unknown-field",
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
    assert_named_at_its_line(content_copy, change, relative, needle, expected)
