"""The route index: every path finds the route FastAPI's ordered matching would."""

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRouter, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from app import paths, routing
from app.api.demos import CachedFigures
from app.config import Settings
from app.main import create_app
from app.routing import RouteIndex, literal_start

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# A value each path converter accepts, so a template becomes a path its route matches.
SAMPLES = {
    "str": "sample",
    "path": "a/b.css",
    "int": "7",
    "float": "1.5",
    "uuid": str(uuid.UUID(int=7)),
}
# Paths no route template gives: misses, near misses and slash variants.
ODD_PATHS = (
    "/",
    "//",
    "",
    "/nope",
    "/nope/",
    "/api",
    "/api/",
    "/api/v1",
    "/api/v1/",
    "/api/v1/nope",
    "/api/v1/reviews/",
    "/api/v1/decks/x/cards/y/z",
    "/decks/",
    "/decks/regularization/",
    "/decks/regularization/cards/dropout/",
    "/decks/x/y/z/w",
    "/static",
    "/static/",
    "/docs/",
    "/docs-assets",
    "/openapi.json/",
    "/livez/",
    "/LIVEZ",
)


def _sample_path(template: str) -> str:
    """Return template with each parameter replaced by a value its converter accepts."""
    return re.sub(
        r"{[^}:]+(?::(\w+))?}",
        lambda parameter: SAMPLES[parameter.group(1) or "str"],
        template,
    )


def _app_paths(app: FastAPI) -> Iterator[str]:
    """Yield a sample path of every route of the app, with and without a trailing slash."""
    for context in iter_route_contexts(app.routes):
        template = context.path_format
        if template:
            path = _sample_path(template)
            yield path
            yield path.rstrip("/") if path.endswith("/") else path + "/"
    yield from ODD_PATHS


def _scope(path: str, method: str, root_path: str = "") -> Scope:
    return {
        "type": "http",
        "method": method,
        "path": root_path + path,
        "root_path": root_path,
        "headers": [],
        "query_string": b"",
    }


def _answering(routes: list[BaseRoute], scope: Scope) -> list[tuple[BaseRoute, Match]]:
    """Return the routes that match scope fully or partly, in FastAPI's loop's order."""
    answers: list[tuple[BaseRoute, Match]] = []
    for route in routes:
        match = route.matches(scope)[0]
        if match is not Match.NONE:
            answers.append((route, match))
    return answers


def test_literal_start() -> None:
    assert literal_start("/api/v1/decks/{deck_id}/cards") == ("api", "v1", "decks")
    assert literal_start("/livez") == ("livez",)
    assert literal_start("/decks/") == ("decks", "")
    assert literal_start("/static/{path}") == ("static",)
    assert literal_start("/api/v1/demos/{demo_id}.png") == ("api", "v1", "demos")
    assert literal_start("/{page}") == ()
    assert literal_start("/") == ("",)
    assert literal_start("") == ()
    assert literal_start(None) == ()


def _assert_answered_alike(app: FastAPI, paths: list[str], root_path: str) -> None:
    """Assert the index's candidates for each path answer it as all the app's routes do.

    The router's loop takes the first full match, else the first partial one, else looks for
    the path with its trailing slash added or removed; the routes left out must all say no.
    """
    index = RouteIndex(app.router)
    all_routes = app.router.routes
    for path in paths:
        candidates = index.candidates(path).routes
        toggled = path.rstrip("/") if path.endswith("/") else path + "/"
        for method in METHODS:
            for probe in (path, toggled):
                scope = _scope(probe, method, root_path)
                assert _answering(candidates, scope) == _answering(all_routes, scope), (
                    method,
                    probe,
                )


@pytest.mark.parametrize("root_path", ["", "/prefix"])
def test_every_path_meets_the_routes_ordered_matching_meets(app: FastAPI, root_path: str) -> None:
    paths = sorted(set(_app_paths(app)))
    assert len(paths) > 100
    _assert_answered_alike(app, paths, root_path)
    index = RouteIndex(app.router)
    assert max(len(index.candidates(path).routes) for path in paths) < len(app.router.routes)


def _endpoint() -> None:
    """Answer nothing: the routes of the app below are only matched."""


def _awkward_app() -> FastAPI:
    """An app with the routes prepdeck lacks: a parameter first, trailing slashes, a mount."""
    app = FastAPI()
    router = APIRouter(prefix="/nested")
    router.add_api_route("/", _endpoint)
    router.add_api_route("/{item}/", _endpoint, methods=["POST"])
    app.add_api_route("/", _endpoint)
    app.add_api_route("/items/", _endpoint)
    app.add_api_route("/items/{item_id:int}", _endpoint, methods=["PUT"])
    app.include_router(router)
    app.add_api_route("/{page}/view", _endpoint)
    app.add_api_route("/{page}/edit/", _endpoint, methods=["POST"])
    app.add_api_route("/files/{rest:path}", _endpoint)
    app.mount("/m", StaticFiles(directory=paths.STATIC_DIR))
    return app


AWKWARD_PATHS = (
    "/",
    "",
    "/items",
    "/items/",
    "/items/3",
    "/items/3/",
    "/items/x",
    "/nested",
    "/nested/",
    "/nested/a",
    "/nested/a/",
    "/anything",
    "/anything/view",
    "/anything/edit",
    "/anything/edit/",
    "/files",
    "/files/a/b/c",
    "/m",
    "/m/",
    "/m/style.css",
)


@pytest.mark.parametrize("root_path", ["", "/prefix"])
def test_parameters_first_and_trailing_slashes_are_answered_alike(root_path: str) -> None:
    _assert_answered_alike(_awkward_app(), list(AWKWARD_PATHS), root_path)


def test_a_route_with_a_parameter_first_is_a_candidate_everywhere() -> None:
    app = _awkward_app()
    index = RouteIndex(app.router)
    page = next(
        route for route in app.router.routes if getattr(route, "path", "") == "/{page}/view"
    )
    assert all(page in index.candidates(path).routes for path in AWKWARD_PATHS)


def test_the_trailing_slash_redirect_finds_the_other_form() -> None:
    app = _awkward_app()
    routing.index_routes(app)
    with TestClient(app) as client:
        assert client.get("/items", follow_redirects=False).headers["location"] == (
            "http://testserver/items/"
        )
        assert client.put("/items/3/", follow_redirects=False).headers["location"] == (
            "http://testserver/items/3"
        )
        assert client.get("/m", follow_redirects=False).headers["location"] == (
            "http://testserver/m/"
        )
        assert client.get("/m/style.css").status_code == 200
        assert client.post("/nested/a/").status_code == 200
        assert client.delete("/items/3").headers["allow"] == "PUT"


def test_every_route_is_a_candidate_for_its_own_path(app: FastAPI) -> None:
    index = RouteIndex(app.router)
    for route in app.router.routes:
        for context in iter_route_contexts([route]):
            if context.path_format:
                assert route in index.candidates(_sample_path(context.path_format)).routes


def test_a_route_added_later_is_indexed(app: FastAPI) -> None:
    index = RouteIndex(app.router)
    assert index.candidates("/late").routes == []
    app.add_api_route("/late", lambda: None)
    assert [route.path for route in index.candidates("/late").routes] == ["/late"]  # type: ignore[attr-defined]


def test_a_router_without_middleware_of_its_own_is_indexed(app: FastAPI) -> None:
    # Behind the answer to figures asked for again (app.api.demos.CachedFigures)
    assert isinstance(app.router.middleware_stack, CachedFigures)
    assert isinstance(app.router.middleware_stack.app, RouteIndex)


# --- whole requests: the indexed app answers as the app with FastAPI's plain matching --------

REQUESTS = (
    ("GET", "/livez"),
    ("HEAD", "/livez"),
    ("POST", "/livez"),
    ("GET", "/livez/"),
    ("GET", "/decks/regularization/"),
    ("GET", "/decks/regularization/cards/dropout"),
    ("HEAD", "/decks/regularization/cards/dropout"),
    ("DELETE", "/decks/regularization/cards/dropout"),
    ("GET", "/decks/no-such-deck"),
    ("GET", "/no/such/page"),
    ("GET", "/api/v1/no/such/thing"),
    ("GET", "/api/v1/decks/"),
    ("OPTIONS", "/api/v1/me/settings"),
    ("DELETE", "/api/v1/reviews"),
    ("GET", "/api/v1/reviews"),
    ("GET", "/static/style.css"),
    ("HEAD", "/static/style.css"),
    ("GET", "/static/no-such-file.css"),
    ("GET", "/static"),
    ("GET", "/docs"),
    ("GET", "/docs/"),
    ("GET", "/openapi.json"),
)


CSRF_TOKEN = re.compile(rb"[\w-]{32}\.[0-9a-f]{32}")


def _answer(client: TestClient, method: str, path: str) -> dict[str, Any]:
    """Return what a response says that no run changes: not its cookies or CSRF tokens."""
    response = client.request(method, path, follow_redirects=False)
    body = CSRF_TOKEN.sub(b"token", response.content)
    return {
        "status": response.status_code,
        "allow": response.headers.get("allow"),
        "location": response.headers.get("location"),
        "content-type": response.headers.get("content-type"),
        "body": body,
    }


def test_requests_are_answered_as_without_the_index(app: FastAPI, settings: Settings) -> None:
    unindexed = create_app(settings)
    unindexed.router.middleware_stack = unindexed.router.app  # FastAPI's own loop
    try:
        with TestClient(app) as indexed, TestClient(unindexed) as plain:
            for method, path in REQUESTS:
                assert _answer(indexed, method, path) == _answer(plain, method, path), (
                    method,
                    path,
                )
            assert indexed.get("/static/style.css").status_code == 200
            assert indexed.post("/livez").headers["allow"] == "GET"
            assert indexed.get("/api/v1/nope").json()["detail"]
            assert indexed.get("/decks/x/", follow_redirects=False).headers["location"] == (
                "http://testserver/decks/x"
            )
    finally:
        unindexed.state.engine.dispose()


def test_the_metrics_name_the_route_template(client: TestClient) -> None:
    client.get("/decks/regularization/cards/dropout")
    client.get("/api/v1/demos/dropout-mask.png?seed=1")
    text = client.get("/metrics").text
    assert 'route="/decks/{deck_id}/cards/{card_id}",status="200"' in text
    assert 'method="GET",route="/api/v1/demos/{demo_id}.png"' in text
