"""JSON API: the live demos, their parameters, data and images (PNG, SVG)."""

import dataclasses
from typing import Annotated, Any, cast

import numpy as np
from anyio import to_thread
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from app import urls
from app.api.schemas import DemoOut, ParamOut
from app.deps import ClientDep, ComputeLimiterDep, DemoCacheDep
from app.figures.cache import SCALES, RenderBusy, RenderCache, Rendered, Scale, Theme
from app.figures.demo import Demo, DemoParams
from app.figures.encode import Format
from app.figures.layout import LAYOUTS, Layout
from app.figures.params import LAYOUT, SCALE, THEME, BadParams, describe, parse, query_of
from app.figures.registry import demos
from app.figures.wording import split_lead

ROUTE_PREFIX = f"{urls.API}/demos/"
router = APIRouter(prefix=ROUTE_PREFIX.rstrip("/"), tags=["demos"])

CACHE_CONTROL = "public, max-age=86400"
PREFETCH = "prefetch"  # prefetch=1: draw the figure for later, at the lowest priority
COMPUTE_THREADS = 2
MAX_TARGET = 1024  # characters of path and query of an image request CachedFigures may answer
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such demo"},
    422: {"description": "A parameter is unknown or out of its range"},
}
IMAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    200: {"content": {"image/png": {}, "image/svg+xml": {}}, "description": "The figure"},
    204: {"description": "prefetch=1: the figure is cached or queued to be drawn"},
    304: {"description": "Not modified (If-None-Match)"},
    429: {"description": "This client has too many figures being drawn (Retry-After)"},
    503: {"description": "Too many figures are being drawn, or (prefetch=1) any (Retry-After)"},
}


async def get_demo(demo_id: str) -> Demo[Any, Any]:
    """Return the demo named in the path, or answer 404."""
    demo = demos().get(demo_id)
    if demo is None:
        raise HTTPException(404, f"There is no demo '{demo_id}'. Demos: {', '.join(demos())}.")
    return demo


DemoDep = Annotated[Demo[Any, Any], Depends(get_demo)]


def describe_demo(demo: Demo[Any, Any]) -> DemoOut:
    """Describe a demo for the API."""
    return DemoOut(
        id=demo.id,
        title=demo.title,
        params=[
            ParamOut(
                name=info.name,
                label=info.label,
                type=info.kind,
                min=info.minimum,
                max=info.maximum,
                step=info.step,
                default=info.default,
                log=info.log,
            )
            for info in describe(demo.params)
        ],
        image_url=urls.api_demo_image(demo.id, "png"),
        svg_url=urls.api_demo_image(demo.id, "svg"),
        data_url=urls.api_demo_data(demo.id),
    )


def demo_params(
    request: Request, demo: Demo[Any, Any], ignore: tuple[str, ...] = (THEME, LAYOUT, SCALE)
) -> DemoParams:
    """Read the demo's parameters from the query string (422 naming what is wrong).

    ignore: query parameters that are not the demo's (the route reads them, or not at all).
    """
    return parse(demo.params, request.query_params.multi_items(), ignore=ignore)


def _one_of(request: Request, name: str, allowed: tuple[str, ...]) -> str:
    """Read a query parameter that is one of a few words, the first when absent (or 422)."""
    values = request.query_params.getlist(name)
    value = values[-1] if values else allowed[0]
    if len(values) > 1:
        error = {
            "type": "duplicate",
            "loc": ["query", name],
            "msg": f"parameter '{name}' is given twice: give it once",
            "input": value,
        }
        raise BadParams([error])
    if value not in allowed:
        error = {
            "type": "literal_error",
            "loc": ["query", name],
            "msg": f"{name}: use {' or '.join(allowed)}",
            "input": value,
        }
        raise BadParams([error])
    return value


def _theme(request: Request) -> Theme:
    return cast(Theme, _one_of(request, THEME, ("light", "dark")))


def _layout(request: Request) -> Layout:
    return cast(Layout, _one_of(request, LAYOUT, LAYOUTS))


def _scale(request: Request) -> Scale:
    return cast(Scale, int(_one_of(request, SCALE, tuple(str(scale) for scale in SCALES))))


@router.get("")
async def list_demos() -> list[DemoOut]:
    """List every demo with its parameters and their ranges."""
    return [describe_demo(demo) for demo in demos().values()]


async def _image(
    request: Request, demo: Demo[Any, Any], fmt: Format, cache: RenderCache, client: str
) -> Response:
    params = demo_params(request, demo, ignore=(THEME, LAYOUT, SCALE, PREFETCH))
    theme = _theme(request)
    layout = _layout(request)
    scale = _scale(request)
    if _one_of(request, PREFETCH, ("0", "1")) == "1":
        return _prefetch(demo, params, fmt, theme, layout, scale, cache, client)
    # RenderBusy (429 or 503) when too many are being drawn
    rendered = await cache.render_async(
        demo, params, fmt, theme, layout, scale, client=client, target=_target(request.scope)
    )
    return _image_response(rendered, request.headers.get("if-none-match"))


def _target(scope: Scope) -> tuple[str, bytes] | None:
    """Return what names an image request: its path and its query string as sent.

    None for a request longer than any the pages make, which is not remembered: the cache
    keeps at most its max_targets of them, and they should stay small.
    """
    path: str = scope["path"]
    query: bytes = scope["query_string"]
    return (path, query) if len(path) + len(query) <= MAX_TARGET else None


def _image_response(rendered: Rendered, if_none_match: str | None) -> Response:
    headers = {"ETag": rendered.etag, "Cache-Control": CACHE_CONTROL}
    if if_none_match == rendered.etag:
        return Response(status_code=304, headers=headers)
    return Response(rendered.body, media_type=rendered.media_type, headers=headers)


class CachedFigures:
    """Answer a request for a figure drawn before for the same path and query, before routing.

    A slider's figure is asked for again and again with the same query string (each reader's
    browser, each reload). The image route remembers each request it served (RenderCache's
    target); the same request again, while its figure is cached, is answered here with the
    route's own response, without the dependency solving and query parsing that cost more
    than half of the route's time. The request passed the route's checks the first time, and a
    figure depends only on its path and query. Any other request goes on to the routes.
    """

    def __init__(self, app: ASGIApp, cache: RenderCache, routes: dict[str, BaseRoute]) -> None:
        self.app = app
        self.cache = cache
        self.routes = routes  # the image routes by the suffix they serve (".png", ".svg")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            route = self.routes.get(path[-4:]) if path.startswith(ROUTE_PREFIX) else None
            target = _target(scope) if route is not None else None
            rendered = self.cache.served(target) if target is not None else None
            if rendered is not None:
                scope["route"] = route  # counted under the route in the metrics
                response = _image_response(rendered, Headers(scope=scope).get("if-none-match"))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def answer_cached_figures(app: FastAPI, cache: RenderCache) -> None:
    """Put CachedFigures in front of app's routes (after they are all included and indexed)."""
    endpoints = {read_demo_png: ".png", read_demo_svg: ".svg"}
    routes: dict[str, BaseRoute] = {
        endpoints[route.endpoint]: route
        for route in router.routes
        if isinstance(route, APIRoute) and route.endpoint in endpoints
    }
    if len(routes) != len(endpoints):
        raise ValueError("the image routes are not among the demo router's routes")
    app.router.middleware_stack = CachedFigures(app.router.middleware_stack, cache, routes)


def _prefetch(
    demo: Demo[Any, Any],
    params: DemoParams,
    fmt: Format,
    theme: Theme,
    layout: Layout,
    scale: Scale,
    cache: RenderCache,
    client: str,
) -> Response:
    """Queue a figure a reader may ask for next and answer at once: 204, or 503 when busy."""
    if not cache.prefetch(demo, params, fmt, theme, layout, scale, client=client):
        raise RenderBusy(
            503,
            1,
            "The server is drawing figures that readers wait for; this one is not drawn ahead.",
        )
    return Response(status_code=204)


@router.get("/{demo_id}.png", response_class=Response, responses=IMAGE_RESPONSES)
async def read_demo_png(
    request: Request, demo: DemoDep, cache: DemoCacheDep, client: ClientDep
) -> Response:
    """Draw the demo as PNG; every query parameter is the demo's, or theme, layout, scale.

    scale=2 draws twice the pixels, for a high-density screen (the page's srcset).
    prefetch=1 draws it for later, at the lowest priority, and answers 204 at once (503
    while the server is busy drawing figures that readers wait for).
    """
    return await _image(request, demo, "png", cache, client)


@router.get("/{demo_id}.svg", response_class=Response, responses=IMAGE_RESPONSES)
async def read_demo_svg(
    request: Request, demo: DemoDep, cache: DemoCacheDep, client: ClientDep
) -> Response:
    """Draw the demo as SVG (scale changes nothing: an SVG has no pixels); prefetch as for PNG."""
    return await _image(request, demo, "svg", cache, client)


@router.get("/{demo_id}", responses=NOT_FOUND)
async def read_demo(demo: DemoDep) -> DemoOut:
    """Describe one demo and its parameters."""
    return describe_demo(demo)


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return np.round(value, 6).tolist() if value.dtype.kind == "f" else value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


@router.get("/{demo_id}/data", responses=NOT_FOUND)
async def read_demo_data(
    request: Request, demo: DemoDep, limiter: ComputeLimiterDep
) -> JSONResponse:
    """Return the demo's computed numbers and summary for these parameters."""
    params = demo_params(request, demo)
    # At most COMPUTE_THREADS at once: a flood of /data requests waits here rather than
    # taking the threads that pages and the API run on.
    data = await to_thread.run_sync(demo.compute, params, limiter=limiter)
    fields = {field.name: _plain(getattr(data, field.name)) for field in dataclasses.fields(data)}
    summary = demo.summary(data)
    lead, details = split_lead(summary)
    return JSONResponse(
        {
            "demo": demo.id,
            "params": query_of(params),
            "summary": summary,
            "lead": lead,
            "details": details,
            "data": fields,
        },
        headers={"Cache-Control": CACHE_CONTROL},
    )
