"""Jinja2 templates and the page dependency that renders them."""

import hashlib
from collections.abc import Hashable, Sequence
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from sqlalchemy.orm import Session, sessionmaker

from app import __version__, paths, urls
from app.accounts.service import user_for_token
from app.accounts.sessions import CSRF_FIELD
from app.content.markup import pygments_css
from app.deps import Cookies, TemplatesDep, csrf_token
from app.models import User
from app.rehearsal.matching import MAX_TEXT


def _short_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:10]


def marked(text: str, spans: Sequence[tuple[int, int]]) -> Markup:
    """Return text as HTML with the given stretches in <mark>, everything escaped."""
    parts: list[str] = []
    at = 0
    for start, end in sorted(spans):
        start, end = max(start, at), min(end, len(text))
        if end <= start:
            continue
        parts.append(str(escape(text[at:start])))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        at = end
    parts.append(str(escape(text[at:])))
    return Markup("".join(parts))  # noqa: S704 - every piece of text is escaped above


def make_templates() -> Jinja2Templates:
    """Return the templates with the helpers the pages use."""
    templates = Jinja2Templates(directory=paths.TEMPLATES_DIR)
    # A content hash in each static URL lets browsers cache the files until they change.
    versions = {
        path.relative_to(paths.STATIC_DIR).as_posix(): _short_hash(path.read_bytes())
        for path in paths.STATIC_DIR.rglob("*")
        if path.is_file()
    }

    def static_url(name: str) -> str:
        return f"/static/{name}?v={versions.get(name, __version__)}"

    templates.env.globals.update(
        static_url=static_url,
        csrf_token=csrf_token,
        csrf_field=CSRF_FIELD,
        highlight_url=f"/assets/highlight.css?v={_short_hash(pygments_css().encode())}",
        version=__version__,
        urls=urls,
        max_text=MAX_TEXT,
    )
    templates.env.filters["marked"] = marked
    return templates


def _user_of(request: Request) -> User | None:
    """Return the logged-in user for the page header, looking it up if no route did."""
    if "user" in request.scope.get("state", {}):
        user: User | None = request.state.user
        return user
    cookie = Cookies(request).session_token
    if not cookie:
        return None
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with factory() as session:
        return user_for_token(session, cookie)


class Page:
    """This request's page, rendered with the app's templates."""

    def __init__(self, request: Request, templates: TemplatesDep) -> None:
        self.request = request
        self.templates = templates

    def user(self) -> User | None:
        """Return the logged-in user, looked up once per request (the header shows it too)."""
        user = _user_of(self.request)
        self.request.state.user = user
        return user

    def __call__(
        self, template: str, context: dict[str, Any], status_code: int = 200
    ) -> HTMLResponse:
        """Render a whole page."""
        context.setdefault("user", self.user())
        response = self.templates.TemplateResponse(
            self.request, template, context, status_code=status_code
        )
        assert isinstance(response, HTMLResponse)
        return response

    def part(self, template: str, context: dict[str, Any]) -> Markup:
        """Render a template that is a part of a page, as HTML to put in a page as it is."""
        # The templates escape everything they insert (autoescape), so their output is safe HTML.
        return Markup(self.templates.get_template(template).render(context))  # noqa: S704

    def fragment(self, template: str, context: dict[str, Any], key: Hashable) -> Markup:
        """Render a part of a page once per key and keep it (content never changes while running).

        Only for parts that depend on nothing but the key: not on the user, the CSRF token or
        the query string.
        """
        fragments: dict[Hashable, Markup] = self.request.app.state.fragments
        found = fragments.get(key)
        if found is None:
            found = fragments[key] = self.part(template, context)
        return found


async def get_page(request: Request, templates: TemplatesDep) -> Page:
    """Return the page renderer of this request (async: no worker thread)."""
    return Page(request, templates)


PageDep = Annotated[Page, Depends(get_page)]


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """Render a page outside a route (the error pages)."""
    return Page(request, request.app.state.templates)(template, context, status_code)
