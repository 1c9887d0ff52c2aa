"""The server's HTTP protocol: uvicorn's httptools one with limits on slow and idle clients.

uvicorn (0.54, with httptools, its default when installed) closes a keep-alive connection
after a response when nothing more comes, but it never times out a connection that has sent
nothing yet, or the line and headers of a request sent a byte at a time; nor does it bound
the size or number of the headers (`h11_max_incomplete_event_size` applies to its h11
protocol only). Its `limit_concurrency` counts idle connections too, so a few hundred silent
sockets would make it answer 503 to real requests. This protocol adds what is missing:

- a request's line and headers must arrive within HEADER_TIMEOUT seconds of the connection
  opening (or of the previous response); otherwise the connection is closed;
- its body must come at MIN_BODY_RATE on average after BODY_TIMEOUT seconds' grace;
- the line and headers may take MAX_HEAD_BYTES and MAX_HEADERS at most (else 431);
- each process keeps at most `max_connections` open; a new one past that closes the
  connection that has been idle the longest (one with no request in progress), or, when none
  is idle, is itself answered 503.

With several processes (`prepdeck serve --workers N`), NoDelayConfig binds the socket they
share and Supervisor runs them.
"""

import asyncio
import socket
from typing import Any

import httptools
from prometheus_client.multiprocess import mark_process_dead
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState
from uvicorn.supervisors.multiprocess import Multiprocess

from app.config import get_settings
from app.exceptions import AppError
from app.security import security_headers

HEADER_TIMEOUT = 5.0
# A body must start within BODY_TIMEOUT seconds of its head, and each byte received gives it
# 1/MIN_BODY_RATE s more: an honest upload of any size keeps far ahead, while one dribbled
# a byte at a time is cut off after about BODY_TIMEOUT seconds.
BODY_TIMEOUT = 10.0
MIN_BODY_RATE = 1000  # bytes a second
MAX_HEAD_BYTES = 16 * 1024
MAX_HEADERS = 100


class RequestRefused(AppError):
    """The request is answered with an error before it reaches the app."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message, status=status)
        self.reason = reason


class LimitedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header timeout, header limits and a connection cap."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.header_timer: asyncio.TimerHandle | None = None
        self.body_timer: asyncio.TimerHandle | None = None
        self.body_deadline = 0.0
        self.in_body = False  # the head is parsed, the body not yet all received
        self.head_bytes = 0  # bytes received while the head is incomplete
        self.head_size = 0  # the parsed line and headers
        self.header_count = 0
        self.last_active = self.loop.time()
        self.refused = False
        # From the environment, as the app's: uvicorn hands this class, not an instance or
        # a closure, to its worker processes.
        self.max_connections = get_settings().max_connections

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_timer()
        if len(self.connections) > self.max_connections and not self._close_idlest():
            self._refuse(
                RequestRefused(
                    503,
                    "Service Unavailable",
                    "The server has too many connections open; try again in a moment.",
                )
            )

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        self._stop_body_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # As uvicorn's, plus the limits on the line and headers (uvicorn's answers any
        # parser error, including one raised by a callback here, with a plain 400).
        if self.refused:
            return
        self._unset_keepalive_if_required()
        self.last_active = self.loop.time()
        in_head = self.header_timer is not None
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            if isinstance(exc.__context__, RequestRefused):
                self._refuse(exc.__context__)
                return
            self._bad_request()
            return
        except httptools.HttpParserError:
            self._bad_request()
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if in_head and self.header_timer is not None:
            # Still in the line and headers: all of data was head (the count also catches a
            # single endless header, which the parser would keep buffering).
            self.head_bytes += len(data)
            if self.head_bytes > MAX_HEAD_BYTES:
                self._refuse(_headers_too_large())
        elif self.in_body:
            if self.body_timer is None:
                self.body_deadline = self.loop.time() + BODY_TIMEOUT
                self.body_timer = self.loop.call_later(BODY_TIMEOUT, self._body_timeout)
            self.body_deadline += len(data) / MIN_BODY_RATE

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.head_bytes = 0
        self.head_size = 0
        self.header_count = 0
        if self.header_timer is None:
            self._start_header_timer()

    def on_url(self, url: bytes) -> None:
        self.head_size += len(url)
        if self.head_size > MAX_HEAD_BYTES:
            raise _headers_too_large()
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_count += 1
        self.head_size += len(name) + len(value) + 4  # ": " and CRLF
        if self.header_count > MAX_HEADERS or self.head_size > MAX_HEAD_BYTES:
            raise _headers_too_large()
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._stop_header_timer()
        self.in_body = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self.in_body = False
        self._stop_body_timer()
        super().on_message_complete()
        if self.cycle is not None and self.cycle.response_complete:  # answered before its body
            self._await_next_request()

    def on_response_complete(self) -> None:
        self.last_active = self.loop.time()
        super().on_response_complete()
        if not self.in_body:  # else once the rest of the body is in (and thrown away)
            self._await_next_request()

    def _await_next_request(self) -> None:
        if not self.transport.is_closing() and not self.pipeline:
            self._start_header_timer()  # the next request's head must come in time too

    def is_idle(self) -> bool:
        """Return whether no request is in progress on this connection."""
        return self.cycle is None or self.cycle.response_complete

    def _close_idlest(self) -> bool:
        idle = [
            connection
            for connection in self.connections
            if isinstance(connection, LimitedHttpProtocol)
            and connection is not self
            and connection.is_idle()
            and not connection.transport.is_closing()
        ]
        if not idle:
            return False
        min(idle, key=lambda connection: connection.last_active).transport.close()
        return True

    def _start_header_timer(self) -> None:
        self._stop_header_timer()
        self.header_timer = self.loop.call_later(HEADER_TIMEOUT, self._header_timeout)

    def _stop_header_timer(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _stop_body_timer(self) -> None:
        if self.body_timer is not None:
            self.body_timer.cancel()
            self.body_timer = None

    def _body_timeout(self) -> None:
        # The deadline moves on with every byte received: re-arm until it has passed.
        remaining = self.body_deadline - self.loop.time()
        if remaining > 0:
            self.body_timer = self.loop.call_later(remaining, self._body_timeout)
            return
        self.body_timer = None
        if not self.transport.is_closing():
            self.logger.debug("closed a connection whose request body came too slowly")
            self.transport.close()

    def _header_timeout(self) -> None:
        self.header_timer = None
        if not self.transport.is_closing():
            self.logger.debug("closed a connection that sent no request in %g s", HEADER_TIMEOUT)
            self.transport.close()

    def _bad_request(self) -> None:
        self.logger.warning("Invalid HTTP request received.")
        self._refuse(RequestRefused(400, "Bad Request", "Invalid HTTP request received."))

    def _refuse(self, refusal: RequestRefused) -> None:
        self.refused = True
        self._stop_header_timer()
        if self.transport.is_closing():
            return
        body = str(refusal).encode()
        headers = [
            *security_headers(),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
        ]
        head = f"HTTP/1.1 {refusal.status} {refusal.reason}\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in headers
        )
        self.transport.write(head.encode("latin-1") + b"\r\n" + body)
        self.transport.close()


def _headers_too_large() -> RequestRefused:
    return RequestRefused(
        431,
        "Request Header Fields Too Large",
        f"The request line and headers are too large: send at most {MAX_HEADERS} headers "
        f"and {MAX_HEAD_BYTES} bytes in all.",
    )


class NoDelayConfig(Config):
    """uvicorn's settings, whose listening socket sends small responses at once (TCP_NODELAY).

    uvicorn binds the socket it shares among several processes itself, without TCP_NODELAY,
    and the event loop sets it on an accepted connection only when the listener was made with
    protocol IPPROTO_TCP, which uvicorn's is not (uvicorn issue 3149): every response then
    waits for the client's delayed ACK. On Linux accepted connections inherit it from here.
    """

    def bind_socket(self) -> socket.socket:
        listener = super().bind_socket()
        if listener.family in (socket.AF_INET, socket.AF_INET6):
            listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return listener


class Supervisor(Multiprocess):
    """uvicorn's supervisor of server processes, which also tells the metrics when one ends.

    A process's live gauges (prometheus-client's multiprocess files) must go with it; its
    counters and histograms stay, as what it counted still happened.
    """

    def __init__(self, config: Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets)
        self.metrics_pids: set[int] = set()

    def keep_subprocess_alive(self) -> None:
        # Called every half second: the processes gone since, whichever way (died, restarted
        # on SIGHUP, fewer on SIGTTOU), are marked dead.
        super().keep_subprocess_alive()
        alive = {process.pid for process in self.processes if process.pid is not None}
        for pid in self.metrics_pids - alive:
            mark_process_dead(pid)  # type: ignore[no-untyped-call]
        self.metrics_pids = alive
