"""The content loader, fuzzed: whatever a card file holds, the answer is a clean error list."""

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import paths
from app.content.loader import ContentError, load_library

CARD = "regularization/cards/03-l1-vs-l2.yaml"
FIELDS = ["id", "number", "question", "difficulty", "topics", "answer", "formula", "code",
          "code_language", "pros", "cons", "chips", "demo", "note", "extra"]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.sampled_from(["easy", "hard", "l1-l2", "$\\frac{a$", "$x$", "python", "{", "- a"]),
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
cards = st.dictionaries(st.sampled_from(FIELDS), values, max_size=len(FIELDS))


@pytest.fixture(scope="module")
def content() -> Iterator[Path]:
    """A private copy of the shipped content whose one card file each example rewrites."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "content"
        shutil.copytree(paths.CONTENT_DIR, root)
        yield root


def load(root: Path) -> None:
    """Load the content; a ContentError is a clean answer, anything else fails the test."""
    problems: tuple[object, ...] = ()
    try:
        load_library(root)
    except ContentError as exc:
        problems = exc.problems
        assert problems, "a ContentError names at least one problem"
    for problem in problems:
        text = str(problem)
        assert ": " in text  # file[:line]: message
        assert "Traceback" not in text


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(max_size=300))
def test_any_text_gives_a_clean_answer(content: Path, text: str) -> None:
    (content / CARD).write_text(text, encoding="utf-8")
    load(content)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=st.binary(max_size=200))
def test_any_bytes_give_a_clean_answer(content: Path, raw: bytes) -> None:
    (content / CARD).write_bytes(raw)
    load(content)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(card=cards)
def test_any_yaml_mapping_gives_a_clean_answer(content: Path, card: dict[str, object]) -> None:
    (content / CARD).write_text(yaml.safe_dump(card, allow_unicode=True), encoding="utf-8")
    load(content)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(lines=st.lists(st.sampled_from(["a: 1", "  - x", "b: [", "&a x", "*a", "? k", "c: |",
                                        "  text", "!!python/object:os.system x", "d: {e: f}",
                                        "---", "...", "%YAML 1.1", "\t", "id: l1-vs-l2"]),
                      max_size=12))  # fmt: skip
def test_yaml_fragments_give_a_clean_answer(content: Path, lines: list[str]) -> None:
    (content / CARD).write_text("\n".join(lines), encoding="utf-8")
    load(content)
