"""The prepdeck command: serve, check-content, db upgrade, user, export, import."""

import errno
import gc
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from alembic.util import CommandError
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session

from app import migrate
from app.accounts.service import (
    AccountError,
    check_username,
    create_user,
    get_user,
    set_password,
)
from app.backups import BackupError, backup_database, checked_copy, swap_in
from app.config import Settings, get_settings
from app.content.loader import ContentError, load_library
from app.content.models import Library
from app.db import make_engine, make_sessionmaker
from app.figures.registry import demo_ids
from app.models import User, utcnow
from app.study.reviews import StudyError
from app.study.transfer import (
    InvalidImport,
    NotAnExport,
    export_progress,
    import_progress,
    parse_export,
    reviews_csv,
)

if TYPE_CHECKING:
    from fastapi import FastAPI


def _shown(text: str, limit: int = 80) -> str:
    """Return text fit for a one-line message: control characters escaped, long text cut."""
    escaped = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text[:limit])
    return escaped + ("..." if len(text) > limit else "")


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
            reason = f": {_shown(lines[0], 200)}" if lines else ""
            raise click.ClickException(
                f"unexpected {type(exc).__name__}{reason} "
                "(add --debug, as in `prepdeck --debug COMMAND`, to see the traceback)"
            ) from exc


class _Path(click.Path):
    """A click.Path that refuses a NUL character, which no file name can hold."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and "\0" in value:
            self.fail(f"'{_shown(value)}' contains a NUL character: no file name can", param, ctx)
        return super().convert(value, param, ctx)


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        problems = [
            f"PREPDECK_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}"
            for error in exc.errors(include_url=False)
        ]
        raise click.ClickException("invalid settings: " + "; ".join(problems)) from exc


def _load(path: Path) -> Library:
    """Load the content, or print every problem and exit 1."""
    try:
        return load_library(path, demo_ids=demo_ids())
    except ContentError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        count = len(exc.problems)
        click.echo(f"{count} problem{'s' if count != 1 else ''} in the content.", err=True)
        sys.exit(1)


def _bad_url(exc: Exception) -> click.ClickException:
    """Say that PREPDECK_DATABASE_URL cannot be used, and what a good one looks like."""
    return click.ClickException(
        f"PREPDECK_DATABASE_URL is not a database URL prepdeck can use ({_shown(str(exc), 200)}): "
        "give sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST/DATABASE"
    )


def _upgrade(settings: Settings) -> str | None:
    """Apply the pending migrations, or exit with a message naming the database."""
    try:
        engine = make_engine(settings)
    except (ArgumentError, ImportError) as exc:
        raise _bad_url(exc) from exc
    except OSError as exc:
        is_file = settings.data_dir.exists() and not settings.data_dir.is_dir()
        raise click.ClickException(
            f"cannot create the data folder {settings.data_dir}: "
            f"{'a file has that name' if is_file else exc.strerror}. Check PREPDECK_DATA_DIR."
        ) from exc
    shown = engine.url.render_as_string(hide_password=True)
    try:
        migrate.upgrade(engine)
        return migrate.current_revision(engine)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
        raise click.ClickException(
            f"cannot migrate the database ({shown}): "
            f"{reason}. Check PREPDECK_DATABASE_URL and that the database is running."
        ) from exc
    except CommandError as exc:
        # Alembic's words for a revision it has no migration for: a newer prepdeck made it.
        raise click.ClickException(
            f"cannot migrate the database ({shown}): {_shown(str(exc), 200)}. It was made by a "
            f"newer prepdeck (this one knows {', '.join(migrate.known_revisions())}): run that "
            "version, or restore a backup made by this one."
        ) from exc
    finally:
        engine.dispose()


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="prepdeck")
@click.option(
    "--debug", is_flag=True, help="Show the traceback of an unexpected error (for bug reports)."
)
def main(debug: bool) -> None:
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

    from app.serving import LimitedHttpProtocol

    settings = _settings()
    _load(settings.content_dir)
    _upgrade(settings)
    _check_listen(host, port)
    click.echo(f"prepdeck on http://{host}:{port} (database migrated, content checked)")
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": log_config(settings.log_level),
        "access_log": False,  # the app writes its own JSON access log
        "server_header": False,
        "timeout_graceful_shutdown": 30,  # on SIGTERM, finish the requests in flight
        # Header timeout, header limits and the connection cap (see app/serving.py).
        "http": LimitedHttpProtocol,
        "timeout_keep_alive": 5,  # close a kept-alive connection idle this many seconds
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": settings.trusted_proxies or None,
    }
    if workers == 1:
        uvicorn.run(server_app(settings), **options)
    else:
        uvicorn.run("app.cli:server_app", factory=True, workers=workers, **options)


def _check_listen(host: str, port: int) -> None:
    """Raise ClickException unless a server could listen on host:port right now."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except (OSError, UnicodeError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise click.ClickException(
            f"cannot listen on {_shown(host)} port {port}: {reason}. "
            "Check --host (an address of this machine) and --port (a free one)."
        ) from exc


def server_app(settings: Settings | None = None) -> "FastAPI":
    """Build the app for a long-running server process.

    Everything loaded so far (libraries, content, templates) lives as long as the process, so
    it is moved out of the garbage collector's sight (gc.freeze): otherwise each full
    collection walks all of it, a pause of tens of ms that lands on whatever requests are in
    flight.
    """
    from app.main import create_app

    app = create_app(settings)
    gc.collect()
    gc.freeze()
    return app


def log_config(level: str) -> dict[str, Any]:
    """Return the logging set-up: plain lines for messages, JSON lines for the access log."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
            "json": {"format": "%(message)s"},
        },
        "handlers": {
            "plain": {"class": "logging.StreamHandler", "formatter": "plain"},
            "access": {"class": "logging.StreamHandler", "formatter": "json"},
        },
        "loggers": {
            "uvicorn": {"handlers": ["plain"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "app": {"handlers": ["plain"], "level": level.upper(), "propagate": False},
            "prepdeck.access": {"handlers": ["access"], "level": level.upper(), "propagate": False},
        },
    }


@main.command("check-content")
@click.argument("path", required=False, type=_Path(path_type=Path, file_okay=False, exists=True))
def check_content(path: Path | None) -> None:
    """Check the decks in PATH (default: the configured content folder).

    Print one file:line: message per problem and exit 1 when there is any.
    """
    library = _load(path if path is not None else _settings().content_dir)
    cards = sum(len(deck.cards) for deck in library.decks)
    decks = len(library.decks)
    click.echo(f"ok: {decks} deck{'s' if decks != 1 else ''}, {cards} cards")


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    """Open a Session on the migrated database."""
    _upgrade(settings)
    engine = make_engine(settings)
    try:
        with make_sessionmaker(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _user(session: Session, username: str) -> User:
    try:
        check_username(username)
    except AccountError:
        user = None  # no such name can exist; asking the database could fail on a NUL
    else:
        user = get_user(session, username)
    if user is None:
        raise click.ClickException(f"no user '{_shown(username)}': see `prepdeck user list`")
    return user


def _password(value: str | None) -> str:
    if value is not None:
        return value
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@main.group("user")
def user_group() -> None:
    """Manage users."""


@user_group.command("create")
@click.argument("username")
@click.option("--password", help="The password (asked for when left out).")
@click.option("--admin/--no-admin", default=None, help="Make an admin (default: the first user).")
def user_create(username: str, password: str | None, admin: bool | None) -> None:
    """Create a user."""
    with _session(_settings()) as session:
        try:
            user = create_user(
                session=session, username=username, password=_password(password), is_admin=admin
            )
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        role = "admin" if user.is_admin else "user"
        click.echo(f"created {role} '{user.username}'")


@user_group.command("set-password")
@click.argument("username")
@click.option("--password", help="The new password (asked for when left out).")
def user_set_password(username: str, password: str | None) -> None:
    """Set a user's password and end their sessions."""
    with _session(_settings()) as session:
        user = _user(session, username)
        try:
            set_password(session=session, user=user, password=_password(password))
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"password of '{user.username}' changed; their sessions are ended")


@user_group.command("list")
def user_list() -> None:
    """List the users."""
    with _session(_settings()) as session:
        users = session.scalars(select(User).order_by(User.username)).all()
        if not users:
            click.echo("no users yet: `prepdeck user create NAME`")
        for user in users:
            role = "admin" if user.is_admin else "user"
            click.echo(f"{user.username}\t{role}\tcreated {user.created_at:%Y-%m-%d}")


@main.command("export")
@click.option("--user", "username", required=True, help="Whose progress to export.")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True
)
@click.option("--output", "-o", type=_Path(dir_okay=False, path_type=Path), help="File.")
def export_command(username: str, fmt: str, output: Path | None) -> None:
    """Export a user's progress (JSON) or review log (CSV) to a file or standard output."""
    with _session(_settings()) as session:
        export = export_progress(session=session, user=_user(session, username), now=utcnow())
    text = export.model_dump_json(indent=2) + "\n" if fmt == "json" else reviews_csv(export)
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise click.ClickException(f"cannot write {_shown(str(output))}: {reason}") from exc
        click.echo(f"wrote {len(export.reviews)} reviews to {output}", err=True)


@main.command("import")
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
    settings = _settings()
    library = _load(settings.content_dir)
    with _session(settings) as session:
        user = _user(session, username or data.username)
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


def _sqlite_file(settings: Settings, command: str) -> Path:
    """Return the SQLite database file, or explain what to use for another database."""
    try:
        url = make_url(settings.resolved_database_url)
    except ArgumentError as exc:
        raise _bad_url(exc) from exc
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        tool = (
            "pg_dump --format=custom --file=BACKUP DATABASE_URL"
            if command == "backup"
            else "pg_restore --clean --dbname=DATABASE_URL BACKUP"
        )
        raise click.ClickException(
            f"{command} handles a SQLite database file only; for PostgreSQL use its own tool: "
            f"{tool}"
        )
    return Path(url.database)


@main.command()
@click.argument("path", type=_Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def backup(path: Path, force: bool) -> None:
    """Copy the SQLite database to PATH, safely while the server runs."""
    database = _sqlite_file(_settings(), "backup")
    try:
        size = backup_database(database=database, target=path, force=force)
    except BackupError as exc:
        raise click.ClickException(_shown(str(exc), 400)) from exc
    click.echo(f"backed up {database} to {path} ({size} bytes)")


@main.command()
@click.argument("path", type=_Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(path: Path, yes: bool) -> None:
    """Replace the SQLite database with the backup at PATH (stop the server first).

    The backup is checked and migrated on a copy first; the old database is kept beside it as
    a new *.before-restore-<time> file.
    """
    database = _sqlite_file(_settings(), "restore")
    try:
        with checked_copy(database=database, backup=path) as copy:
            if not yes:
                click.confirm(
                    f"Replace {database} with {path} ({copy.users} users)? "
                    "Everything since the backup is lost.",
                    abort=True,
                )
            safety = swap_in(copy, database)
    except BackupError as exc:
        raise click.ClickException(_shown(str(exc), 400)) from exc
    migrated = (
        f", migrated from revision {copy.migrated_from}"
        if copy.migrated_from != copy.revision
        else ""
    )
    kept = f"; the previous database is kept as {safety}" if safety else ""
    click.echo(f"restored {path} into {database} (at revision {copy.revision}{migrated}){kept}")


@main.group()
def db() -> None:
    """Manage the database."""


@db.command()
def upgrade() -> None:
    """Apply every pending migration."""
    revision = _upgrade(_settings())
    click.echo(f"database at revision {revision} (head)")
