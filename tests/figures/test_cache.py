"""Rendering: the LRU cache, one render per key under concurrency, warming, formats, the pool."""

import asyncio
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from app.figures import cache as render_module
from app.figures.cache import (
    PREFETCH_PER_CLIENT,
    SHARED_POOL,
    RenderBusy,
    RenderCache,
    Rendered,
    RenderPool,
    warm_defaults,
)
from app.figures.demo import Demo, DemoParams
from app.figures.registry import demos

DEMO = demos()["dropout-mask"]
# Draws on threads of the test process, where a replaced draw() is seen.
THREADS = RenderPool(2, in_threads=True)


def fake_draw(calls: list[tuple[str, Any]], size: int = 10, delay: float = 0.0) -> Any:
    """Return a stand-in for draw() that counts calls and returns size bytes."""

    def draw(
        demo: Demo[Any, Any],
        params: DemoParams,
        fmt: str,
        theme: str,
        layout: str = "wide",
        scale: int = 1,
    ) -> Rendered:
        calls.append((demo.id, params))
        time.sleep(delay)
        return Rendered(b"x" * size, "image/png", f'"{len(calls)}"', "alt")

    return draw


def test_real_png_and_svg() -> None:
    cache = RenderCache()
    png = cache.render(DEMO, DEMO.params(), "png", "light")
    svg = cache.render(DEMO, DEMO.params(), "svg", "dark")
    assert png.body.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.media_type == "image/png"
    assert b"<svg" in svg.body[:500]
    assert svg.media_type == "image/svg+xml"
    assert "With drop probability p = 0.50" in png.alt
    assert png.etag != svg.etag


def test_cache_hits_and_misses(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Any]] = []
    monkeypatch.setattr(render_module, "draw", fake_draw(calls))
    cache = RenderCache(pool=THREADS)
    first = cache.render(DEMO, DEMO.params(), "png", "light")
    again = cache.render(DEMO, DEMO.params(), "png", "light")
    assert first is again
    assert len(calls) == 1
    assert (cache.hits, cache.misses) == (1, 1)
    cache.render(DEMO, DEMO.params(p=0.1), "png", "light")
    cache.render(DEMO, DEMO.params(), "png", "dark")
    assert len(calls) == 3
    assert cache.get((DEMO.id, DEMO.params(), "png", "light")) is first


def test_a_request_names_its_figure_while_the_figure_is_cached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(render_module, "draw", fake_draw([]))
    cache = RenderCache(pool=THREADS, max_entries=2)

    def ask(target: str, p: float) -> Rendered:
        async def render() -> Rendered:
            params = DEMO.params(p=p)
            return await cache.render_async(DEMO, params, "png", "light", client="a", target=target)

        # On a thread of its own: a browser test in this process may keep a loop running here.
        with ThreadPoolExecutor(max_workers=1) as thread:
            return thread.submit(asyncio.run, render()).result()

    first = ask("first", 0.1)
    assert cache.served("first") is first
    assert cache.served("never asked") is None
    assert (cache.hits, cache.misses) == (1, 1)  # served() counts a hit
    ask("second", 0.2)
    ask("third", 0.3)  # the first figure leaves the cache, and its request with it
    assert cache.served("first") is None
    cache.max_targets = 3
    for target in ("a", "b", "c", "d"):  # four requests for one figure
        ask(target, 0.3)
    assert [cache.served(target) is not None for target in "abcd"] == [False, True, True, True]


def test_lru_is_bounded_by_entries_and_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Any]] = []
    monkeypatch.setattr(render_module, "draw", fake_draw(calls, size=100))
    cache = RenderCache(pool=THREADS, max_entries=3, max_bytes=1_000_000)
    for seed in range(5):
        cache.render(DEMO, DEMO.params(seed=seed), "png", "light")
    assert len(cache) == 3
    assert cache.get((DEMO.id, DEMO.params(seed=0), "png", "light")) is None
    assert cache.get((DEMO.id, DEMO.params(seed=4), "png", "light")) is not None
    small = RenderCache(pool=THREADS, max_entries=100, max_bytes=250)
    for seed in range(5):
        small.render(DEMO, DEMO.params(seed=seed), "png", "light")
    assert len(small) == 2


def test_recently_used_entries_stay(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Any]] = []
    monkeypatch.setattr(render_module, "draw", fake_draw(calls))
    cache = RenderCache(pool=THREADS, max_entries=2)
    cache.render(DEMO, DEMO.params(seed=1), "png", "light")
    cache.render(DEMO, DEMO.params(seed=2), "png", "light")
    cache.render(DEMO, DEMO.params(seed=1), "png", "light")  # touch 1
    cache.render(DEMO, DEMO.params(seed=3), "png", "light")  # evicts 2
    assert cache.get((DEMO.id, DEMO.params(seed=1), "png", "light")) is not None
    assert cache.get((DEMO.id, DEMO.params(seed=2), "png", "light")) is None


def test_one_render_per_key_when_many_ask_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Any]] = []
    monkeypatch.setattr(render_module, "draw", fake_draw(calls, delay=0.2))
    cache = RenderCache(pool=THREADS)
    results: list[Rendered] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(cache.render(DEMO, DEMO.params(), "png", "light"))
        )
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert len(results) == 8
    assert all(result is results[0] for result in results)


def test_a_failed_render_reaches_every_waiter_and_is_not_cached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_args: object) -> Rendered:
        time.sleep(0.1)
        raise ValueError("boom")

    monkeypatch.setattr(render_module, "draw", broken)
    cache = RenderCache(pool=THREADS)
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            cache.render(DEMO, DEMO.params(), "png", "light")
        except ValueError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 4
    assert len(cache) == 0


def test_warm_defaults_renders_every_demo_in_both_themes(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Any]] = []
    monkeypatch.setattr(render_module, "draw", fake_draw(calls))
    cache = RenderCache(pool=THREADS)
    warm_defaults(cache)
    assert len(cache) == 2 * len(demos())
    for demo in demos().values():
        assert cache.get((demo.id, demo.params(), "png", "dark")) is not None


def test_the_app_warms_default_figures_without_delaying_readiness(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from app import migrate
    from app.config import Settings
    from app.main import create_app

    app = create_app(Settings(data_dir=tmp_path / "data", warm_demos=True, _env_file=None))
    migrate.upgrade(app.state.engine)
    cache: RenderCache = app.state.demo_cache
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert len(cache) < 2 * len(demos())  # still warming while it answered
        deadline = time.monotonic() + 120
        while len(cache) < 2 * len(demos()) and time.monotonic() < deadline:
            time.sleep(0.2)
    assert len(cache) == 2 * len(demos())


def test_shutdown_stops_the_warm_up(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app

    app = create_app(Settings(data_dir=tmp_path / "data", warm_demos=True, _env_file=None))
    with TestClient(app):
        pass
    assert not any(thread.name == "warm-demos" for thread in threading.enumerate())
    assert len(app.state.demo_cache) < 2 * len(demos())


def test_each_layout_is_its_own_figure(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Any]] = []
    monkeypatch.setattr(render_module, "draw", fake_draw(calls))
    cache = RenderCache(pool=THREADS)
    wide = cache.render(DEMO, DEMO.params(), "png", "light")
    narrow = cache.render(DEMO, DEMO.params(), "png", "light", "narrow")
    assert narrow is not wide
    assert cache.render(DEMO, DEMO.params(), "png", "light", "narrow") is narrow
    assert len(calls) == 2
    assert cache.get((DEMO.id, DEMO.params(), "png", "light", "wide")) is wide
    assert cache.get((DEMO.id, DEMO.params(), "png", "light", "narrow")) is narrow


def test_each_scale_is_its_own_png_but_one_svg(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Any]] = []
    monkeypatch.setattr(render_module, "draw", fake_draw(calls))
    cache = RenderCache(pool=THREADS)
    one = cache.render(DEMO, DEMO.params(), "png", "dark", "narrow")
    two = cache.render(DEMO, DEMO.params(), "png", "dark", "narrow", 2)
    assert two is not one
    assert cache.get((DEMO.id, DEMO.params(), "png", "dark", "narrow", 2)) is two
    svg = cache.render(DEMO, DEMO.params(), "svg", "dark")
    assert cache.render(DEMO, DEMO.params(), "svg", "dark", "wide", 2) is svg
    assert len(calls) == 3


def test_a_real_narrow_png_is_narrower_and_taller() -> None:
    cache = RenderCache()
    wide = cache.render(DEMO, DEMO.params(), "png", "light")
    narrow = cache.render(DEMO, DEMO.params(), "png", "light", "narrow")
    assert png_size(narrow.body)[0] < png_size(wide.body)[0]
    assert png_size(narrow.body)[1] > png_size(wide.body)[1]
    assert narrow.alt == wide.alt


def png_size(body: bytes) -> tuple[int, int]:
    """Return a PNG's width and height in pixels, read from its header."""
    assert body.startswith(b"\x89PNG\r\n\x1a\n")
    return int.from_bytes(body[16:20], "big"), int.from_bytes(body[20:24], "big")


def gated_draw(calls: list[int], gates: dict[int, threading.Event]) -> Any:
    """Return a stand-in for draw() that notes each seed it starts and waits for its gate."""

    def draw(demo: Demo[Any, Any], params: DemoParams, *_args: object) -> Rendered:
        seed = int(params.seed)
        calls.append(seed)
        if seed in gates:
            assert gates[seed].wait(30)
        return Rendered(b"x", "image/png", f'"{seed}"', "alt")

    return draw


def wait_for(condition: Any) -> None:
    """Wait until condition() is true (the pool's threads work on their own time)."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def in_thread(action: Any) -> threading.Thread:
    """Start action in a thread of its own and return the thread."""
    thread = threading.Thread(target=action)
    thread.start()
    return thread


def test_renders_are_drawn_in_worker_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_here(*_args: object) -> Rendered:
        raise AssertionError("drawn in the app's process")

    monkeypatch.setattr(render_module, "draw", not_here)
    cache = RenderCache()
    png = cache.render(DEMO, DEMO.params(seed=11), "png", "dark", "narrow", 2)
    assert png.body.startswith(b"\x89PNG\r\n\x1a\n")
    assert "With drop probability p = 0.50" in png.alt
    workers = SHARED_POOL.pids()
    assert workers
    assert os.getpid() not in workers


def test_a_render_process_runs_numpy_on_one_thread() -> None:
    from threadpoolctl import threadpool_info

    pool = RenderPool(1)
    try:
        found = pool._processes().submit(threadpool_info).result(timeout=120)
    finally:
        pool.shutdown()
    assert [library["num_threads"] for library in found] == [1] * len(found)
    assert any(library["user_api"] == "blas" for library in found)


def test_a_killed_worker_process_is_replaced() -> None:
    cache = RenderCache()
    cache.render(DEMO, DEMO.params(seed=21), "png", "light")
    for pid in SHARED_POOL.pids():
        os.kill(pid, signal.SIGKILL)
    # The next render finds the pool broken, starts new processes and draws.
    drawn = cache.render(DEMO, DEMO.params(seed=22), "png", "light")
    assert drawn.body.startswith(b"\x89PNG\r\n\x1a\n")
    assert SHARED_POOL.pids()


def test_a_render_whose_process_dies_is_not_left_waiting() -> None:
    cache = RenderCache()
    cache.render(DEMO, DEMO.params(seed=31), "png", "light")  # the workers are up
    outcome: list[object] = []

    def ask() -> None:
        try:
            outcome.append(cache.render(DEMO, DEMO.params(seed=32), "svg", "light"))
        except RenderBusy as exc:
            outcome.append(exc)

    thread = in_thread(ask)
    for pid in SHARED_POOL.pids():
        os.kill(pid, signal.SIGKILL)
    thread.join(60)
    assert not thread.is_alive()
    # Drawn again on new processes, or, if those died too, a 503 that says so.
    assert isinstance(outcome[0], Rendered) or (
        isinstance(outcome[0], RenderBusy) and outcome[0].status == 503
    )
    assert cache.render(DEMO, DEMO.params(seed=33), "png", "light").body


def test_a_queued_prefetch_waits_for_a_real_render_asked_after_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    gates = {1: threading.Event()}
    monkeypatch.setattr(render_module, "draw", gated_draw(calls, gates))
    cache = RenderCache(pool=RenderPool(1, in_threads=True))
    warming = in_thread(
        lambda: cache.render(DEMO, DEMO.params(seed=1), "png", "light", background=True)
    )
    wait_for(lambda: calls == [1])  # the one worker is busy
    assert cache.prefetch(DEMO, DEMO.params(seed=2), "png", "light", client="a")
    real = in_thread(lambda: cache.render(DEMO, DEMO.params(seed=3), "png", "light"))
    wait_for(lambda: cache.pool.full())  # the real render is queued
    gates[1].set()
    warming.join()
    real.join()
    wait_for(lambda: len(cache) == 3)
    assert calls == [1, 3, 2]


def test_a_real_render_takes_a_queued_prefetch_ahead_of_the_warm_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    gates = {1: threading.Event()}
    monkeypatch.setattr(render_module, "draw", gated_draw(calls, gates))
    cache = RenderCache(pool=RenderPool(1, in_threads=True))
    warming = in_thread(
        lambda: cache.render(DEMO, DEMO.params(seed=1), "png", "light", background=True)
    )
    wait_for(lambda: calls == [1])
    warm = in_thread(
        lambda: cache.render(DEMO, DEMO.params(seed=2), "png", "light", background=True)
    )
    wait_for(lambda: len(cache._jobs) == 2)
    assert cache.prefetch(DEMO, DEMO.params(seed=3), "png", "light", client="a")
    # A reader asks for the prefetched figure: it is drawn before the warm-up's next one.
    real = in_thread(lambda: cache.render(DEMO, DEMO.params(seed=3), "png", "light"))
    wait_for(lambda: cache.pool.full())
    gates[1].set()
    for thread in (warming, warm, real):
        thread.join()
    assert calls == [1, 3, 2]


def test_prefetch_is_refused_while_real_renders_fill_the_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    gates = {1: threading.Event()}
    monkeypatch.setattr(render_module, "draw", gated_draw(calls, gates))
    cache = RenderCache(pool=RenderPool(1, in_threads=True))
    real = in_thread(lambda: cache.render(DEMO, DEMO.params(seed=1), "png", "light"))
    wait_for(lambda: calls == [1])
    assert not cache.prefetch(DEMO, DEMO.params(seed=2), "png", "light", client="a")
    gates[1].set()
    real.join()
    # A figure already drawn needs no prefetch, whatever the load.
    assert cache.prefetch(DEMO, DEMO.params(seed=1), "png", "light", client="a")
    assert cache.prefetch(DEMO, DEMO.params(seed=2), "png", "light", client="a")
    wait_for(lambda: len(cache) == 2)
    assert calls == [1, 2]


def test_prefetches_are_bounded_and_the_oldest_are_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    gates = {1: threading.Event()}
    monkeypatch.setattr(render_module, "draw", gated_draw(calls, gates))
    cache = RenderCache(pool=RenderPool(1, in_threads=True))
    warming = in_thread(
        lambda: cache.render(DEMO, DEMO.params(seed=1), "png", "light", background=True)
    )
    wait_for(lambda: calls == [1])
    for seed in range(10, 15):  # one reader moving a slider along
        assert cache.prefetch(DEMO, DEMO.params(seed=seed), "png", "light", client="a")
    for seed in range(20, 27):  # many readers, one step each
        assert cache.prefetch(DEMO, DEMO.params(seed=seed), "png", "light", client=f"c{seed}")
    gates[1].set()
    warming.join()
    wait_for(lambda: not cache._jobs)
    # Only the newest few of all, at most PREFETCH_PER_CLIENT of one client, are drawn.
    assert calls == [1, 23, 24, 25, 26]
    assert PREFETCH_PER_CLIENT == 2


def test_render_processes_setting_sizes_the_shared_pool(settings: Any) -> None:
    """PREPDECK_RENDER_PROCESSES sets how many processes draw; 0 keeps one per core."""
    from app.main import create_app

    before = SHARED_POOL.workers
    try:
        create_app(settings.model_copy(update={"render_processes": 1}))
        assert (SHARED_POOL.workers, SHARED_POOL.background_slots) == (1, 1)
        SHARED_POOL.resize(before)
        create_app(settings.model_copy(update={"render_processes": 0}))
        assert SHARED_POOL.workers == before
    finally:
        SHARED_POOL.resize(before)
