"""Idle, slow and oversized connections against a real `prepdeck serve`."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, suppress

import httpx2
import pytest

from app.serving import BODY_TIMEOUT, HEADER_TIMEOUT
from tests.abuse.rawhttp import closed_within, connect, read_response
from tests.server import running_server

TOO_LARGE = (
    b"The request line and headers are too large: send at most 100 headers and 16384 bytes in all."
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real server with the default limits; yield its URL."""
    data = tmp_path_factory.mktemp("connections") / "data"
    with running_server(data) as (base, _process):
        yield base


def served_quickly(base: str) -> float:
    """Ask for /healthz on a new connection; return how long the answer took."""
    started = time.monotonic()
    response = httpx2.get(f"{base}/healthz", timeout=5)
    assert response.status_code == 200
    return time.monotonic() - started


def test_silent_and_slow_sockets_are_closed(server: str) -> None:
    with connect(server) as silent, connect(server) as slow_head, connect(server) as slow_body:
        slow_head.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        slow_body.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        )
        stop = threading.Event()

        def dribble(sock: socket.socket) -> None:
            # A byte every 0.2 s: never finishing, never quite silent.
            while not stop.wait(0.2):
                try:
                    sock.sendall(b"a")
                except OSError:
                    return

        dribblers = [
            threading.Thread(target=dribble, args=(sock,)) for sock in (slow_head, slow_body)
        ]
        for dribbler in dribblers:
            dribbler.start()
        try:
            silent_after = closed_within(silent, HEADER_TIMEOUT + 2)
            slow_head_after = closed_within(slow_head, 2)
            slow_body_after = closed_within(slow_body, BODY_TIMEOUT - HEADER_TIMEOUT + 2)
        finally:
            stop.set()
            for dribbler in dribblers:
                dribbler.join()
    assert silent_after is not None, "a silent socket stayed open"
    assert slow_head_after is not None, "a socket sending its headers a byte at a time stayed open"
    assert slow_body_after is not None, "a socket sending its body a byte at a time stayed open"
    assert served_quickly(server) < 1


def test_a_kept_alive_connection_must_send_its_next_request_in_time(server: str) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(sock)[0] == 200
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")  # and then the headers never come
        assert closed_within(sock, HEADER_TIMEOUT + 2) is not None


def test_a_1_mb_header_gets_431_and_others_are_still_served(server: str) -> None:
    with connect(server) as sock:
        # The server may answer and close before the rest of the header is sent.
        with suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 1_000_000 + b"\r\n\r\n")
        status, headers, body = read_response(sock)
    assert (status, body) == (431, TOO_LARGE)
    assert headers["connection"] == "close"
    assert "content-security-policy" in headers
    assert served_quickly(server) < 1


def test_a_long_url_gets_431(server: str) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /?q=" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        status, _headers, body = read_response(sock)
    assert (status, body) == (431, TOO_LARGE)


def test_too_many_headers_get_431(server: str) -> None:
    many = b"".join(b"X-H%d: 1\r\n" % index for index in range(150))
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
        status, _headers, body = read_response(sock)
    assert (status, body) == (431, TOO_LARGE)


def test_headers_within_the_limits_are_served(server: str) -> None:
    headers = {f"x-h{index}": "v" * 100 for index in range(90)}  # 90 headers, about 10 KB
    response = httpx2.get(f"{server}/healthz", headers=headers, timeout=5)
    assert response.status_code == 200


def test_a_malformed_request_gets_400_with_the_security_headers(server: str) -> None:
    with connect(server) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        status, headers, _body = read_response(sock)
    assert status == 400
    assert "content-security-policy" in headers


def test_200_idle_sockets_do_not_delay_a_request(server: str) -> None:
    with ExitStack() as stack:
        for _ in range(200):
            stack.enter_context(connect(server))
        assert served_quickly(server) < 1


def test_past_the_connection_cap_the_idlest_connection_is_closed(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    data = tmp_path_factory.mktemp("capped") / "data"
    env = {"PREPDECK_MAX_CONNECTIONS": "50"}
    with running_server(data, env=env) as (base, _process), ExitStack() as stack:
        idle = [stack.enter_context(connect(base)) for _ in range(200)]
        time.sleep(0.5)
        assert served_quickly(base) < 1
        closed = 0
        for sock in idle:
            sock.setblocking(False)
            try:
                if sock.recv(1) == b"":
                    closed += 1
            except BlockingIOError:
                pass  # still open
            except ConnectionResetError:
                closed += 1
        assert closed >= 150


def test_when_every_connection_is_busy_a_new_one_gets_503(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    data = tmp_path_factory.mktemp("busy") / "data"
    env = {"PREPDECK_MAX_CONNECTIONS": "10"}
    with running_server(data, env=env) as (base, _process), ExitStack() as stack:
        for _ in range(12):  # requests whose bodies are still to come keep their connections
            sock: socket.socket = stack.enter_context(connect(base))
            sock.sendall(
                b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            )
        time.sleep(0.5)
        with connect(base) as sock:
            status, headers, body = read_response(sock)
        assert status == 503
        assert body == b"The server has too many connections open; try again in a moment."
        assert "content-security-policy" in headers
