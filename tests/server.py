"""Start `prepdeck serve` in a child process on a free loopback port, for end-to-end tests."""

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2


def free_port() -> int:
    """Return a TCP port that is free on loopback now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_server(
    data_dir: Path,
    timeout: float = 120,
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run the server on data_dir until the block ends; yield its base URL and process.

    args are more options of `prepdeck serve`.
    """
    port = free_port()
    env = {
        "PATH": str(Path(sys.executable).parent),
        "PREPDECK_DATA_DIR": str(data_dir),
        "PREPDECK_WARM_DEMOS": "false",
        # The server runs this checkout's code, whichever checkout the package was installed from.
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        **(env or {}),
    }
    # The server's output goes to a file: a pipe that nobody reads fills up and then
    # blocks the server on its next log line.
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"server-{port}.log"
    log = log_path.open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), *args],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx2.get(f"{base}/healthz", timeout=2)
                break
            except httpx2.TransportError:
                if server.poll() is not None:
                    output = log_path.read_text(encoding="utf-8", errors="replace")
                    raise RuntimeError(f"server exited: {output}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server did not answer in {timeout} s") from None
                time.sleep(0.2)
        yield base, server
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=40)  # graceful shutdown waits up to 30 s for requests
        log.close()
