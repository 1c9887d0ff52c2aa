"""The FastAPI application factory."""

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import CapacityLimiter
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from app import __version__, errors, operations, paths, routing
from app.api import demos as api_demos
from app.api import routes as api_routes
from app.api.schemas import INVALID_INPUT
from app.config import Settings, get_settings
from app.content.loader import load_library
from app.db import REQUEST_SESSIONS, make_engine, make_sessionmaker
from app.figures.cache import SHARED_POOL, RenderCache, warm_defaults
from app.figures.registry import demo_ids
from app.input_checks import document_text_rule
from app.middleware.body_limit import BodyLimitMiddleware
from app.middleware.observability import ObservabilityMiddleware
from app.observability import Metrics, count_queries
from app.request_checks import reject_unsafe_input
from app.study.fit_worker import FitWorker
from app.study.group_commit import GroupCommitter
from app.web import routes as web_routes
from app.web.templating import make_templates


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app: load and check the content, open the database, mount the routes.

    Raise ContentError when the content is invalid.
    """
    settings = settings or get_settings()
    library = load_library(settings.content_dir, demo_ids=demo_ids())
    engine = make_engine(settings)
    count_queries(engine)

    if settings.render_processes:
        SHARED_POOL.resize(settings.render_processes)
    demo_cache = RenderCache()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # With several server processes each runs all of this. Each has a demo cache of its
        # own, which only its own warm-up fills; the fit workers claim fits atomically, so
        # two never run the same one.
        stop = threading.Event()
        warmer = threading.Thread(
            target=warm_defaults, args=(demo_cache, stop), name="warm-demos", daemon=True
        )
        if settings.warm_demos:
            warmer.start()  # readiness does not wait for it
        if settings.fsrs_fit_worker:
            fit_worker.start()
        yield
        stop.set()
        fit_worker.stop()
        committer.close()  # after the last request: its queued reviews are committed
        if warmer.is_alive():
            warmer.join(timeout=10)  # at most the render in progress
        demo_cache.close()
        engine.dispose()

    # FastAPIOffline serves the Swagger UI files itself: /docs loads nothing from a CDN.
    app = FastAPIOffline(
        title="prepdeck",
        version=__version__,
        summary="Interview-prep decks with spaced repetition and live demos.",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        static_url="/docs-assets",
        swagger_ui_parameters={"validatorUrl": None},
        dependencies=[Depends(reject_unsafe_input)],
        responses=INVALID_INPUT,
    )
    app.state.settings = settings
    app.state.secret = settings.secret()
    app.state.library = library
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    fit_worker = FitWorker(app.state.sessionmaker)
    committer = app.state.committer = GroupCommitter(app.state.sessionmaker)
    app.state.fit_worker = fit_worker
    app.state.templates = make_templates()
    app.state.demo_cache = demo_cache
    app.state.compute_limiter = CapacityLimiter(api_demos.COMPUTE_THREADS)
    app.state.session_slots = CapacityLimiter(REQUEST_SESSIONS)
    app.state.fragments = {}
    errors.install(app)
    metrics = Metrics(demo_cache)
    app.state.metrics = metrics
    # Innermost, so its 413 answers still get the security headers and are counted.
    app.add_middleware(BodyLimitMiddleware, max_import_bytes=settings.max_import_bytes)
    app.add_middleware(ObservabilityMiddleware, metrics=metrics, secure=settings.secure_cookies)
    app.include_router(operations.router)
    for router in web_routes.ROUTERS:
        app.include_router(router)
    for router in api_routes.ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=paths.STATIC_DIR), name="static")
    # Each request tries only the routes its path's leading segments leave possible.
    routing.index_routes(app)
    # A figure asked for again with the same query is answered before the routes are tried.
    api_demos.answer_cached_figures(app, demo_cache)
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        # The schema states what reject_unsafe_input enforces, so clients may check it first.
        if app.openapi_schema is None:
            app.openapi_schema = document_text_rule(build_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
