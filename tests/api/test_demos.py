"""The demo API: list, describe, images with caching headers, data, and bad parameters."""

import time
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from app.api import demos as demos_api
from app.figures.registry import demos

URL = "/api/v1/demos/dropout-mask"


def test_list_demos_with_parameter_ranges(client: TestClient) -> None:
    body = client.get("/api/v1/demos").json()
    assert [demo["id"] for demo in body] == list(demos())
    dropout = next(demo for demo in body if demo["id"] == "dropout-mask")
    assert dropout["params"][0] == {
        "name": "p",
        "label": "Drop probability p",
        "type": "float",
        "min": 0.0,
        "max": 0.9,
        "step": 0.05,
        "default": 0.5,
        "log": False,
    }
    assert dropout["params"][-1]["name"] == "seed"
    assert dropout["image_url"] == "/api/v1/demos/dropout-mask.png"


def test_describe_one_demo(client: TestClient) -> None:
    body = client.get(URL).json()
    assert body["title"] == "Inverted dropout mask"
    assert [param["name"] for param in body["params"]] == ["p", "units", "batch", "seed"]


def test_png_with_etag_and_cache_control(client: TestClient) -> None:
    response = client.get(f"{URL}.png?p=0.3&theme=dark")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")
    assert response.headers["cache-control"] == "public, max-age=86400"
    etag = response.headers["etag"]
    again = client.get(f"{URL}.png?p=0.3&theme=dark", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    other = client.get(f"{URL}.png?p=0.3&theme=light")
    assert other.headers["etag"] != etag
    assert client.app.state.demo_cache.hits >= 1  # type: ignore[attr-defined]


def test_defaults_and_explicit_defaults_are_the_same_figure(client: TestClient) -> None:
    implicit = client.get(f"{URL}.png")
    explicit = client.get(f"{URL}.png?p=0.5&units=32&batch=8&seed=0&theme=light")
    assert implicit.headers["etag"] == explicit.headers["etag"]


def test_layout_narrow_is_its_own_figure_one_column_wide(client: TestClient) -> None:
    wide = client.get(f"{URL}.png?p=0.3")
    default = client.get(f"{URL}.png?p=0.3&layout=wide")
    narrow = client.get(f"{URL}.png?p=0.3&layout=narrow")
    assert narrow.status_code == 200
    assert default.headers["etag"] == wide.headers["etag"]
    assert narrow.headers["etag"] != wide.headers["etag"]
    width = int.from_bytes(narrow.content[16:20], "big")
    assert width < int.from_bytes(wide.content[16:20], "big")
    again = client.get(
        f"{URL}.png?p=0.3&layout=narrow", headers={"If-None-Match": narrow.headers["etag"]}
    )
    assert again.status_code == 304
    svg = client.get(f"{URL}.svg?layout=narrow")
    assert svg.status_code == 200
    assert b"<svg" in svg.content[:500]


def test_a_bad_layout_is_422_naming_it(client: TestClient) -> None:
    for suffix in (".png", ".svg"):
        response = client.get(f"{URL}{suffix}?layout=tall")
        assert response.status_code == 422, suffix
        assert response.json()["detail"] == [
            {
                "type": "literal_error",
                "loc": ["query", "layout"],
                "msg": "layout: use wide or narrow",
                "input": "tall",
            }
        ]


def png_size(body: bytes) -> tuple[int, int]:
    """Return a PNG's width and height in pixels, read from its header."""
    return int.from_bytes(body[16:20], "big"), int.from_bytes(body[20:24], "big")


@pytest.mark.parametrize("layout", ["wide", "narrow"])
def test_scale_2_is_the_same_figure_at_twice_the_pixels(client: TestClient, layout: str) -> None:
    one = client.get(f"{URL}.png?p=0.3&layout={layout}&theme=dark")
    explicit = client.get(f"{URL}.png?p=0.3&layout={layout}&theme=dark&scale=1")
    two = client.get(f"{URL}.png?p=0.3&layout={layout}&theme=dark&scale=2")
    assert two.status_code == 200
    assert two.headers["content-type"] == "image/png"
    assert explicit.headers["etag"] == one.headers["etag"]
    assert two.headers["etag"] != one.headers["etag"]
    width, height = png_size(one.content)
    assert png_size(two.content) == (2 * width, 2 * height)
    again = client.get(
        f"{URL}.png?p=0.3&layout={layout}&theme=dark&scale=2",
        headers={"If-None-Match": two.headers["etag"]},
    )
    assert again.status_code == 304
    assert again.headers["cache-control"] == "public, max-age=86400"


def test_an_svg_is_the_same_at_any_scale(client: TestClient) -> None:
    one = client.get(f"{URL}.svg?p=0.3")
    two = client.get(f"{URL}.svg?p=0.3&scale=2")
    assert two.status_code == 200
    assert two.headers["etag"] == one.headers["etag"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("3", "scale: use 1 or 2"),
        ("0", "scale: use 1 or 2"),
        ("2.0", "scale: use 1 or 2"),
        ("-1", "scale: use 1 or 2"),
        ("nan", "scale: use 1 or 2"),
        ("", "scale: use 1 or 2"),
        ("%00", "Text must not contain the NUL character (\\u0000): remove it"),
        ("9" * 400, "scale: use 1 or 2"),
        ("1&scale=2", "parameter 'scale' is given twice: give it once"),
    ],
    ids=["three", "zero", "float", "negative", "nan", "empty", "nul", "huge", "twice"],
)
def test_a_bad_scale_is_422_naming_it(client: TestClient, value: str, message: str) -> None:
    for suffix in (".png", ".svg"):
        response = client.get(f"{URL}{suffix}?scale={value}")
        assert response.status_code == 422, suffix
        (error,) = response.json()["detail"]
        assert error["loc"] == ["query", "scale"]
        assert error["msg"] == message


def test_prefetch_draws_the_figure_for_later_and_answers_at_once(client: TestClient) -> None:
    cache = client.app.state.demo_cache  # type: ignore[attr-defined]
    query = "p=0.35&layout=narrow&theme=dark&scale=2"
    response = client.get(f"{URL}.png?{query}&prefetch=1")
    assert response.status_code == 204
    assert response.content == b""
    key = ("dropout-mask", demos()["dropout-mask"].params(p=0.35), "png", "dark", "narrow", 2)
    deadline = time.monotonic() + 60
    while cache.get(key) is None:  # drawn in the background
        assert time.monotonic() < deadline
        time.sleep(0.05)
    hits = cache.hits
    figure = client.get(f"{URL}.png?{query}")
    assert figure.status_code == 200
    assert figure.content == cache.get(key).body
    assert cache.hits == hits + 2  # the request, and the check above
    assert client.get(f"{URL}.png?{query}&prefetch=1").status_code == 204  # already drawn
    assert client.get(f"{URL}.svg?p=0.35&prefetch=0").status_code == 200


def test_prefetch_is_refused_at_once_while_the_pool_is_busy(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = client.app.state.demo_cache  # type: ignore[attr-defined]
    monkeypatch.setattr(cache.pool, "full", lambda: True)
    response = client.get(f"{URL}.png?p=0.4&prefetch=1")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json() == {
        "detail": "The server is drawing figures that readers wait for; this one is not drawn "
        "ahead."
    }
    assert len(cache) == 0


@pytest.mark.parametrize(
    ("query", "loc", "message"),
    [
        ("prefetch=yes", "prefetch", "prefetch: use 0 or 1"),
        ("prefetch=true", "prefetch", "prefetch: use 0 or 1"),
        ("prefetch=", "prefetch", "prefetch: use 0 or 1"),
        ("prefetch=" + "1" * 400, "prefetch", "prefetch: use 0 or 1"),
        ("prefetch=1&prefetch=1", "prefetch", "parameter 'prefetch' is given twice: give it once"),
        (
            "prefetch=1&p=2",
            "p",
            "p: Input should be less than or equal to 0.9; allowed a number from 0 to 0.9",
        ),
        (
            "prefetch=1&seed=-1",
            "seed",
            "seed: Input should be greater than or equal to 0; allowed an integer from 0 to 9999",
        ),
        (
            "prefetch=1&colour=red",
            "colour",
            "unknown parameter 'colour': use p, units, batch, seed",
        ),
    ],
    ids=["word", "true", "empty", "huge", "twice", "param-out-of-range", "bad-seed", "unknown"],
)
def test_a_bad_prefetch_is_422_naming_it(
    client: TestClient, query: str, loc: str, message: str
) -> None:
    for suffix in (".png", ".svg"):
        response = client.get(f"{URL}{suffix}?{query}")
        assert response.status_code == 422, suffix
        (error,) = response.json()["detail"]
        assert error["loc"] == ["query", loc]
        assert error["msg"] == message
    assert len(client.app.state.demo_cache) == 0  # type: ignore[attr-defined]


def test_the_data_takes_no_prefetch(client: TestClient) -> None:
    response = client.get(f"{URL}/data?prefetch=1")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "prefetch"]


def test_the_data_ignores_how_the_figure_is_drawn(client: TestClient) -> None:
    plain = client.get(f"{URL}/data?p=0.3").json()
    assert client.get(f"{URL}/data?p=0.3&theme=dark&layout=narrow&scale=2").json() == plain


def test_svg(client: TestClient) -> None:
    response = client.get(f"{URL}.svg?units=8")
    assert response.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in response.content[:500]


def test_data(client: TestClient) -> None:
    body = client.get(f"{URL}/data?p=0.25&units=8&batch=2&seed=3").json()
    assert body["params"] == {"seed": "3", "p": "0.25", "units": "8", "batch": "2"}
    assert "With drop probability p = 0.25" in body["summary"]
    assert body["lead"].startswith("Dropout zeroes each activation with probability p")
    assert f"{body['lead']} {body['details']}" == body["summary"]
    assert len(body["data"]["activations"]) == 2
    assert len(body["data"]["activations"][0]) == 8
    assert body["data"]["test_output"] == body["data"]["activations"]


@pytest.mark.parametrize(
    ("query", "loc", "message"),
    [
        (
            "p=2",
            "p",
            "p: Input should be less than or equal to 0.9; allowed a number from 0 to 0.9",
        ),
        ("p=-1", "p", "allowed a number from 0 to 0.9"),
        ("p=nan", "p", "allowed a number from 0 to 0.9"),
        ("units=1000", "units", "allowed an integer from 4 to 64"),
        ("units=8.5", "units", "allowed an integer from 4 to 64"),
        ("seed=99999999", "seed", "allowed an integer from 0 to 9999"),
        ("colour=red", "colour", "unknown parameter 'colour': use p, units, batch, seed"),
        ("p=0.1&p=0.2", "p", "parameter 'p' is given twice"),
        ("theme=pink", "theme", "theme: use light or dark"),
    ],
)
def test_bad_parameters_are_422_naming_them(
    client: TestClient, query: str, loc: str, message: str
) -> None:
    for suffix in (".png", ".svg", "/data"):
        if loc == "theme" and suffix == "/data":
            continue
        response = client.get(f"{URL}{suffix}?{query}")
        assert response.status_code == 422, suffix
        (error,) = response.json()["detail"]
        assert error["loc"] == ["query", loc]
        assert message in error["msg"]


def test_unknown_demo_is_404(client: TestClient) -> None:
    for path in ("/api/v1/demos/nope", "/api/v1/demos/nope.png", "/api/v1/demos/nope/data"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["detail"].startswith("There is no demo 'nope'.")


def _route_not_called(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the image route fail if it is reached: only the shortcut may answer now."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the image route parsed a request the cache had answered before")

    monkeypatch.setattr(demos_api, "demo_params", refuse)


def _same(first: httpx2.Response, second: httpx2.Response) -> None:
    assert second.status_code == first.status_code
    assert second.content == first.content
    assert dict(second.headers) == dict(first.headers)


def test_a_figure_asked_again_is_answered_as_the_route_answered_it(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"{URL}.png?p=0.3&units=16"
    first = client.get(url)
    assert first.status_code == 200
    # The same figure, its query in another order: parsed by the route, a 304 for its ETag.
    not_modified = client.get(
        f"{URL}.png?units=16&p=0.3", headers={"If-None-Match": first.headers["etag"]}
    )
    assert not_modified.status_code == 304
    _route_not_called(monkeypatch)
    _same(first, client.get(url))
    _same(not_modified, client.get(url, headers={"If-None-Match": first.headers["etag"]}))
    stale = client.get(url, headers={"If-None-Match": '"an-older-figure"'})
    _same(first, stale)


def test_an_svg_asked_again_is_answered_as_the_route_answered_it(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = client.get(f"{URL}.svg?p=0.7")
    assert first.headers["content-type"].startswith("image/svg+xml")
    _route_not_called(monkeypatch)
    _same(first, client.get(f"{URL}.svg?p=0.7"))


def test_figures_answered_again_are_counted_under_their_route(client: TestClient) -> None:
    for _ in range(3):
        assert client.get(f"{URL}.png?p=0.25").status_code == 200
    text = client.get("/metrics").text
    route = 'route="/api/v1/demos/{demo_id}.png"'
    assert f'prepdeck_http_requests_total{{method="GET",{route},status="200"}} 3.0' in text
    cache = client.app.state.demo_cache  # type: ignore[attr-defined]
    assert (cache.misses, cache.hits) == (1, 2)


def test_a_figure_that_left_the_cache_is_drawn_again_by_the_route(client: TestClient) -> None:
    cache = client.app.state.demo_cache  # type: ignore[attr-defined]
    cache.max_entries = 1
    first = client.get(f"{URL}.png?p=0.1")
    client.get(f"{URL}.png?p=0.2")  # takes the one place in the cache
    again = client.get(f"{URL}.png?p=0.1")
    assert again.content == first.content
    assert (cache.misses, cache.hits) == (3, 0)


@pytest.mark.parametrize(
    ("query", "status"),
    [("p=2", 422), ("p=nan", 422), ("p=0.3%00", 422), ("p=0.3&p=0.4", 422), ("prefetch=1", 204)],
)
def test_requests_the_route_refused_or_did_not_draw_are_never_answered_from_the_cache(
    client: TestClient, query: str, status: int
) -> None:
    client.get(f"{URL}.png")  # the default figure is cached
    first = client.get(f"{URL}.png?{query}")
    assert first.status_code == status
    _same(first, client.get(f"{URL}.png?{query}"))


def test_a_request_longer_than_a_page_makes_is_not_remembered(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    padded = f"{URL}.png?p=0.3" + "0" * demos_api.MAX_TARGET
    first = client.get(padded)
    assert first.status_code == 200
    calls: list[object] = []
    parse = demos_api.demo_params

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return parse(*args, **kwargs)

    monkeypatch.setattr(demos_api, "demo_params", counted)
    _same(first, client.get(padded))
    assert len(calls) == 1  # parsed by the route again


def test_only_a_get_is_answered_from_the_cache(client: TestClient) -> None:
    client.get(f"{URL}.png")
    assert client.head(f"{URL}.png").status_code == 405
    assert client.post(f"{URL}.png").status_code == 405
