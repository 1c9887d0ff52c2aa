"""Draw demo figures to PNG or SVG: a bounded LRU cache, one render per key at a time.

Rendering costs tens of milliseconds of CPU, so each (demo, params, format, theme, layout,
scale) is drawn once and kept; concurrent requests for a key wait for the one render in
progress. Figures are drawn in worker processes, one per core (RenderPool, shared by every
cache of the app process), so renders use every core and never take the threads, or the
GIL, that pages and the API run on. What a reader waits for goes first; the warm-up and the
prefetch of a slider's neighbouring steps wait at the lowest priority and run on all workers
but one, and a prefetch is refused at once while real renders take every worker. The renders
waiting are bounded: a client may have PER_CLIENT cold renders under way, and all clients
together MAX_QUEUED; past either, RenderBusy (429 or 503 with Retry-After). Cached figures are
served at once whatever the pool is doing.
"""

import asyncio
import atexit
import hashlib
import heapq
import itertools
import logging
import math
import multiprocessing
import os
import signal
import threading
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from threadpoolctl import threadpool_limits

from app.exceptions import AppError
from app.figures.demo import Demo, DemoParams
from app.figures.encode import DPI, Format, encode
from app.figures.layout import Layout
from app.figures.registry import demos
from app.figures.style import THEMES
from app.lifelines import when_ended

Theme = Literal["light", "dark"]
Scale = Literal[1, 2]
SCALES: tuple[Scale, ...] = (1, 2)  # 1x and 2x PNGs, for a page's srcset
MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
RENDER_PROCESSES = os.cpu_count() or 1  # worker processes that draw figures
PER_CLIENT = 4  # cold renders one client address may have under way
MAX_QUEUED = 16  # cold renders under way or waiting, all clients together
PREFETCH_QUEUED = 4  # prefetches waiting, all clients together (a new one drops the oldest)
PREFETCH_PER_CLIENT = 2  # prefetches one client address may have waiting
PRELOAD = (
    "numpy",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "matplotlib.font_manager",
    "pydantic",
    "asyncio",
)
REAL, BACKGROUND = 0, 1  # priorities: what a reader waits for; warm-up and prefetch
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


def _key(
    demo: Demo[Any, Any],
    params: DemoParams,
    fmt: Format,
    theme: Theme,
    layout: Layout,
    scale: Scale,
) -> Key:
    return Key(demo.id, params, fmt, theme, layout, 1 if fmt == "svg" else scale)


def _start_worker(app_pid: int) -> None:
    """Set up a render process: Ctrl-C is for the app process to handle, not each worker, and
    the worker exits when the app process that started it has ended.

    An app process killed with SIGKILL never shuts its pool down, and nothing else would end
    its workers: each waits on a queue whose write end it holds itself, and holds the pipe
    whose closing tells the forkserver to exit, so workers and forkserver would live on.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    when_ended(app_pid, lambda: os._exit(0), name="render-ends-with-app")
    one_native_thread()


def one_native_thread() -> None:
    """Keep numpy's linear algebra (BLAS) on this process's thread.

    The pool runs one render process per core already; a BLAS that also started a thread per
    core in each would have them contend for the same cores, and under load a small
    eigendecomposition then took several times as long.
    """
    threadpool_limits(1)


def _draw_in_worker(
    demo_id: str, params: dict[str, Any], fmt: Format, theme: Theme, layout: Layout, scale: Scale
) -> Rendered:
    """Draw one figure in a render process, from what any process can read (params as a dict)."""
    demo = demos()[demo_id]
    return draw(demo, demo.params.model_validate(params), fmt, theme, layout, scale)


@dataclass(eq=False)
class _Job:
    """One figure to draw, the future its waiters share, and whom it is drawn for."""

    cache: "RenderCache"
    key: Key
    demo: Demo[Any, Any]
    params: DemoParams
    priority: int
    asker: str | None = None  # the client of a prefetch, for its bound
    clients: list[str] = field(default_factory=list)  # whose PER_CLIENT and MAX_QUEUED it holds
    pending: Future[Rendered] = field(default_factory=Future)
    state: str = "queued"  # then "running", or "dropped" before it ran
    ran_as: int = REAL


class RenderPool:
    """Worker processes fed from one priority queue by as many dispatcher threads.

    With as many dispatchers as processes, the processes never hold a backlog, so the queue's
    order is the order of drawing. Background renders (warm-up, prefetch) run on all processes
    but one, which stays free for a reader. in_threads draws on the dispatcher threads instead
    (for tests that replace draw(), which a worker process would not see).
    """

    def __init__(self, workers: int = RENDER_PROCESSES, *, in_threads: bool = False) -> None:
        self.workers = workers
        self.in_threads = in_threads
        self.background_slots = max(1, workers - 1)
        self._queue: list[tuple[int, int, _Job]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._dispatchers: list[threading.Thread] = []
        self._real = 0  # real renders queued or running
        self._background = 0  # background renders running
        self._executor: ProcessPoolExecutor | None = None
        self._executor_lock = threading.Lock()

    def resize(self, workers: int) -> None:
        """Draw on this many processes from now on (the next ones started)."""
        with self._changed:
            self.workers = max(1, workers)
            self.background_slots = max(1, self.workers - 1)

    def submit(self, job: _Job) -> None:
        """Queue a job; a dispatcher draws it when its turn comes."""
        with self._changed:
            if job.priority == REAL:
                self._real += 1
            heapq.heappush(self._queue, (job.priority, next(self._order), job))
            while len(self._dispatchers) < self.workers:  # started on the first render
                thread = threading.Thread(target=self._dispatch, name="demo-render", daemon=True)
                self._dispatchers.append(thread)
                thread.start()
            self._changed.notify_all()

    def promote(self, job: _Job) -> None:
        """Move a queued background job up to real priority: a reader waits for it now."""
        with self._changed:
            if job.state != "queued" or job.priority == REAL:
                return
            job.priority = REAL
            self._real += 1
            # Its old entry stays in the queue, and is skipped once the job has run.
            heapq.heappush(self._queue, (REAL, next(self._order), job))
            self._changed.notify_all()

    def drop(self, job: _Job) -> bool:
        """Take a job that has not started off the queue; return whether it was taken off."""
        with self._changed:
            if job.state != "queued":
                return False
            job.state = "dropped"
            if job.priority == REAL:
                self._real -= 1
            return True

    def full(self) -> bool:
        """Return whether real renders take every worker, so that background work must wait."""
        with self._changed:
            return self._real >= self.workers

    def shutdown(self) -> None:
        """Stop the worker processes (at exit); renders not started yet are dropped."""
        with self._executor_lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def _dispatch(self) -> None:
        while True:
            with self._changed:
                job = self._take()
                while job is None:
                    self._changed.wait()
                    job = self._take()
            self._run(job)

    def _take(self) -> _Job | None:
        """Return the next job to draw, marked running, or None (lock held)."""
        while self._queue and self._queue[0][2].state != "queued":
            heapq.heappop(self._queue)
        if not self._queue:
            return None
        priority, _order, job = self._queue[0]
        if priority != REAL and self._background >= self.background_slots:
            return None
        heapq.heappop(self._queue)
        job.state = "running"
        job.ran_as = priority
        if priority != REAL:
            self._background += 1
        return job

    def _run(self, job: _Job) -> None:
        started = time.perf_counter()
        outcome: Rendered | BaseException
        try:
            outcome = self._draw(job)
        except BaseException as exc:  # handed to the waiters
            outcome = exc
        with self._changed:
            if job.ran_as == REAL:
                self._real -= 1
            else:
                self._background -= 1
            self._changed.notify_all()
        job.cache._finish(job, outcome, time.perf_counter() - started)

    def _draw(self, job: _Job) -> Rendered:
        """Draw the job's figure; a worker process that died is replaced and tried again."""
        key = job.key
        if self.in_threads:
            return draw(job.demo, job.params, key.fmt, key.theme, key.layout, key.scale)
        args = (key.demo, job.params.model_dump(), key.fmt, key.theme, key.layout, key.scale)
        for _attempt in range(3):
            executor = self._processes()
            try:
                future = executor.submit(_draw_in_worker, *args)
            except (BrokenProcessPool, RuntimeError):  # broken, or shut down by a dispatcher
                self._replace(executor)
                continue
            try:
                return future.result()
            except BrokenProcessPool:
                log.warning("a render process died while drawing %s: starting new ones", key.demo)
                self._replace(executor)
        raise RenderBusy(503, 1, "The process drawing this figure stopped; try again in 1 s.")

    def _processes(self) -> ProcessPoolExecutor:
        with self._executor_lock:
            if self._executor is None:
                # Not fork: this process has threads and an event loop. Each worker forks from
                # a server process that has imported numpy and matplotlib once; the app's own
                # modules are imported by each worker, from this process's sys.path (which the
                # server of Python 3.11 does not take, so it would import them from elsewhere).
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(list(PRELOAD))
                self._executor = ProcessPoolExecutor(
                    self.workers,
                    mp_context=context,
                    initializer=_start_worker,
                    initargs=(os.getpid(),),
                )
            return self._executor

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """Drop a broken executor, once: the next render starts new processes."""
        with self._executor_lock:
            if self._executor is broken:
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)

    def pids(self) -> list[int]:
        """Return the process ids of the workers (none before the first render)."""
        with self._executor_lock:
            executor = self._executor
        processes = getattr(executor, "_processes", None) or {}
        return list(processes)


# One per app process, started on its first render and shared by every cache: the tests make
# many apps in one process, and each would otherwise start processes of its own.
SHARED_POOL = RenderPool()
atexit.register(SHARED_POOL.shutdown)


class RenderCache:
    """A bounded LRU of rendered figures with single-flight rendering per key."""

    def __init__(
        self,
        max_entries: int = 512,
        max_bytes: int = 64_000_000,
        *,
        per_client: int = PER_CLIENT,
        max_queued: int = MAX_QUEUED,
        pool: RenderPool | None = None,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Key, Rendered] = OrderedDict()
        self._bytes = 0
        self._jobs: dict[Key, _Job] = {}
        self._prefetches: deque[_Job] = deque()  # queued prefetches, oldest first
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.on_render: Callable[[str, float], None] | None = None
        # Told of each hit, miss and change of size as it happens (the metrics count them).
        self.on_hit: Callable[[], None] | None = None
        self.on_miss: Callable[[], None] | None = None
        self.on_size: Callable[[int], None] | None = None
        self.per_client = per_client
        self.max_queued = max_queued
        self.pool = pool or SHARED_POOL
        self._queued = 0
        self._by_client: Counter[str] = Counter()
        self._seconds = 0.1  # running mean of a render's time, for Retry-After
        # The requests that asked for a figure (the image route's path and query string),
        # each with the figure's key: the same request again is answered from the cache
        # before its query is parsed (see app.api.demos.CachedFigures). Bounded, oldest out.
        self._targets: OrderedDict[Hashable, Key] = OrderedDict()
        self.max_targets = 2 * max_entries

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
            if self.on_hit is not None:
                self.on_hit()
        return found

    def served(self, target: Hashable) -> Rendered | None:
        """Return the cached figure a request target was answered with before, or None.

        None when the target is new or its figure has left the cache: the route then parses
        the request and draws the figure again.
        """
        with self._lock:
            key = self._targets.get(target)
            return None if key is None else self._cached(key)

    def _remember(self, target: Hashable, key: Key) -> None:
        """Note that target asks for key (lock held)."""
        self._targets[target] = key
        self._targets.move_to_end(target)
        while len(self._targets) > self.max_targets:
            self._targets.popitem(last=False)

    def render(
        self,
        demo: Demo[Any, Any],
        params: DemoParams,
        fmt: Format,
        theme: Theme,
        layout: Layout = "wide",
        scale: Scale = 1,
        *,
        background: bool = False,
    ) -> Rendered:
        """Return the figure for these parameters, drawing it only if no one has.

        Waits for the render pool. background: at the lowest priority, as the warm-up draws.
        """
        key = _key(demo, params, fmt, theme, layout, scale)
        priority = BACKGROUND if background else REAL
        with self._lock:
            found = self._cached(key)
            if found is not None:
                return found
            job = self._jobs.get(key)
            if job is None:
                job = self._start(key, demo, params, priority)
            else:
                self._adopt(job, priority)
        return job.pending.result()

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
        target: Hashable | None = None,
    ) -> Rendered:
        """Return the figure from the cache, or draw it on the render pool if no one has.

        The one get-or-draw of the card page and the image API. client names who asks (the
        route's dependency reads it). Raise RenderBusy when the client already has PER_CLIENT
        renders under way or the pool has MAX_QUEUED; waiting for a render that someone else
        started costs nothing and is always allowed (and puts a prefetch ahead of warm-ups).
        target: the request that asked, remembered for served() (the image route's).
        """
        key = _key(demo, params, fmt, theme, layout, scale)
        with self._lock:
            if target is not None:
                self._remember(target, key)
            found = self._cached(key)
            if found is not None:
                return found
            job = self._jobs.get(key)
            if job is None:
                self._admit(client)
                job = self._start(key, demo, params, REAL)
                job.clients.append(client)
                self._queued += 1
                self._by_client[client] += 1
            else:
                self._adopt(job, REAL)
        return await _awaitable(job.pending)

    def prefetch(
        self,
        demo: Demo[Any, Any],
        params: DemoParams,
        fmt: Format,
        theme: Theme,
        layout: Layout = "wide",
        scale: Scale = 1,
        *,
        client: str,
    ) -> bool:
        """Queue a figure a reader may ask for next, at the lowest priority; False if refused.

        Refused at once while real renders take every worker. At most PREFETCH_PER_CLIENT of a
        client's and PREFETCH_QUEUED of all wait: a new one drops the oldest, which the reader
        has moved past. They hold none of the client's PER_CLIENT.
        """
        key = _key(demo, params, fmt, theme, layout, scale)
        with self._lock:
            if key in self._entries or key in self._jobs:
                return True
            if self.pool.full():
                return False
            mine = [job for job in self._prefetches if job.asker == client]
            if len(mine) >= PREFETCH_PER_CLIENT:
                self._drop(mine[0])
            elif len(self._prefetches) >= PREFETCH_QUEUED:
                self._drop(self._prefetches[0])
            job = self._start(key, demo, params, BACKGROUND, asker=client)
            self._prefetches.append(job)
        return True

    def _start(
        self,
        key: Key,
        demo: Demo[Any, Any],
        params: DemoParams,
        priority: int,
        asker: str | None = None,
    ) -> _Job:
        """Queue a new render of key on the pool (lock held)."""
        job = _Job(self, key, demo, params, priority, asker)
        self._jobs[key] = job
        self.pool.submit(job)
        return job

    def _adopt(self, job: _Job, priority: int) -> None:
        """Make a queued prefetch someone's render: never dropped, and first if real (lock held)."""
        if job in self._prefetches:
            self._prefetches.remove(job)
        if priority == REAL:
            self.pool.promote(job)

    def _drop(self, job: _Job) -> None:
        """Forget a prefetch, and take it off the pool's queue unless it has started (lock held)."""
        self._prefetches.remove(job)
        if self.pool.drop(job):
            del self._jobs[job.key]
            job.pending.cancel()  # nobody waits for it: a waiter would have adopted it

    def _admit(self, client: str) -> None:
        """Raise RenderBusy if this client or the pool has too many renders (lock held)."""
        workers = self.pool.workers
        retry_after = max(1, math.ceil((self._queued + 1) * self._seconds / workers))
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

    def _release(self, job: _Job) -> None:
        """Give back what a job held of its clients' PER_CLIENT and of MAX_QUEUED (lock held)."""
        for client in job.clients:
            self._queued -= 1
            self._by_client[client] -= 1
            if not self._by_client[client]:
                del self._by_client[client]
        job.clients.clear()

    def _finish(self, job: _Job, outcome: Rendered | BaseException, seconds: float) -> None:
        """Store a job's figure and hand it (or its error) to its waiters."""
        with self._lock:
            if self._jobs.get(job.key) is job:
                del self._jobs[job.key]
            self.misses += 1  # drawn (or tried): a prefetch dropped before it ran is not
            if self.on_miss is not None:
                self.on_miss()
            if job in self._prefetches:
                self._prefetches.remove(job)
            self._release(job)
            if isinstance(outcome, Rendered):
                self._seconds = 0.8 * self._seconds + 0.2 * seconds
                self._store(job.key, outcome)
        if isinstance(outcome, Rendered):
            if self.on_render is not None:
                self.on_render(job.demo.id, seconds)
            job.pending.set_result(outcome)
        else:
            job.pending.set_exception(outcome)

    def close(self) -> None:
        """Take this cache's renders that have not started off the pool; their waiters get 503."""
        dropped = []
        with self._lock:
            for job in list(self._jobs.values()):
                if self.pool.drop(job):
                    del self._jobs[job.key]
                    self._release(job)
                    dropped.append(job)
            self._prefetches.clear()
        for job in dropped:
            job.pending.set_exception(RenderBusy(503, 1, "The server is stopping."))

    def _store(self, key: Key, rendered: Rendered) -> None:
        self._entries[key] = rendered
        self._bytes += len(rendered.body)
        while self._entries and (
            len(self._entries) > self.max_entries or self._bytes > self.max_bytes
        ):
            _old_key, old = self._entries.popitem(last=False)
            self._bytes -= len(old.body)
        if self.on_size is not None:
            self.on_size(len(self._entries))

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
    """Render every demo's default PNG in both themes, wide (at start, at the lowest priority).

    Stops early once `stop` is set, so a shutting-down server does not wait for all of them.
    """
    themes: tuple[Theme, ...] = ("light", "dark")
    for demo in demos().values():
        for theme in themes:
            if stop is not None and stop.is_set():
                return
            try:
                cache.render(demo, demo.params(), "png", theme, background=True)
            except Exception:
                log.exception("could not draw demo %s (%s theme)", demo.id, theme)
