"""The export and import commands: a user's progress to a file and back."""

from pathlib import Path

import click

from app.accounts.commands import named_user
from app.cli_common import NulFreePath, command_settings, shown
from app.content.commands import load_or_exit
from app.db_commands import open_session
from app.models import utcnow
from app.study.reviews import StudyError
from app.study.transfer import (
    InvalidImport,
    NotAnExport,
    export_progress,
    import_progress,
    parse_export,
    reviews_csv,
)


@click.command("export")
@click.option("--user", "username", required=True, help="Whose progress to export.")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True
)
@click.option("--output", "-o", type=NulFreePath(dir_okay=False, path_type=Path), help="File.")
def export_command(username: str, fmt: str, output: Path | None) -> None:
    """Export a user's progress (JSON) or review log (CSV) to a file or standard output."""
    with open_session(command_settings()) as session:
        export = export_progress(session=session, user=named_user(session, username), now=utcnow())
    text = export.model_dump_json(indent=2) + "\n" if fmt == "json" else reviews_csv(export)
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise click.ClickException(f"cannot write {shown(str(output))}: {reason}") from exc
        click.echo(f"wrote {len(export.reviews)} reviews to {output}", err=True)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "username", help="Into whose account (default: the file's username).")
def import_command(file: Path, username: str | None) -> None:
    """Merge an exported progress file into a user's progress (twice adds nothing twice)."""
    try:
        data = parse_export(file.read_bytes())
    except OSError as exc:
        raise click.ClickException(f"{file}: cannot read it: {exc.strerror}") from exc
    except NotAnExport as exc:
        lines = [
            f"{file} is {line}"
            if line.startswith("not a prepdeck")
            else f"{file} is not a prepdeck progress export: {line}"
            for line in exc.lines()
        ]
        raise click.ClickException("\n".join(lines)) from exc
    settings = command_settings()
    library = load_or_exit(settings.content_dir)
    with open_session(settings) as session:
        user = named_user(session, username or data.username)
        try:
            added, rebuilt = import_progress(
                session=session, user=user, data=data, now=utcnow(), library=library
            )
        except InvalidImport as exc:
            raise click.ClickException(_lines(file, exc.lines())) from exc
        except StudyError as exc:
            raise click.ClickException(f"{file}: {exc}") from exc
    click.echo(f"imported into '{user.username}': {added} new reviews, {rebuilt} cards rebuilt")


def _lines(file: Path, lines: list[str]) -> str:
    """Return one 'FILE: location: message' line per problem."""
    return "\n".join(f"{file}: {line}" for line in lines)
