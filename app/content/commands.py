"""The check-content command, and loading the content for the commands that serve or use it."""

import sys
from pathlib import Path

import click

from app.cli_common import NulFreePath, command_settings
from app.content.loader import ContentError, load_library
from app.content.models import Library
from app.figures.registry import demo_ids


def load_or_exit(path: Path, *, warn: bool = False) -> Library:
    """Load the content, or print every problem and exit 1."""
    try:
        return load_library(path, demo_ids=demo_ids(), warn=warn)
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        count = len(exc.problems)
        click.echo(f"{count} problem{'s' if count != 1 else ''} in the content.", err=True)
        sys.exit(1)


@click.command("check-content")
@click.argument(
    "path", required=False, type=NulFreePath(path_type=Path, file_okay=False, exists=True)
)
def check_content(path: Path | None) -> None:
    """Check the decks in PATH (default: the configured content folder).

    Print one file:line: message per problem and exit 1 when there is any; warnings are
    printed too, and do not fail the check.
    """
    library = load_or_exit(path if path is not None else command_settings().content_dir, warn=True)
    for warning in library.warnings:
        click.echo(warning, err=True)
    cards = sum(len(deck.cards) for deck in library.decks)
    decks = len(library.decks)
    click.echo(f"ok: {decks} deck{'s' if decks != 1 else ''}, {cards} cards")
