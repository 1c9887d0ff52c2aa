"""What every prepdeck command shares: settings or one line on them, echo-safe text, a path type."""

from typing import Any

import click
from pydantic import ValidationError

from app.config import Settings, get_settings
from app.exceptions import error_lines


def shown(text: str, limit: int = 80) -> str:
    """Return text fit for a one-line message: control characters escaped, long text cut."""
    escaped = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text[:limit])
    return escaped + ("..." if len(text) > limit else "")


class NulFreePath(click.Path):
    """A click.Path that refuses a NUL character, which no file name can hold."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and "\0" in value:
            self.fail(f"'{shown(value)}' contains a NUL character: no file name can", param, ctx)
        return super().convert(value, param, ctx)


def command_settings() -> Settings:
    """Return the settings, or fail with one line naming each bad PREPDECK_ variable."""
    try:
        return get_settings()
    except ValidationError as exc:
        problems = error_lines(
            exc, where=lambda loc: f"PREPDECK_{'_'.join(str(part) for part in loc).upper()}"
        )
        raise click.ClickException("invalid settings: " + "; ".join(problems)) from exc
