"""The README documents every setting and every CLI command."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from app.config import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_in_the_readme_settings_table(name: str) -> None:
    settings_section = README.split("## Settings", 1)[1].split("\n## ", 1)[0]
    assert f"| `PREPDECK_{name.upper()}` |" in settings_section


def test_every_command_is_in_the_readme() -> None:
    commands = [
        f"prepdeck {name}"
        for name, command in main.commands.items()
        if not hasattr(command, "commands")
    ]
    commands += [f"prepdeck db {name}" for name in main.commands["db"].commands]  # type: ignore[attr-defined]
    for command in commands:
        assert f"`{command}" in README, command


def test_readme_commands_are_the_ci_commands() -> None:
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -e '.[test]'" in README
    assert "pip install -e '.[test]'" in ci
    assert "pip install . && prepdeck serve" in README


def test_help_runs() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "check-content" in result.output
