"""Route matching through an index of the routes' literal path prefixes.

FastAPI's router tries its routes in order: every included router on every request, each by
all its routes (and the router that matches, twice). With over a hundred routes that was most
of a cheap request's time. The index narrows the list first: a route whose path starts with
literal segments (`/api/v1/reviews`, `/decks/{deck_id}` starts with `decks`) can only match a
path that starts with them, so a path's candidates are the routes filed under the segments it
starts with, plus those with no literal start (a parameter first, or not matched by path).

FastAPI's own loop then runs on the candidates alone, in their order in the app: the routes
left out would all have answered "no match", which changes nothing in that loop. The full
and partial matches (405), the trailing-slash redirect, the 404 and `scope["route"]` are
therefore exactly as without the index.
"""

import copy
from dataclasses import dataclass, field

from fastapi import FastAPI
from fastapi.routing import APIRouter, _IncludedRouter, iter_route_contexts
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Host
from starlette.types import Receive, Scope, Send

Segments = tuple[str, ...]


def literal_start(path_format: str | None) -> Segments:
    """Return the segments a route's path template starts with before its first parameter.

    `/decks/{deck_id}/cards` gives ("decks",), `/livez` ("livez",), `/{page}` or no
    template (a route not matched by path) nothing: such a route may match any path.
    """
    if not path_format or not path_format.startswith("/"):
        return ()
    start = []
    for segment in path_format[1:].split("/"):
        if "{" in segment:
            break
        start.append(segment)
    return tuple(start)


def literal_starts(route: BaseRoute) -> set[Segments]:
    """Return the literal starts of the paths a top-level route may match.

    An included router may match what any of its routes does; one that also has fallback
    routes (FastAPI's frontend routes, tried after every other) may match any path.
    """
    if isinstance(route, Host):
        return {()}
    if isinstance(route, _IncludedRouter) and route.effective_low_priority_routes():
        return {()}
    return {literal_start(context.path_format) for context in iter_route_contexts([route])}


@dataclass
class _Node:
    """The routes that may match a path starting with this node's segments, as a router."""

    view: APIRouter
    children: dict[str, "_Node"] = field(default_factory=dict)


class RouteIndex:
    """The entry point of a router: run its matching loop on a path's candidate routes only.

    Each node of the index holds a shallow copy of the router whose routes are the candidates
    for the paths that lead to it. The index is rebuilt when the router gains a route; routers
    included in it are expected to be complete when included.
    """

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self.size = -1
        self.root = _Node(router)

    def candidates(self, route_path: str) -> APIRouter:
        """Return the router narrowed to the routes that may match route_path.

        The candidates of the path with a trailing slash include those of the path without
        it, so the router's trailing-slash redirect pass finds every route it would have.
        """
        if len(self.router.routes) != self.size:
            self._build()
        if not route_path.endswith("/"):
            route_path += "/"
        node = self.root
        for segment in route_path[1:].split("/"):
            child = node.children.get(segment)
            if child is None:
                break
            node = child
        return node.view

    def _build(self) -> None:
        """File each route under its literal starts and give each node its narrowed router."""
        routes = self.router.routes
        filed: dict[Segments, set[int]] = {}
        for position, route in enumerate(routes):
            for start in literal_starts(route):
                for depth in range(len(start) + 1):
                    filed.setdefault(start[:depth], set())
                filed[start].add(position)
        nodes: dict[Segments, _Node] = {}
        inherited: dict[Segments, set[int]] = {}
        for start in sorted(filed, key=len):  # each node after its parent
            positions = filed[start] | (inherited[start[:-1]] if start else set())
            inherited[start] = positions
            view = copy.copy(self.router)
            view.routes = [routes[position] for position in sorted(positions)]
            nodes[start] = _Node(view)
            if start:
                nodes[start[:-1]].children[start[-1]] = nodes[start]
        self.root = nodes[()]
        self.size = len(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.router.app(scope, receive, send)
            return
        scope.setdefault("router", self.router)  # url_for looks in every route
        await self.candidates(get_route_path(scope)).app(scope, receive, send)


def index_routes(app: FastAPI) -> None:
    """Make app's router match each request through the index of its routes."""
    router = app.router
    if router.middleware_stack != router.app:
        raise ValueError("the router has middleware of its own; index it before adding any")
    router.middleware_stack = RouteIndex(router)
