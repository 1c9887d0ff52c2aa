"""The dependencies of the pages and the JSON API: one place that reads the request and the app.

Handlers take what they need from here (the database session, the content, the user, the
templates, the metrics) instead of reading `request.app.state` themselves.
"""

import secrets
from collections.abc import AsyncGenerator
from typing import Annotated, Any

from anyio import CapacityLimiter
from fastapi import Depends, HTTPException, Query, Request
from fastapi.templating import Jinja2Templates
from pydantic import BeforeValidator
from sqlalchemy.orm import Session, sessionmaker

from app.accounts import sessions
from app.accounts.service import user_for_token
from app.accounts.sessions import CsrfFailed, LoginRequired
from app.config import Settings
from app.content.models import Card, Deck, Difficulty, Library
from app.content.queries import MAX_QUERY_LENGTH
from app.figures.cache import RenderCache
from app.models import User
from app.observability import Metrics
from app.study.group_commit import GroupCommitter
from app.urls import api_login


async def get_db(request: Request) -> AsyncGenerator[Session]:
    """Yield a Session for one request and close it afterwards.

    An async dependency on purpose: its clean-up (handing the connection back to the pool)
    then runs on the event loop. Were it sync, the clean-up would wait for a worker thread,
    while every worker thread could be waiting for a pooled connection: a deadlock under load.
    At most REQUEST_SESSIONS at once (see app.db): a request beyond them waits here, without
    holding the event loop, until one closes.
    """
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    slots: CapacityLimiter = request.app.state.session_slots
    borrower = object()  # released on behalf of the same borrower, whichever task cleans up
    await slots.acquire_on_behalf_of(borrower)
    try:
        session = factory()
        try:
            yield session
        finally:
            session.close()
    finally:
        slots.release_on_behalf_of(borrower)


SessionDep = Annotated[Session, Depends(get_db)]


async def get_app_settings(request: Request) -> Settings:
    """Return the server's settings (not a user's study settings)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_templates(request: Request) -> Jinja2Templates:
    """Return the page templates."""
    templates: Jinja2Templates = request.app.state.templates
    return templates


TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]


async def get_metrics(request: Request) -> Metrics:
    """Return the Prometheus metrics of this app."""
    metrics: Metrics = request.app.state.metrics
    return metrics


MetricsDep = Annotated[Metrics, Depends(get_metrics)]


async def get_committer(request: Request) -> GroupCommitter:
    """Return the committer that records concurrent reviews in shared commits."""
    committer: GroupCommitter = request.app.state.committer
    return committer


CommitterDep = Annotated[GroupCommitter, Depends(get_committer)]


async def get_demo_cache(request: Request) -> RenderCache:
    """Return the cache and render pool of the demos' figures."""
    cache: RenderCache = request.app.state.demo_cache
    return cache


DemoCacheDep = Annotated[RenderCache, Depends(get_demo_cache)]


async def get_compute_limiter(request: Request) -> CapacityLimiter:
    """Return the limiter that bounds how many demo computations run at once."""
    limiter: CapacityLimiter = request.app.state.compute_limiter
    return limiter


ComputeLimiterDep = Annotated[CapacityLimiter, Depends(get_compute_limiter)]


async def client_of(request: Request) -> str:
    """Return the client's address: the peer's, or X-Forwarded-For's from a trusted proxy.

    The server (uvicorn with PREPDECK_TRUSTED_PROXIES) has already put the forwarded
    address in place; behind a proxy that is not trusted, every client has its address.
    """
    return request.client.host if request.client else "unknown"


ClientDep = Annotated[str, Depends(client_of)]


async def get_library(request: Request) -> Library:
    """Return the content loaded at start."""
    library: Library = request.app.state.library
    return library


LibraryDep = Annotated[Library, Depends(get_library)]


async def get_deck(deck_id: str, library: LibraryDep) -> Deck:
    """Return the deck named in the path, or answer 404."""
    deck = library.deck(deck_id)
    if deck is None:
        known = ", ".join(deck.id for deck in library.decks)
        raise HTTPException(404, f"There is no deck '{deck_id}'. Decks: {known}.")
    return deck


DeckDep = Annotated[Deck, Depends(get_deck)]


async def get_card(card_id: str, deck: DeckDep) -> Card:
    """Return the card named in the path, or answer 404."""
    card = deck.card(card_id)
    if card is None:
        raise HTTPException(404, f"Deck '{deck.id}' has no card '{card_id}'.")
    return card


CardDep = Annotated[Card, Depends(get_card)]


def _blank_to_none(value: Any) -> Any:
    # An HTML form sends "difficulty=" for "Any": treat it as no filter, not as an error.
    return None if value == "" else value


# The query parameters of the pages and the API.
DifficultyParam = Annotated[
    Difficulty | None,
    BeforeValidator(_blank_to_none),
    Query(description="easy, medium or hard; empty for any"),
]
# The JSON API takes its enum as documented: an empty value is an error, not "any".
ApiDifficultyParam = Annotated[
    Difficulty | None,
    Query(description="easy, medium or hard; leave it out for any (an empty value is refused)"),
]
TopicParam = Annotated[
    str | None, Query(max_length=80, description="a topic id of the deck; empty for any")
]
TextParam = Annotated[
    str, Query(max_length=MAX_QUERY_LENGTH, description="words every listed card contains")
]
SlugParam = Annotated[str | None, Query(max_length=80)]


class Cookies:
    """This request's session and CSRF cookies: read them, start or end a session."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.secure_names: bool = request.app.state.settings.secure_cookies
        self.secret: str = request.app.state.secret

    @property
    def session_token(self) -> str | None:
        """Return the session cookie's value (the login token), or None."""
        name = sessions.cookie_name(sessions.SESSION_COOKIE, secure=self.secure_names)
        return self.request.cookies.get(name) or None

    @property
    def bearer_token(self) -> str | None:
        """Return the Bearer token this request came with, or None."""
        return sessions.bearer_token(self.request.headers.get("authorization"))

    @property
    def presented_token(self) -> str | None:
        """Return the credential this request came with: its Bearer token, else its session."""
        return self.bearer_token or self.session_token

    def start_session(self, response: sessions.CookieJar, token: str) -> str:
        """Set the session cookie on response; return the CSRF token bound to the session.

        The browser's CSRF token is bound to the session, so a new session gets a new one,
        which the CSRF cookie middleware sets on the way out.
        """
        sessions.set_session_cookie(
            response,
            token,
            secure_names=self.secure_names,
            https=self.request.url.scheme == "https",
        )
        csrf = sessions.session_csrf_token(self.secret, token)
        self.request.state.csrf_new = csrf
        return csrf

    def end_session(self, response: sessions.CookieJar) -> None:
        """Remove the session cookie."""
        sessions.delete_session_cookie(response, secure_names=self.secure_names)

    def expected_csrf(self) -> str | None:
        """Return the CSRF token a write from this browser must carry, or None."""
        name = sessions.cookie_name(sessions.CSRF_COOKIE, secure=self.secure_names)
        csrf_cookie = self.request.cookies.get(name, "")
        return sessions.expected_csrf_token(self.secret, self.session_token, csrf_cookie)

    def csrf_token(self) -> str:
        """Return the CSRF token for this browser's forms, setting the CSRF cookie on the way out.

        The cookie carries the same token for scripts; a guest without a valid one gets a new
        pre-session id.
        """
        new = getattr(self.request.state, "csrf_new", None)
        if new:
            return str(new)
        token = self.expected_csrf() or sessions.anonymous_csrf_token(self.secret)
        name = sessions.cookie_name(sessions.CSRF_COOKIE, secure=self.secure_names)
        if self.request.cookies.get(name) != token:
            self.request.state.csrf_new = token
        return token


async def get_cookies(request: Request) -> Cookies:
    """Return the request's cookies and the means to set them (async: no worker thread)."""
    return Cookies(request)


# Every dependency here is async: FastAPI runs a plain function (or a class) in a worker
# thread, and a few thread hops per request cost more than the page itself.
CookiesDep = Annotated[Cookies, Depends(get_cookies)]


def csrf_token(request: Request) -> str:
    """Return the CSRF token for this browser's forms (the templates' `csrf_token`)."""
    return Cookies(request).csrf_token()


async def optional_user(request: Request, session: SessionDep, cookies: CookiesDep) -> User | None:
    """Return the user of the Bearer token or session cookie, or None for a guest.

    Async although it queries the database: the query is one indexed lookup, cheaper than
    the hop to a worker thread that a sync dependency costs on every request.
    """
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        user = user_for_token(session, token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise HTTPException(
                401,
                f"Invalid or expired token: log in again with POST {api_login()}.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        request.state.auth = "bearer"
        request.state.user = user
        return user
    cookie = cookies.session_token
    user = None
    if cookie:
        request.state.auth = "cookie"
        user = user_for_token(session, cookie)
    request.state.user = user
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]


async def current_user(user: OptionalUser) -> User:
    """Return the logged-in user, or stop with LoginRequired."""
    if user is None:
        raise LoginRequired
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def admin_user(user: CurrentUser) -> User:
    """Return the logged-in user if they are an admin, or answer 403."""
    if not user.is_admin:
        raise HTTPException(
            403,
            f"This needs an admin and '{user.username}' is not one: log in as an admin "
            "(an account made with `prepdeck user create --admin`).",
        )
    return user


AdminUser = Annotated[User, Depends(admin_user)]


async def require_same_origin(request: Request) -> None:
    """Refuse an unsafe request that a browser sent from a page of another site."""
    if request.method not in sessions.UNSAFE_METHODS or request.headers.get("authorization"):
        return
    sessions.check_same_origin(
        str(request.base_url), request.headers.get("origin"), request.headers.get("referer")
    )


async def require_csrf(request: Request, _user: OptionalUser, cookies: CookiesDep) -> None:
    """Check the CSRF token of a write that a browser could be tricked into sending."""
    if getattr(request.state, "auth", None) == "bearer":
        return  # a Bearer token is never sent by a browser on its own
    await require_same_origin(request)
    expected = cookies.expected_csrf()
    sent = request.headers.get(sessions.CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(sessions.CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not secrets.compare_digest(expected, sent):
        raise CsrfFailed


CsrfProtected = Depends(require_csrf)
SameOrigin = Depends(require_same_origin)
