"""Draw demo figures to PNG or SVG: a bounded LRU cache, one render per key at a time.

Rendering costs tens of milliseconds of CPU, so each (demo, params, format, theme, layout,
scale) is drawn once and kept; concurrent requests for a key wait for the one render in
progress. Requests draw on a pool of their own (RENDER_THREADS), never on the threads that
pages and the API run on, and the renders waiting for it are bounded: a client may have
PER_CLIENT cold renders under way, and all clients together MAX_QUEUED; past either,
RenderBusy (429 or 503 with Retry-After). Cached figures are served at once whatever the pool
is doing.
"""

import asyncio
import hashlib
import logging
import math
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from app.exceptions import AppError
from app.figures.demo import Demo, DemoParams
from app.figures.encode import DPI, Format, encode
from app.figures.layout import Layout
from app.figures.registry import demos
from app.figures.style import THEMES

Theme = Literal["light", "dark"]
Scale = Literal[1, 2]
SCALES: tuple[Scale, ...] = (1, 2)  # 1x and 2x PNGs, for a page's srcset
MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
# One thread: matplotlib holds the GIL while it draws, so a second render thread adds little
# throughput and takes CPU from the requests of everyone else.
RENDER_THREADS = 1
PER_CLIENT = 4  # cold renders one client address may have under way
MAX_QUEUED = 16  # cold renders under way or waiting, all clients together
log = logging.getLogger(__name__)


class RenderBusy(AppError):
    """Too many figures are being drawn: answer status (429 or 503) with Retry-After."""

    def __init__(self, status: int, retry_after: int, message: str) -> None:
        super().__init__(message, status=status, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


@dataclass(frozen=True)
class Rendered:
    """An image and its ETag."""

    body: bytes
    media_type: str
    etag: str
    alt: str


def draw(
    demo: Demo[Any, Any],
    params: DemoParams,
    fmt: Format,
    theme: Theme,
    layout: Layout = "wide",
    scale: Scale = 1,
) -> Rendered:
    """Compute and draw one figure, without caching; scale multiplies a PNG's pixels."""
    data = demo.compute(params)
    with demo.drawn(data, THEMES[theme], layout) as figure:
        body = encode(figure, fmt, dpi=DPI * scale)
    return Rendered(
        body=body,
        media_type=MEDIA_TYPES[fmt],
        etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
        alt=demo.summary(data),
    )


class Key(NamedTuple):
    """What names a figure in the cache."""

    demo: str
    params: DemoParams
    fmt: Format
    theme: Theme
    layout: Layout = "wide"
    scale: Scale = 1  # always 1 for an SVG, which has no pixels


class RenderCache:
    """A bounded LRU of rendered figures with single-flight rendering per key."""

    def __init__(
        self,
        max_entries: int = 512,
        max_bytes: int = 64_000_000,
        *,
        threads: int = RENDER_THREADS,
        per_client: int = PER_CLIENT,
        max_queued: int = MAX_QUEUED,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Key, Rendered] = OrderedDict()
        self._bytes = 0
        self._pending: dict[Key, Future[Rendered]] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.on_render: Callable[[str, float], None] | None = None
        self.per_client = per_client
        self.max_queued = max_queued
        self.threads = threads
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="demo-render")
        self._queued = 0
        self._by_client: Counter[str] = Counter()
        self._seconds = 0.1  # running mean of a render's time, for Retry-After

    def get(self, key: tuple[Any, ...]) -> Rendered | None:
        """Return a cached figure (and mark it recently used), or None.

        key: the fields of a Key; without a layout it names the wide figure.
        """
        with self._lock:
            return self._cached(Key(*key))

    def _cached(self, key: Key) -> Rendered | None:
        """Return a cached figure and count the hit, or None (lock held)."""
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            self.hits += 1
        return found

    def render(
        self,
        demo: Demo[Any, Any],
        params: DemoParams,
        fmt: Format,
        theme: Theme,
        layout: Layout = "wide",
        scale: Scale = 1,
    ) -> Rendered:
        """Return the figure for these parameters, drawing it only if no one has."""
        key = Key(demo.id, params, fmt, theme, layout, 1 if fmt == "svg" else scale)
        with self._lock:
            found = self._cached(key)
            if found is not None:
                return found
            pending = self._pending.get(key)
            owner = pending is None
            if pending is None:
                pending = Future()
                self._pending[key] = pending
                self.misses += 1
        if not owner:
            return pending.result()
        # On the render pool too, so that at most RENDER_THREADS figures are drawn at once.
        return self._executor.submit(self._draw, key, demo, params, pending).result()

    async def render_async(
        self,
        demo: Demo[Any, Any],
        params: DemoParams,
        fmt: Format,
        theme: Theme,
        layout: Layout = "wide",
        scale: Scale = 1,
        *,
        client: str,
    ) -> Rendered:
        """Return the figure from the cache, or draw it on the render pool if no one has.

        The one get-or-draw of the card page and the image API. client names who asks (the
        route's dependency reads it). Raise RenderBusy when the client already has PER_CLIENT
        renders under way or the pool has MAX_QUEUED; waiting for a render that someone else
        started costs nothing and is always allowed.
        """
        key = Key(demo.id, params, fmt, theme, layout, 1 if fmt == "svg" else scale)
        with self._lock:
            found = self._cached(key)
            if found is not None:
                return found
            pending = self._pending.get(key)
            if pending is None:
                self._admit(client)
                pending = Future()
                self._pending[key] = pending
                self.misses += 1
                self._queued += 1
                self._by_client[client] += 1
                self._executor.submit(self._draw_queued, key, demo, params, pending, client)
        return await _awaitable(pending)

    def _admit(self, client: str) -> None:
        """Raise RenderBusy if this client or the pool has too many renders (lock held)."""
        retry_after = max(1, math.ceil((self._queued + 1) * self._seconds / self.threads))
        if self._by_client[client] >= self.per_client:
            raise RenderBusy(
                429,
                retry_after,
                f"You have {self.per_client} figures being drawn already; try again in "
                f"{retry_after} s (figures drawn before are served at once).",
            )
        if self._queued >= self.max_queued:
            raise RenderBusy(
                503,
                retry_after,
                f"The server is drawing {self._queued} figures for others; try again in "
                f"{retry_after} s.",
            )

    def _draw_queued(
        self,
        key: Key,
        demo: Demo[Any, Any],
        params: DemoParams,
        pending: Future[Rendered],
        client: str,
    ) -> None:
        try:
            self._draw(key, demo, params, pending)
        except Exception:  # handed to the waiters through pending
            return
        finally:
            with self._lock:
                self._queued -= 1
                self._by_client[client] -= 1
                if not self._by_client[client]:
                    del self._by_client[client]

    def _draw(
        self,
        key: Key,
        demo: Demo[Any, Any],
        params: DemoParams,
        pending: Future[Rendered],
    ) -> Rendered:
        """Draw the figure of key, store it and hand it to its waiters (as its one owner)."""
        started = time.perf_counter()
        try:
            rendered = draw(demo, params, key.fmt, key.theme, key.layout, key.scale)
        except BaseException as exc:
            with self._lock:
                del self._pending[key]
            pending.set_exception(exc)
            raise
        seconds = time.perf_counter() - started
        if self.on_render is not None:
            self.on_render(demo.id, seconds)
        with self._lock:
            self._seconds = 0.8 * self._seconds + 0.2 * seconds
            del self._pending[key]
            self._store(key, rendered)
        pending.set_result(rendered)
        return rendered

    def close(self) -> None:
        """Stop the render pool; renders not started yet are dropped."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _store(self, key: Key, rendered: Rendered) -> None:
        self._entries[key] = rendered
        self._bytes += len(rendered.body)
        while self._entries and (
            len(self._entries) > self.max_entries or self._bytes > self.max_bytes
        ):
            _old_key, old = self._entries.popitem(last=False)
            self._bytes -= len(old.body)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def _awaitable(pending: Future[Rendered]) -> "asyncio.Future[Rendered]":
    """Return an asyncio future for pending that is this waiter's own.

    Cancelling it (the client went away) leaves the shared render and its other waiters be,
    which asyncio.wrap_future would not.
    """
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[Rendered] = loop.create_future()

    def settle(done: Future[Rendered]) -> None:
        if waiter.done():
            return
        error = done.exception()
        if error is not None:
            waiter.set_exception(error)
        else:
            waiter.set_result(done.result())

    def on_done(done: Future[Rendered]) -> None:
        with suppress(RuntimeError):  # the loop has closed: nobody is waiting any more
            loop.call_soon_threadsafe(settle, done)

    pending.add_done_callback(on_done)
    return waiter


def warm_defaults(cache: RenderCache, stop: threading.Event | None = None) -> None:
    """Render every demo's default PNG in both themes, wide (at start, in the background).

    Stops early once `stop` is set, so a shutting-down server does not wait for all of them.
    """
    themes: tuple[Theme, ...] = ("light", "dark")
    for demo in demos().values():
        for theme in themes:
            if stop is not None and stop.is_set():
                return
            try:
                cache.render(demo, demo.params(), "png", theme)
            except Exception:
                log.exception("could not draw demo %s (%s theme)", demo.id, theme)
