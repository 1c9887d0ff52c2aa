"""The serve command: content checked, database migrated, one or more processes serving."""

import gc
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest
from click.testing import CliRunner
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import create_engine

from app import migrate
from app.cli import main
from app.config import Settings
from app.server import SUPERVISOR_PID, log_config, metrics_folder, server_app, where_data_lives
from app.serving import NoDelayConfig
from tests.commands import assert_one_line_error
from tests.content.helpers import CARD, break_card
from tests.helpers import PASSWORD
from tests.server import running_server


@pytest.fixture
def runner() -> CliRunner:
    """A runner for the CLI."""
    return CliRunner()


@pytest.fixture
def data_runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner on a fresh SQLite data folder."""
    monkeypatch.setenv("PREPDECK_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def test_serve_refuses_invalid_content(
    runner: CliRunner, content_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    break_card(content_copy)
    monkeypatch.setenv("PREPDECK_CONTENT_DIR", str(content_copy))
    result = runner.invoke(main, ["serve", "--port", "1"])
    assert result.exit_code == 1
    assert f"{CARD}:4: bad difficulty 'brutal'" in result.output
    assert "1 problem in the content." in result.output


STUDY_NEXT = "/api/v1/study/next"
STUDY_NEXT_TOTAL = f'prepdeck_http_requests_total{{method="GET",route="{STUDY_NEXT}",status="200"}}'
REQUESTS = "prepdeck_http_requests"


def test_serve_with_two_worker_processes(tmp_path: Path) -> None:
    credentials = {"username": "ada", "password": PASSWORD}
    temp = tmp_path / "tmp"  # where serve makes its metrics folder
    temp.mkdir()
    # Two processes each load the app: on a busy machine (the suite on every core) that can
    # take well over the usual 30 s.
    with running_server(
        tmp_path / "data", args=("--workers", "2"), env={"TMPDIR": str(temp)}, timeout=120
    ) as (base, server):
        [folder] = temp.glob("prepdeck-metrics-*")
        assert httpx2.get(f"{base}/healthz").json()["status"] == "ok"
        assert httpx2.post(f"{base}/api/v1/auth/register", json=credentials).status_code == 201
        token = httpx2.post(f"{base}/api/v1/auth/login", json=credentials).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}

        def study_next() -> None:
            answer = httpx2.get(f"{base}/api/v1/study/next", headers=headers)
            # Whichever process answers knows the token.
            assert answer.json()["counts"] == {"new": 20, "learning": 0, "review": 0}

        sent = 0
        with ThreadPoolExecutor(4) as pool:  # new connections at once, so both processes answer
            while len(counts_by_process(folder, STUDY_NEXT)) < 2 and sent < 400:
                list(pool.map(lambda _: study_next(), range(8)))
                sent += 8
        by_process = counts_by_process(folder, STUDY_NEXT)
        assert len(by_process) == 2
        assert sum(by_process.values()) == sent
        # Each scrape, whichever process answers it, counts the requests of both.
        for _ in range(4):
            assert f"{STUDY_NEXT_TOTAL} {sent}.0" in httpx2.get(f"{base}/metrics").text
        for _ in range(6):
            httpx2.get(f"{base}/api/v1/demos/dropout-mask.png")
        assert_demo_cache_counted(base, 6)
        # A process that dies is replaced; what it counted still counts, its live gauge goes.
        gone = min(by_process)
        os.kill(gone, signal.SIGKILL)
        wait_for(lambda: not (folder / f"gauge_livesum_{gone}.db").exists())
        assert f"{STUDY_NEXT_TOTAL} {sent}.0" in httpx2.get(f"{base}/metrics").text
        server.terminate()
        server.wait(timeout=40)
    assert not folder.exists()


def counts_by_process(folder: Path, route: str) -> dict[int, float]:
    """Return the requests for route that each server process has counted, by its pid."""
    counts = {}
    for path in folder.glob("counter_*.db"):
        merged = MultiProcessCollector.merge([str(path)])  # type: ignore[no-untyped-call]
        # A process's file may hold other counters only, so far (or none yet).
        served = sum(
            sample.value
            for metric in merged
            if metric.name == REQUESTS
            for sample in metric.samples
            if sample.labels["route"] == route
        )
        if served:
            counts[int(path.stem.removeprefix("counter_"))] = served
    return counts


def assert_demo_cache_counted(base: str, images: int) -> None:
    """Wait until /metrics counts each of `images` image requests as a hit or a miss."""

    def counted() -> float:
        text = httpx2.get(f"{base}/metrics").text
        found = re.findall(r"^prepdeck_demo_cache_(?:hits|misses)_total (\S+)$", text, re.M)
        assert len(found) == 2
        return sum(float(value) for value in found)

    wait_for(lambda: counted() == images)


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    """Return once condition holds; fail if it does not within timeout seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.2)


def test_server_app_keeps_start_up_objects_out_of_full_collections(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", warm_demos=False, _env_file=None)
    try:
        app = server_app(settings)
        assert gc.get_freeze_count() > 10_000  # modules, content, templates
        assert app.state.settings is settings
        app.state.engine.dispose()
    finally:
        gc.unfreeze()


def test_server_app_keeps_numpy_on_one_thread(tmp_path: Path) -> None:
    from threadpoolctl import threadpool_info, threadpool_limits

    settings = Settings(data_dir=tmp_path / "data", warm_demos=False, _env_file=None)
    with threadpool_limits(2):  # as a fresh process on two cores; put back after
        try:
            server_app(settings).state.engine.dispose()
        finally:
            gc.unfreeze()
        assert {library["num_threads"] for library in threadpool_info()} == {1}


def test_one_server_process_ignores_a_supervisor_named_in_its_environment(tmp_path: Path) -> None:
    # Only the processes of --workers N end with their supervisor; a lone server has none,
    # whatever its environment says (here a process that has ended).
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    with running_server(tmp_path / "data", env={SUPERVISOR_PID: str(ended.pid)}) as (base, _):
        assert httpx2.get(f"{base}/healthz").json()["status"] == "ok"


def test_serve_migrates_and_serves_every_card(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with running_server(data) as (base, _server):
        assert httpx2.get(f"{base}/healthz").json()["status"] == "ok"
        cards = httpx2.get(f"{base}/api/v1/decks/regularization/cards").json()["cards"]
        assert len(cards) == 20
        for card in cards:
            assert httpx2.get(base + card["url"]).status_code == 200
    engine = create_engine(f"sqlite:///{data / 'prepdeck.sqlite3'}")
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_serve_on_a_port_in_use(data_runner: CliRunner) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = data_runner.invoke(main, ["serve", "--port", str(port)])
    assert_one_line_error(
        result, f"cannot listen on 127.0.0.1 port {port}: Address already in use. Check --host"
    )


def test_serve_on_an_address_of_another_machine(data_runner: CliRunner) -> None:
    result = data_runner.invoke(main, ["serve", "--host", "192.0.2.1", "--port", "8000"])
    assert_one_line_error(
        result, "cannot listen on 192.0.2.1 port 8000: Cannot assign requested address."
    )


def test_log_config_writes_the_access_log_as_json_lines() -> None:
    config = log_config("info")
    assert config["loggers"]["prepdeck.access"]["handlers"] == ["access"]
    assert config["formatters"]["json"]["format"] == "%(message)s"


def test_serve_prints_where_the_data_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A relative data folder is shown as the absolute path it means from where serve runs.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PREPDECK_DATA_DIR", "data")
    served: list[object] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: served.append(app))
    port = free_port()
    result = CliRunner().invoke(main, ["serve", "--port", str(port)])
    assert result.exit_code == 0, result.output
    database = tmp_path / "data" / "prepdeck.sqlite3"
    assert result.output.splitlines() == [
        f"data folder: {tmp_path / 'data'} (set PREPDECK_DATA_DIR to change it)",
        f"database: sqlite:///{database}",
        f"prepdeck on http://127.0.0.1:{port} (database migrated, content checked)",
    ]
    assert len(served) == 1
    assert database.is_file()


def test_one_server_process_runs_on_asyncios_own_event_loop_several_on_uvloop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # uvloop answers one process's connections unevenly under load; asyncio's loop answers
    # them in turn, but spreads the connections of one shared socket unevenly over processes.
    monkeypatch.setenv("PREPDECK_DATA_DIR", str(tmp_path / "data"))
    served: list[object] = []
    monkeypatch.setattr("app.server.server_app", lambda settings: settings)
    monkeypatch.setattr("uvicorn.run", lambda app, **options: served.append(options["loop"]))
    monkeypatch.setattr(
        "app.server.serve_workers", lambda workers, options: served.append(options["loop"])
    )
    for workers in ("1", "2"):
        result = CliRunner().invoke(
            main, ["serve", "--port", str(free_port()), "--workers", workers]
        )
        assert result.exit_code == 0, result.output
    assert served == ["asyncio", "auto"]  # auto: uvloop, which uvicorn[standard] installs


def test_the_database_line_hides_the_password(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url="postgresql+psycopg://prep:hunter2-secret@db.example:5432/prepdeck",
    )
    assert where_data_lives(settings) == [
        f"data folder: {tmp_path / 'data'} (set PREPDECK_DATA_DIR to change it)",
        "database: postgresql+psycopg://prep:***@db.example:5432/prepdeck",
    ]


def free_port() -> int:
    """Return a TCP port free on this machine right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_the_shared_listening_socket_sends_without_delay() -> None:
    config = NoDelayConfig("app.server:server_app", host="127.0.0.1", port=0, workers=2)
    with config.bind_socket() as listener:
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        listener.listen()
        with socket.create_connection(listener.getsockname()):
            accepted, _address = listener.accept()
            with accepted:  # what each server process serves a client on
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1


def test_the_metrics_folder_lasts_as_long_as_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/somewhere/else")
    with metrics_folder() as folder:
        assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == folder
        assert list(Path(folder).iterdir()) == []
    assert not Path(folder).exists()
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == "/somewhere/else"
