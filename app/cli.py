"""The prepdeck command: the root group, which collects the commands each feature defines."""

import errno
import os
from typing import Any

import click

from app.accounts.commands import user_group
from app.cli_common import shown
from app.content.commands import check_content
from app.db_commands import backup, db, restore
from app.server import serve
from app.study.commands import export_command, import_command
from app.study.fit_commands import fsrs_group


def _debugging(ctx: click.Context) -> bool:
    level = os.environ.get("PREPDECK_LOG_LEVEL", "").strip().lower()
    return bool(ctx.params.get("debug")) or level == "debug"


class _Main(click.Group):
    """The prepdeck group: an unexpected error ends in one line, its traceback under --debug."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if _debugging(ctx) or (isinstance(exc, OSError) and exc.errno == errno.EPIPE):
                raise
            lines = str(exc).strip().splitlines()
            reason = f": {shown(lines[0], 200)}" if lines else ""
            raise click.ClickException(
                f"unexpected {type(exc).__name__}{reason} "
                "(add --debug, as in `prepdeck --debug COMMAND`, to see the traceback)"
            ) from exc


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="prepdeck")
@click.option(
    "--debug", is_flag=True, help="Show the traceback of an unexpected error (for bug reports)."
)
def main(debug: bool) -> None:
    """prepdeck: interview-prep decks with spaced repetition."""


for command in (
    serve,
    check_content,
    db,
    backup,
    restore,
    user_group,
    export_command,
    import_command,
    fsrs_group,
):
    main.add_command(command)
