"""Jinja2 templates and the one helper that renders a page."""

import hashlib
from collections.abc import Hashable
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.orm import Session, sessionmaker

from app import __version__, paths
from app.accounts.deps import CSRF_FIELD, csrf_token, session_of
from app.accounts.service import user_for_token
from app.content.render import pygments_css
from app.models import User


def _short_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:10]


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
    )
    return templates


def _user_of(request: Request) -> User | None:
    """Return the logged-in user for the page header, looking it up if no route did."""
    if "user" in request.scope.get("state", {}):
        user: User | None = request.state.user
        return user
    cookie = session_of(request)
    if not cookie:
        return None
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with factory() as session:
        return user_for_token(session, cookie)


def fragment(request: Request, template: str, context: dict[str, Any], key: Hashable) -> Markup:
    """Render a part of a page once per key and keep it (content never changes while running).

    Only for parts that depend on nothing but the key: not on the user, the CSRF token or
    the query string.
    """
    fragments: dict[Hashable, Markup] = request.app.state.fragments
    found = fragments.get(key)
    if found is None:
        found = fragments[key] = render_part(request, template, context)
    return found


def render_part(request: Request, template: str, context: dict[str, Any]) -> Markup:
    """Render a template that is a part of a page, as HTML to put in a page as it is."""
    templates: Jinja2Templates = request.app.state.templates
    # The templates escape everything they insert (autoescape), so their output is safe HTML.
    return Markup(templates.get_template(template).render(context))  # noqa: S704


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """Render a page with the app's templates."""
    templates: Jinja2Templates = request.app.state.templates
    context.setdefault("user", _user_of(request))
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    assert isinstance(response, HTMLResponse)
    return response
