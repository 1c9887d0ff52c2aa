"""Prometheus metrics, and the count of SQL statements per request they record.

The middleware that times, counts and logs each request is app/middleware/observability.py.
"""

from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event

from app.figures.cache import RenderCache

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


class _CacheCollector(Collector):
    """Read the demo cache's counters when Prometheus scrapes."""

    def __init__(self, cache: RenderCache) -> None:
        self.cache = cache

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        hits = CounterMetricFamily("prepdeck_demo_cache_hits", "Demo images served from the cache")
        hits.add_metric([], self.cache.hits)
        misses = CounterMetricFamily("prepdeck_demo_cache_misses", "Demo images that were drawn")
        misses.add_metric([], self.cache.misses)
        size = GaugeMetricFamily("prepdeck_demo_cache_entries", "Demo images in the cache")
        size.add_metric([], len(self.cache))
        yield from (hits, misses, size)


class Metrics:
    """The app's metrics, in a registry of its own (one per app, so tests do not collide)."""

    def __init__(self, cache: RenderCache) -> None:
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
        self.registry.register(_CacheCollector(cache))
        cache.on_render = lambda demo, seconds: self.render_seconds.labels(demo).observe(seconds)
