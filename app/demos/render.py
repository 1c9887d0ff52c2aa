"""Render demo figures to PNG or SVG: a bounded LRU cache, one render per key at a time.

Rendering costs tens of milliseconds of CPU, so each (demo, params, format, theme) is drawn
once and kept; concurrent requests for a key wait for the one render in progress. Callers on
the event loop run ``render`` in a worker thread.
"""

import hashlib
import io
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Literal

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG

from app.demos.base import Demo, DemoParams
from app.demos.registry import demos
from app.demos.style import THEMES

Format = Literal["png", "svg"]
Theme = Literal["light", "dark"]
MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
DPI = 100
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rendered:
    """An image and its ETag."""

    body: bytes
    media_type: str
    etag: str
    alt: str


def draw(demo: Demo[Any, Any], params: DemoParams, fmt: Format, theme: Theme) -> Rendered:
    """Compute and draw one figure, without caching."""
    data = demo.compute(params)
    figure = demo.plot(data, THEMES[theme])
    buffer = io.BytesIO()
    canvas = FigureCanvasAgg(figure) if fmt == "png" else FigureCanvasSVG(figure)
    if fmt == "png":
        canvas.print_figure(buffer, format="png", dpi=DPI, facecolor=figure.get_facecolor())
    else:
        canvas.print_figure(
            buffer, format="svg", facecolor=figure.get_facecolor(), metadata={"Date": None}
        )
    body = buffer.getvalue()
    return Rendered(
        body=body,
        media_type=MEDIA_TYPES[fmt],
        etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
        alt=demo.summary(data),
    )


Key = tuple[str, DemoParams, str, str]


class RenderCache:
    """A bounded LRU of rendered figures with single-flight rendering per key."""

    def __init__(self, max_entries: int = 512, max_bytes: int = 64_000_000) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Key, Rendered] = OrderedDict()
        self._bytes = 0
        self._pending: dict[Key, Future[Rendered]] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.on_render: Callable[[str, float], None] | None = None

    def get(self, key: Key) -> Rendered | None:
        """Return a cached figure (and mark it recently used), or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
            return found

    def render(
        self, demo: Demo[Any, Any], params: DemoParams, fmt: Format, theme: Theme
    ) -> Rendered:
        """Return the figure for these parameters, drawing it only if no one has."""
        key: Key = (demo.id, params, fmt, theme)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return found
            pending = self._pending.get(key)
            owner = pending is None
            if pending is None:
                pending = Future()
                self._pending[key] = pending
                self.misses += 1
        if not owner:
            return pending.result()
        started = time.perf_counter()
        try:
            rendered = draw(demo, params, fmt, theme)
        except BaseException as exc:
            with self._lock:
                del self._pending[key]
            pending.set_exception(exc)
            raise
        if self.on_render is not None:
            self.on_render(demo.id, time.perf_counter() - started)
        with self._lock:
            del self._pending[key]
            self._store(key, rendered)
        pending.set_result(rendered)
        return rendered

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


def warm_defaults(cache: RenderCache, stop: threading.Event | None = None) -> None:
    """Render every demo's default PNG in both themes (at start, in the background).

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
