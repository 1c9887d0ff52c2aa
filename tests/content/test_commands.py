"""The check-content command, and the content check that serve shares with it."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from tests.content.helpers import CARD, break_card
from tests.content.test_yaml_source import BILLION_LAUGHS


@pytest.fixture
def runner() -> CliRunner:
    """A runner for the CLI."""
    return CliRunner()


def test_check_content_ok(runner: CliRunner) -> None:
    result = runner.invoke(main, ["check-content"])
    assert result.exit_code == 0, result.output
    assert result.output == "ok: 1 deck, 20 cards\n"


def test_check_content_path_argument(runner: CliRunner, content_copy: Path) -> None:
    result = runner.invoke(main, ["check-content", str(content_copy / "regularization")])
    assert result.exit_code == 0, result.output
    assert result.output == "ok: 1 deck, 20 cards\n"


def test_check_content_reports_problems_and_exits_1(runner: CliRunner, content_copy: Path) -> None:
    break_card(content_copy)
    result = runner.invoke(main, ["check-content", str(content_copy)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].endswith(f"{CARD}:4: bad difficulty 'brutal': use easy, medium or hard")
    assert lines[-1] == "1 problem in the content."


def test_check_content_uses_the_content_dir_setting(
    runner: CliRunner, content_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    break_card(content_copy)
    monkeypatch.setenv("PREPDECK_CONTENT_DIR", str(content_copy))
    result = runner.invoke(main, ["check-content"])
    assert result.exit_code == 1
    assert "bad difficulty 'brutal'" in result.output


def test_check_content_missing_path(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["check-content", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_check_content_knows_the_demos(runner: CliRunner, content_copy: Path) -> None:
    path = content_copy / CARD
    path.write_text(
        path.read_text(encoding="utf-8").replace("demo: l1-vs-l2", "demo: l1-vs-l3"),
        encoding="utf-8",
    )
    result = runner.invoke(main, ["check-content", str(content_copy)])
    assert result.exit_code == 1
    assert "unknown demo id 'l1-vs-l3': known demos are adam-vs-adamw, augmentation," in (
        result.output
    )


@pytest.mark.parametrize("command", ["check-content", "serve"])
def test_an_alias_bomb_is_refused_by_check_content_and_serve(
    runner: CliRunner, content_copy: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    (content_copy / CARD).write_text(BILLION_LAUGHS, encoding="utf-8")
    monkeypatch.setenv("PREPDECK_CONTENT_DIR", str(content_copy))
    monkeypatch.setenv("PREPDECK_DATA_DIR", str(content_copy.parent / "data"))
    result = runner.invoke(main, [command])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"content/{CARD}:2: YAML error: aliases (*a) are not allowed in decks: write the value out",
        "1 problem in the content.",
    ]
