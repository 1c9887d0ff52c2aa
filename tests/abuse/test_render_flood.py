"""A flood of cold demo renders cannot starve the pages and the API."""

import asyncio
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.figures import cache as render_module
from app.figures.cache import RenderBusy, RenderCache, Rendered, RenderPool
from app.figures.registry import demos
from tests.helpers import PASSWORD, attr, soup, text_of
from tests.server import running_server

FIGURE = "/api/v1/demos/dropout-mask.png"
CARD = "/decks/regularization/cards/dropout"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """One real server and a logged-in user's Bearer header."""
    data = tmp_path_factory.mktemp("render-flood") / "data"
    with running_server(data) as (base, _process):
        credentials = {"username": "ada", "password": PASSWORD}
        with httpx2.Client(base_url=base, timeout=30) as client:
            assert client.post("/api/v1/auth/register", json=credentials).status_code == 201
            token = client.post("/api/v1/auth/login", json=credentials).json()["token"]
        yield base, {"Authorization": f"Bearer {token}"}


class Flood:
    """Clients asking for distinct cold figures until stopped, each from its own address."""

    def __init__(self, base: str, clients: int, addresses: int) -> None:
        self.base = base
        self.clients = clients
        self.addresses = addresses
        self.stop = threading.Event()
        self.statuses: list[int] = []
        self.retry_after: list[str | None] = []
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(clients)
        self.futures = [self.pool.submit(self.ask, index) for index in range(clients)]

    def ask(self, index: int) -> None:
        address = f"127.0.0.{2 + index % self.addresses}"
        transport = httpx2.HTTPTransport(local_address=address)
        with httpx2.Client(base_url=self.base, transport=transport, timeout=60) as client:
            attempt = 0
            while not self.stop.is_set() and attempt < 149:
                attempt += 1
                seed = index * 150 + attempt  # never asked before: a cold render
                response = client.get(FIGURE, params={"seed": seed})
                with self.lock:
                    self.statuses.append(response.status_code)
                    self.retry_after.append(response.headers.get("retry-after"))
                if response.status_code != 200:
                    self.stop.wait(float(response.headers.get("retry-after", "1")))

    def end(self) -> None:
        self.stop.set()
        for future in self.futures:
            future.result()
        self.pool.shutdown()


def test_study_next_stays_fast_while_sixty_clients_ask_for_cold_figures(
    server: tuple[str, dict[str, str]],
) -> None:
    base, auth = server
    with httpx2.Client(base_url=base, timeout=30) as client:
        assert client.get(FIGURE).status_code == 200  # the default figure, now cached
        flood = Flood(base, clients=60, addresses=60)
        try:
            time.sleep(1)  # let the pool fill up
            times = []
            cached = []
            for _ in range(15):
                started = time.monotonic()
                assert client.get("/api/v1/study/next", headers=auth).status_code == 200
                times.append(time.monotonic() - started)
                started = time.monotonic()
                assert client.get(FIGURE).status_code == 200
                cached.append(time.monotonic() - started)
                time.sleep(0.1)
        finally:
            flood.end()
    assert statistics.median(times) < 0.2, times
    assert statistics.median(cached) < 0.2, cached
    assert 200 in flood.statuses
    assert set(flood.statuses) <= {200, 503}, set(flood.statuses)
    assert 503 in flood.statuses  # 60 addresses at once: past the queue's bound
    answers = zip(flood.statuses, flood.retry_after, strict=True)
    refused = [value for status, value in answers if status != 200]
    assert all(value is not None and int(value) >= 1 for value in refused)


def test_one_client_asking_for_many_cold_figures_gets_429(
    server: tuple[str, dict[str, str]],
) -> None:
    base, _auth = server
    with httpx2.Client(base_url=base, timeout=60) as client:

        def ask(seed: int) -> httpx2.Response:
            return client.get(FIGURE, params={"seed": seed, "p": 0.3})

        with ThreadPoolExecutor(12) as pool:
            responses = list(pool.map(ask, range(12)))
    statuses = [response.status_code for response in responses]
    assert set(statuses) == {200, 429}, statuses
    assert statuses.count(200) >= 4
    for response in responses:
        if response.status_code == 429:
            retry_after = int(response.headers["retry-after"])
            assert retry_after >= 1
            assert response.json() == {
                "detail": "You have 4 figures being drawn already; try again in "
                f"{retry_after} s (figures drawn before are served at once)."
            }


def test_the_render_cache_bounds_each_client_and_the_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    demo = demos()["dropout-mask"]
    gate = threading.Event()

    def slow_draw(*_args: object) -> Rendered:
        gate.wait(30)  # every render is under way until the flood is in: renders queue up
        return Rendered(b"x", "image/png", '"x"', "alt")

    monkeypatch.setattr(render_module, "draw", slow_draw)
    cache = RenderCache(per_client=2, max_queued=3, pool=RenderPool(1, in_threads=True))

    async def flood() -> list[object]:
        calls = [
            cache.render_async(demo, demo.params(seed=seed), "png", "light", client=client)
            for seed, client in [(1, "a"), (2, "a"), (3, "a"), (4, "b"), (5, "c"), (1, "c")]
        ]
        tasks = [asyncio.ensure_future(call) for call in calls]
        await asyncio.sleep(0.05)
        gate.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    try:
        results = asyncio.run(flood())
    finally:
        gate.set()
        cache.close()
    outcomes = [
        (error.status, str(error)) if isinstance(error, RenderBusy) else type(error).__name__
        for error in results
    ]
    assert outcomes[:2] == ["Rendered", "Rendered"]
    assert outcomes[2] == (
        429,
        "You have 2 figures being drawn already; try again in 1 s "
        "(figures drawn before are served at once).",
    )
    assert outcomes[3] == "Rendered"
    assert outcomes[4] == (
        503,
        "The server is drawing 3 figures for others; try again in 1 s.",
    )
    # Waiting for a figure someone else is drawing is always allowed.
    assert outcomes[5] == "Rendered"
    assert results[5] is results[0]


@pytest.fixture
def refusing_app(app: FastAPI) -> FastAPI:
    """The app with a render pool that refuses every cold render, as when it is saturated."""
    app.state.demo_cache = RenderCache(per_client=0)
    return app


def test_the_card_page_still_shows_when_its_figure_cannot_be_drawn(refusing_app: FastAPI) -> None:
    with TestClient(refusing_app) as client:
        response = client.get(CARD)
        assert response.status_code == 200
        page = soup(response)
        assert text_of(page, "[data-demo-busy]") == (
            "Many figures are being drawn right now, so this one may be missing: reload the "
            "page in a few seconds."
        )
        assert attr(page, "img[data-demo-image]", "alt") == "Figure: Inverted dropout mask"
        src = attr(page, "img[data-demo-image]", "src")
        response = client.get(src)
        assert response.status_code == 429
        assert response.headers["retry-after"] == "1"
        # Once the pool has room, the same page draws the figure (the notice is not kept).
        refusing_app.state.demo_cache = RenderCache()
        try:
            page = soup(client.get(CARD))
            assert page.select("[data-demo-busy]") == []
            assert "With drop probability" in attr(page, "img[data-demo-image]", "alt")
            assert client.get(src).status_code == 200
        finally:
            refusing_app.state.demo_cache.close()
