"""Prometheus metrics, and the count of SQL statements per request they record.

The middleware that times, counts and logs each request is app/middleware/observability.py.
"""

import os
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import Engine, event

if TYPE_CHECKING:
    from app.figures.cache import RenderCache

# Where each server process writes its metrics when there are several (`prepdeck serve` sets
# it before they start); unset, each app keeps its metrics in memory.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

# The SQL statements run for the request in progress: a one-item list, shared by the worker
# thread a sync handler runs in (it gets a copy of the context, holding the same list).
request_queries: ContextVar[list[int] | None] = ContextVar("prepdeck_queries", default=None)


def count_queries(engine: Engine) -> None:
    """Count every statement the engine runs towards the request that runs it."""

    def before_execute(*_args: Any) -> None:
        box = request_queries.get()
        if box is not None:
            box[0] += 1

    event.listen(engine, "before_cursor_execute", before_execute)


class Metrics:
    """The app's metrics, in a registry of its own (one per app, so tests do not collide).

    When the server runs several processes (PROMETHEUS_MULTIPROC_DIR set by `prepdeck
    serve`), each process writes its metrics to files in that folder, and /metrics reads
    all of them (prometheus-client's multiprocess mode).
    """

    def __init__(self, cache: "RenderCache") -> None:
        self.folder = os.environ.get(MULTIPROCESS_DIR) or None
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "prepdeck_http_requests",
            "HTTP requests by route, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "prepdeck_http_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            ["route", "method"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.queries = Histogram(
            "prepdeck_db_queries_per_request",
            "SQL statements run to answer an HTTP request, by route",
            ["route", "method"],
            buckets=(0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 50),
            registry=self.registry,
        )
        self.reviews = Counter(
            "prepdeck_reviews",
            "Reviews recorded (repeats of a review_id not counted)",
            registry=self.registry,
        )
        self.render_seconds = Histogram(
            "prepdeck_demo_render_seconds",
            "Time to compute and draw a demo figure",
            ["demo"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )
        # Counted as they happen, so that each process's files hold its own figures.
        hits = Counter(
            "prepdeck_demo_cache_hits", "Demo images served from the cache", registry=self.registry
        )
        misses = Counter(
            "prepdeck_demo_cache_misses", "Demo images that were drawn", registry=self.registry
        )
        # "livesum": the entries of the processes running now (a process's cache ends with it).
        entries = Gauge(
            "prepdeck_demo_cache_entries",
            "Demo images in the cache",
            multiprocess_mode="livesum",
            registry=self.registry,
        )
        cache.on_hit, cache.on_miss, cache.on_size = hits.inc, misses.inc, entries.set
        cache.on_render = lambda demo, seconds: self.render_seconds.labels(demo).observe(seconds)

    def exposition(self) -> bytes:
        """Return the metrics in Prometheus text format, of every server process."""
        if self.folder is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.folder)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
