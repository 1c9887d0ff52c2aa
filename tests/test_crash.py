"""A review acknowledged with a 2xx is in the database after the server is killed."""

import os
import signal
import sqlite3
import uuid
from contextlib import suppress
from pathlib import Path

import httpx2
import pytest

from app.figures.cache import PER_CLIENT
from tests.helpers import PASSWORD
from tests.server import running_server


def test_acknowledged_reviews_survive_kill_9(tmp_path: Path) -> None:
    data = tmp_path / "data"
    acknowledged: list[str] = []
    with running_server(data) as (base, server):
        with httpx2.Client(base_url=base, timeout=10) as client:
            client.post("/api/v1/auth/register", json={"username": "ada", "password": PASSWORD})
            token = client.post(
                "/api/v1/auth/login", json={"username": "ada", "password": PASSWORD}
            ).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            cards = [
                c["id"] for c in client.get("/api/v1/decks/regularization/cards").json()["cards"]
            ]
            for index in range(40):
                review_id = str(uuid.uuid4())
                response = client.post(
                    "/api/v1/reviews",
                    json={
                        "card_id": cards[index % 20],
                        "rating": 1 + index % 4,
                        "review_id": review_id,
                    },
                    headers=headers,
                )
                if response.status_code == 201:
                    acknowledged.append(review_id)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
    assert len(acknowledged) == 40
    connection = sqlite3.connect(data / "prepdeck.sqlite3")
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = {row[0] for row in connection.execute("SELECT review_id FROM review_logs")}
    finally:
        connection.close()
    assert stored == set(acknowledged)


def test_sigterm_finishes_requests_in_flight(tmp_path: Path) -> None:
    import threading
    import time

    results: list[int] = []
    with running_server(tmp_path / "data") as (base, server):

        def fetch(seed: int) -> None:
            # A cold render of the largest figure: long enough to be in flight at SIGTERM.
            url = f"{base}/api/v1/demos/norm-layers.svg?seed={seed}&samples=8&groups=4"
            results.append(httpx2.get(url, timeout=30).status_code)

        # As many as one client may have drawn at once (more would be answered 429).
        seeds = range(1, PER_CLIENT + 1)
        threads = [threading.Thread(target=fetch, args=(seed,)) for seed in seeds]
        for thread in threads:
            thread.start()
        # Every request's connection accepted by the server, and the renders under way (their
        # processes start with the first one), however loaded the machine: the requests are in.
        port = int(base.rsplit(":", 1)[1])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            _accepted_connections(server.pid, port) < PER_CLIENT
            or len(_descendants(server.pid)) < 2
        ):
            time.sleep(0.05)
        time.sleep(0.2)  # for the server to read the requests it has accepted
        server.send_signal(signal.SIGTERM)
        for thread in threads:
            thread.join()
        # uvicorn finishes the requests, then exits by the signal it caught (-15).
        assert server.wait(timeout=40) in (0, -signal.SIGTERM)
    assert results == [200] * PER_CLIENT


def _accepted_connections(pid: int, port: int) -> int:
    """Return how many open connections to port the process pid has accepted, from /proc."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] == "01":  # ESTABLISHED
                    established.add(fields[9])  # the socket's inode
    held = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with suppress(OSError):
            target = os.readlink(fd)
            held += target.startswith("socket:[") and target[8:-1] in established
    return held


def _stat(pid: int | str) -> list[str] | None:
    """Return the fields of /proc/<pid>/stat after the command's name (state, parent, ...),
    or None once the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _descendants(pid: int) -> set[int]:
    """Return the ids of every process below pid, from /proc."""
    parents: dict[int, int] = {}
    for folder in Path("/proc").glob("[0-9]*"):
        fields = _stat(folder.name)
        if fields is not None:  # else it ended while listed
            parents[int(folder.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    """Return whether pid is a process that has not ended (a zombie has ended)."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_every_process_a_server_started_ends_when_it_is_killed_with_sigkill(
    tmp_path: Path, workers: str
) -> None:
    import time

    with running_server(tmp_path / "data", args=("--workers", workers)) as (base, server):
        for seed in range(1, 5):  # with two server processes, both likely draw one
            figure = httpx2.get(f"{base}/api/v1/demos/norm-layers.png?seed={seed}", timeout=60)
            assert figure.status_code == 200
        # Server processes (with --workers 2), forkservers, render workers, resource trackers.
        helpers = _descendants(server.pid)
        assert len(helpers) >= 2
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
    deadline = time.monotonic() + 60
    while any(_alive(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [pid for pid in helpers if _alive(pid)] == []
