"""The serve command: check content, migrate, run uvicorn with the app's protocol and logs."""

import gc
import os
import signal
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from app.cli_common import command_settings, shown
from app.config import Settings
from app.content.commands import load_or_exit
from app.db_commands import upgrade_database
from app.lifelines import when_ended

if TYPE_CHECKING:
    from fastapi import FastAPI

SUPERVISOR_PID = "PREPDECK_SUPERVISOR_PID"  # set for the server processes of --workers N


@click.command()
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

    settings = command_settings()
    load_or_exit(settings.content_dir)
    upgrade_database(settings)
    _check_listen(host, port)
    for line in where_data_lives(settings):
        click.echo(line)
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
        # One process: asyncio's own event loop. Under load uvloop served some connections far
        # later than others (a page's p99 at 32 connections 128 ms, against 29 ms here).
        # Several processes on one listening socket: uvloop, which spread the connections
        # evenly over them, where asyncio's loop shared the load unevenly (two processes
        # gave 0.84 to 2.1 times one, from run to run, against 1.9 to 2.4 with uvloop).
        "loop": "asyncio" if workers == 1 else "auto",  # auto: uvloop where installed
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": settings.trusted_proxies or None,
    }
    if workers == 1:
        os.environ.pop(SUPERVISOR_PID, None)  # this process is the server: it has no supervisor
        uvicorn.run(server_app(settings), **options)
    else:
        serve_workers(workers, options)


def serve_workers(workers: int, options: dict[str, Any]) -> None:
    """Run `workers` processes of server_app on one listening socket until a signal stops them.

    As `uvicorn.run(..., workers=N)` does, but on a socket with TCP_NODELAY, and with the
    processes' metrics gathered in a folder of this run (prometheus-client's multiprocess mode).
    """
    from app.serving import NoDelayConfig, Supervisor

    # Each server process draws figures on processes of its own: share the cores out.
    os.environ.setdefault(
        "PREPDECK_RENDER_PROCESSES", str(max(1, (os.cpu_count() or 1) // workers))
    )
    # Each server process ends when this one does, even if this one is killed with SIGKILL.
    os.environ[SUPERVISOR_PID] = str(os.getpid())
    config = NoDelayConfig("app.server:server_app", factory=True, workers=workers, **options)
    with metrics_folder():
        listener = config.bind_socket()
        try:
            Supervisor(config, sockets=[listener]).run()
        except KeyboardInterrupt:
            pass
        finally:
            listener.close()


@contextmanager
def metrics_folder() -> Iterator[str]:
    """Give the server processes started in the block a fresh, empty metrics folder.

    It must be set before the processes start (prometheus-client picks its mode when first
    imported) and empty (files left by another run would be counted as this one's).
    """
    from app.observability import MULTIPROCESS_DIR

    previous = os.environ.get(MULTIPROCESS_DIR)
    with tempfile.TemporaryDirectory(prefix="prepdeck-metrics-") as folder:
        os.environ[MULTIPROCESS_DIR] = folder
        try:
            yield folder
        finally:
            if previous is None:
                del os.environ[MULTIPROCESS_DIR]
            else:
                os.environ[MULTIPROCESS_DIR] = previous


def where_data_lives(settings: Settings) -> list[str]:
    """Return the lines that say where this server keeps its data: the data folder as an
    absolute path (PREPDECK_DATA_DIR, by default ./data of the folder the command runs in) and
    the database URL with any password hidden."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.resolved_database_url).render_as_string(hide_password=True)
    folder = shown(str(settings.data_dir.resolve()), limit=1000)
    return [
        f"data folder: {folder} (set PREPDECK_DATA_DIR to change it)",
        f"database: {shown(url, limit=1000)}",
    ]


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
            f"cannot listen on {shown(host)} port {port}: {reason}. "
            "Check --host (an address of this machine) and --port (a free one)."
        ) from exc


def server_app(settings: Settings | None = None) -> "FastAPI":
    """Build the app for a long-running server process.

    Everything loaded so far (libraries, content, templates) lives as long as the process, so
    it is moved out of the garbage collector's sight (gc.freeze): otherwise each full
    collection walks all of it, a pause of tens of ms that lands on whatever requests are in
    flight. numpy's BLAS keeps to one thread, as in a render process: requests already run on
    many threads, and a quiz question's compute is too small to gain from more.
    """
    from app.figures.cache import one_native_thread
    from app.main import create_app

    one_native_thread()

    supervisor = os.environ.get(SUPERVISOR_PID, "")
    if supervisor.isdigit():
        # A server process of `serve --workers N`: stop as on SIGTERM (finishing the requests
        # in flight) once the supervisor has ended, which left alone it would not notice.
        when_ended(
            int(supervisor),
            lambda: os.kill(os.getpid(), signal.SIGTERM),
            name="server-ends-with-supervisor",
        )
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
