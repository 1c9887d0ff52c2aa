"""Jinja2 templates and the one helper that renders a page."""

import hashlib
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app import __version__, paths
from app.content.render import pygments_css


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
        highlight_url=f"/assets/highlight.css?v={_short_hash(pygments_css().encode())}",
        version=__version__,
    )
    return templates


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """Render a page with the app's templates."""
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    assert isinstance(response, HTMLResponse)
    return response
