"""Key points and follow-ups in a card's YAML: checked on loading, warned about by check-content."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from app.cli import main
from app.content.loader import load_library
from tests.content.helpers import CARD, line_of, problems

GOOD = [
    {"id": "sparse", "text": "L1 gives exact zeros", "match": ["exact zero|zeros", "sparse"]},
    {"id": "shrink", "text": "L2 shrinks weights smoothly", "match": ["shrink weight"]},
    {"id": "laplace", "text": "L1 is a Laplace prior", "match": ["laplace prior"]},
]


class _Plain(yaml.SafeDumper):
    """Writes every value out (content refuses YAML aliases)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def set_points(root: Path, points: Any, follow_ups: Any = None) -> None:
    """Give the card these key points (and follow-ups), replacing what it had."""
    path = root / CARD
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["key_points"] = points
    data.pop("follow_ups", None)
    if follow_ups is not None:
        data["follow_ups"] = follow_ups
    path.write_text(
        yaml.dump(data, Dumper=_Plain, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )


def test_valid_key_points_load(content_copy: Path) -> None:
    follow_ups = [{"question": "Why corners?", "key_points": [GOOD[0]]}]
    set_points(content_copy, GOOD, follow_ups)
    card = load_library(content_copy).decks[0].card("l1-vs-l2")
    assert card is not None
    assert [point.id for point in card.key_points] == ["sparse", "shrink", "laplace"]
    assert card.follow_ups[0].question == "Why corners?"


@pytest.mark.parametrize(
    ("points", "needle", "message"),
    [
        (
            [GOOD[0], {**GOOD[1], "id": "sparse"}, GOOD[2]],
            "- id: sparse\n  text: L2",
            "duplicate key point id 'sparse' (first at line",
        ),
        (
            [GOOD[0], GOOD[1], {**GOOD[2], "regex": ["(unclosed"]}],
            "(unclosed",
            "regex: missing ), unterminated subpattern at position 0; fix the pattern",
        ),
        (
            [GOOD[0], GOOD[1], {**GOOD[2], "match": ["1/(1-p)"]}],
            "1/(1-p)",
            "match: '1/(1-p)' is not a word; write words separated by spaces (alternatives by "
            "|) and put formulas in regex",
        ),
        (
            [GOOD[0], GOOD[1], {**GOOD[2], "match": ["the of"]}],
            "the of",
            "match: 'the of' has only stop words; give a word that carries the point",
        ),
        (GOOD[:2], "key_points:", "give 3 to 6 key points, or none"),
        (
            [*GOOD, {**GOOD[0], "id": "extra", "colour": "red"}],
            "colour",
            "colour",
        ),
        ([{**GOOD[0], "match": []}, GOOD[1], GOOD[2]], "match: []", "match"),
        ([{**GOOD[0], "text": "  "}, GOOD[1], GOOD[2]], "text:", "text"),
    ],
    ids=[
        "duplicate-id",
        "bad-regex",
        "formula-in-match",
        "stop-words",
        "too-few",
        "unknown-field",
        "no-phrasing",
        "empty-text",
    ],
)
def test_bad_key_points_are_named_at_their_line(
    content_copy: Path, points: Any, needle: str, message: str
) -> None:
    set_points(content_copy, points)
    (found,) = problems(content_copy)
    text = (content_copy / CARD).read_text(encoding="utf-8")
    assert needle in text
    line = text[: text.index(needle)].count("\n") + 1
    assert found.startswith(f"{CARD}:{line}: "), found
    assert message in found


def test_a_follow_up_needs_key_points(content_copy: Path) -> None:
    set_points(content_copy, GOOD, [{"question": "Why?", "key_points": []}])
    (found,) = problems(content_copy)
    assert "follow_ups" in found


def test_warnings_do_not_fail_check_content(content_copy: Path) -> None:
    unsupported = {"id": "quantum", "text": "Uses qubits", "match": ["quantum entanglement"]}
    follow_ups = [{"question": "And then?", "key_points": [unsupported]}]
    set_points(content_copy, [GOOD[0], GOOD[1], unsupported], follow_ups)
    result = CliRunner().invoke(main, ["check-content", str(content_copy)])
    assert result.exit_code == 0, result.output
    line = line_of(content_copy, CARD, "id: quantum")
    assert (
        f"{CARD}:{line}: warning: key point 'quantum' is not supported by the card's text"
        in result.output.replace(str(content_copy) + "/", "")
    )
    assert "warning: follow-up key point 'quantum' is not supported by any card's text" in (
        result.output
    )
    assert result.output.splitlines()[-1] == "ok: 1 deck, 20 cards"


def test_a_card_without_key_points_is_warned_about(content_copy: Path) -> None:
    path = content_copy / CARD
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.pop("key_points", None)
    data.pop("follow_ups", None)
    path.write_text(
        yaml.dump(data, Dumper=_Plain, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    assert load_library(content_copy).warnings == ()  # only check-content asks for them
    library = load_library(content_copy, warn=True)
    assert any(
        warning.endswith(
            "03-l1-vs-l2.yaml:1: warning: no key_points: give 3 to 6 points an "
            "interviewer listens for, so that explaining the card back can be checked"
        )
        for warning in library.warnings
    ), library.warnings
