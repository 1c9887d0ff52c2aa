"""Rendering: the LRU cache, one render per key under concurrency, warming, formats."""

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from app.figures import cache as render_module
from app.figures.cache import RenderCache, Rendered, warm_defaults
from app.figures.demo import Demo, DemoParams
from app.figures.registry import demos

DEMO = demos()["dropout-mask"]


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
    cache = RenderCache()
    first = cache.render(DEMO, DEMO.params(), "png", "light")
    again = cache.render(DEMO, DEMO.params(), "png", "light")
    assert first is again
    assert len(calls) == 1
    assert (cache.hits, cache.misses) == (1, 1)
    cache.render(DEMO, DEMO.params(p=0.1), "png", "light")
    cache.render(DEMO, DEMO.params(), "png", "dark")
    assert len(calls) == 3
    assert cache.get((DEMO.id, DEMO.params(), "png", "light")) is first


def test_lru_is_bounded_by_entries_and_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Any]] = []
    monkeypatch.setattr(render_module, "draw", fake_draw(calls, size=100))
    cache = RenderCache(max_entries=3, max_bytes=1_000_000)
    for seed in range(5):
        cache.render(DEMO, DEMO.params(seed=seed), "png", "light")
    assert len(cache) == 3
    assert cache.get((DEMO.id, DEMO.params(seed=0), "png", "light")) is None
    assert cache.get((DEMO.id, DEMO.params(seed=4), "png", "light")) is not None
    small = RenderCache(max_entries=100, max_bytes=250)
    for seed in range(5):
        small.render(DEMO, DEMO.params(seed=seed), "png", "light")
    assert len(small) == 2


def test_recently_used_entries_stay(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Any]] = []
    monkeypatch.setattr(render_module, "draw", fake_draw(calls))
    cache = RenderCache(max_entries=2)
    cache.render(DEMO, DEMO.params(seed=1), "png", "light")
    cache.render(DEMO, DEMO.params(seed=2), "png", "light")
    cache.render(DEMO, DEMO.params(seed=1), "png", "light")  # touch 1
    cache.render(DEMO, DEMO.params(seed=3), "png", "light")  # evicts 2
    assert cache.get((DEMO.id, DEMO.params(seed=1), "png", "light")) is not None
    assert cache.get((DEMO.id, DEMO.params(seed=2), "png", "light")) is None


def test_one_render_per_key_when_many_ask_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Any]] = []
    monkeypatch.setattr(render_module, "draw", fake_draw(calls, delay=0.2))
    cache = RenderCache()
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
    cache = RenderCache()
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
    cache = RenderCache()
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
    cache = RenderCache()
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
    cache = RenderCache()
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
