"""Request bodies over their route's limit get 413 before they are read into memory."""

import json
import time
from collections.abc import Iterator

import httpx2
import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app import migrate
from app.config import Settings
from app.main import create_app
from tests.abuse.rawhttp import connect, read_response, rss_kib
from tests.helpers import PASSWORD, soup, text_of
from tests.server import running_server

SMALL = 16 * 1024
SMALL_DETAIL = (
    f"The request body is larger than {SMALL} bytes; send at most {SMALL} bytes to this route."
)
SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options")


def padded_json(size: int) -> bytes:
    """Return a valid JSON object of exactly size bytes (padded with spaces)."""
    body = b'{"username": "ada", "password": "correct horse battery"}'
    return body + b" " * (size - len(body))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """One real server for the tests that need a socket; yield its URL and process id."""
    data = tmp_path_factory.mktemp("body-limits") / "data"
    with running_server(data) as (base, process):
        yield base, process.pid


@pytest.mark.parametrize(
    "path",
    ["/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/reviews", "/api/v1/me/settings"],
)
def test_small_routes_refuse_a_body_over_16_kib(client: TestClient, path: str) -> None:
    method = "PUT" if path.endswith("settings") else "POST"
    headers = {"Content-Type": "application/json"}
    response = client.request(method, path, content=padded_json(SMALL + 1), headers=headers)
    assert response.status_code == 413
    assert response.json() == {"detail": SMALL_DETAIL}
    assert response.headers["connection"] == "close"
    for name in SECURITY_HEADERS:
        assert name in response.headers


def test_a_body_of_exactly_the_limit_is_parsed(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/register",
        content=padded_json(SMALL),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201


def test_a_page_form_over_the_limit_gets_the_error_page(client: TestClient) -> None:
    response = client.post("/login", data={"username": "ada", "password": "x" * SMALL})
    assert response.status_code == 413
    assert text_of(soup(response), ".error-page__messages") == SMALL_DETAIL
    for name in SECURITY_HEADERS:
        assert name in response.headers


@pytest.fixture
def small_import_app(settings: Settings) -> Iterator[FastAPI]:
    """The app with a 64 KiB import limit, so the test need not send 20 MiB."""
    app = create_app(settings.model_copy(update={"max_import_bytes": 64 * 1024}))
    migrate.upgrade(app.state.engine)
    yield app
    app.state.engine.dispose()


def test_the_import_routes_take_up_to_their_own_limit(small_import_app: FastAPI) -> None:
    limit = 64 * 1024
    detail = (
        f"The request body is larger than {limit} bytes; send at most {limit} bytes "
        "(the server's PREPDECK_MAX_IMPORT_BYTES)."
    )
    with TestClient(small_import_app) as client:
        credentials = {"username": "ada", "password": PASSWORD}
        client.post("/api/v1/auth/register", json=credentials)
        token = client.post("/api/v1/auth/login", json=credentials).json()["token"]
        client.cookies.clear()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        exported = client.get("/api/v1/me/export", headers=headers).content
        # Over the small limit but under the import one: read and imported.
        body = exported + b" " * (SMALL * 2)
        response = client.post("/api/v1/me/import", content=body, headers=headers)
        assert response.json() == {"reviews_added": 0, "cards_rebuilt": 0}
        body = exported + b" " * limit
        response = client.post("/api/v1/me/import", content=body, headers=headers)
        assert (response.status_code, response.json()) == (413, {"detail": detail})
        # The settings page's import is a multipart form with the file in it.
        files = {"file": ("progress.json", b"{}" + b" " * limit, "application/json")}
        response = client.post("/settings/import", files=files)
        assert response.status_code == 413
        assert text_of(soup(response), ".error-page__messages") == detail


def test_a_declared_length_over_the_limit_is_refused_before_the_body(
    server: tuple[str, int],
) -> None:
    base, _pid = server
    with connect(base) as sock:
        sock.sendall(
            b"POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"
        )
        # Nothing of the body is sent: the answer must not wait for it.
        status, headers, body = read_response(sock)
        assert status == 413
        assert json.loads(body) == {"detail": SMALL_DETAIL}
        assert headers["connection"] == "close"
        assert "content-security-policy" in headers
        assert sock.recv(1) == b""  # and the connection is closed


def test_a_chunked_body_is_cut_off_at_the_limit(server: tuple[str, int]) -> None:
    base, _pid = server
    with connect(base) as sock:
        sock.sendall(
            b"POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b" " * 4096
        for _ in range(5):  # 20 KiB, no Content-Length to go by
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        status, headers, body = read_response(sock)
        assert status == 413
        assert json.loads(body) == {"detail": SMALL_DETAIL}
        assert headers["connection"] == "close"
        assert "content-security-policy" in headers


def test_a_chunked_form_is_cut_off_with_the_error_page(server: tuple[str, int]) -> None:
    base, _pid = server
    with connect(base) as sock:
        sock.sendall(
            b"POST /login HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"username=ada&password=" + b"x" * 4096
        for _ in range(5):
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        status, headers, body = read_response(sock)
    assert status == 413
    assert headers["content-type"].startswith("text/html")
    page = BeautifulSoup(body.decode(), "html.parser")
    assert text_of(page, ".error-page__messages") == SMALL_DETAIL
    assert "content-security-policy" in headers


def test_streaming_50_mb_to_register_keeps_the_server_small(server: tuple[str, int]) -> None:
    base, pid = server
    httpx2.get(f"{base}/healthz", timeout=5)
    before = rss_kib(pid)
    sent = 0
    started = time.monotonic()
    with connect(base) as sock:
        sock.sendall(
            b"POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
        try:
            while sent < 50_000_000 and time.monotonic() - started < 10:
                sock.sendall(chunk)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the server answered 413 and hung up: the rest is never read
    grown = rss_kib(pid) - before
    assert sent < 50_000_000, "the server read the whole 50 MB"
    assert grown < 10 * 1024, f"the server grew by {grown} KiB"
    assert httpx2.get(f"{base}/healthz", timeout=5).status_code == 200
