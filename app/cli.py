"""The prepdeck command: serve, check-content, db upgrade."""

import sys
from pathlib import Path

import click
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from app import migrate
from app.config import Settings, get_settings
from app.content.loader import ContentError, load_library
from app.content.models import Library
from app.db import make_engine


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        lines = [
            f"  PREPDECK_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors(include_url=False)
        ]
        raise click.ClickException("invalid settings:\n" + "\n".join(lines)) from exc


def _load(path: Path) -> Library:
    """Load the content, or print every problem and exit 1."""
    try:
        return load_library(path)
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        count = len(exc.problems)
        click.echo(f"{count} problem{'s' if count != 1 else ''} in the content.", err=True)
        sys.exit(1)


def _upgrade(settings: Settings) -> str | None:
    """Apply the pending migrations, or exit with a message naming the database."""
    engine = make_engine(settings)
    try:
        migrate.upgrade(engine)
        return migrate.current_revision(engine)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
        raise click.ClickException(
            f"cannot migrate the database ({engine.url.render_as_string(hide_password=True)}): "
            f"{reason}. Check PREPDECK_DATABASE_URL and that the database is running."
        ) from exc
    finally:
        engine.dispose()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="prepdeck")
def main() -> None:
    """prepdeck: interview-prep decks with spaced repetition."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port."
)
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Processes."
)
def serve(host: str, port: int, workers: int) -> None:
    """Apply migrations, load and check the content, and serve the app."""
    import uvicorn

    from app.main import create_app

    settings = _settings()
    _load(settings.content_dir)
    _upgrade(settings)
    click.echo(f"prepdeck on http://{host}:{port} (database migrated, content checked)")
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level)
    else:
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=settings.log_level,
        )


@main.command("check-content")
@click.argument(
    "path", required=False, type=click.Path(path_type=Path, file_okay=False, exists=True)
)
def check_content(path: Path | None) -> None:
    """Check the decks in PATH (default: the configured content folder).

    Print one file:line: message per problem and exit 1 when there is any.
    """
    library = _load(path if path is not None else _settings().content_dir)
    cards = sum(len(deck.cards) for deck in library.decks)
    decks = len(library.decks)
    click.echo(f"ok: {decks} deck{'s' if decks != 1 else ''}, {cards} cards")


@main.group()
def db() -> None:
    """Manage the database."""


@db.command()
def upgrade() -> None:
    """Apply every pending migration."""
    revision = _upgrade(_settings())
    click.echo(f"database at revision {revision} (head)")
