"""Security headers of every response: a CSP without inline script, no sniffing, no framing."""

from functools import cache

from starlette.datastructures import MutableHeaders

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# The API docs page (Swagger UI) starts itself with an inline script and styles itself
# inline; only that page gets 'unsafe-inline', and still loads nothing from elsewhere.
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect")


@cache
def security_headers(policy: str = CSP, *, hsts: bool = False) -> tuple[tuple[str, str], ...]:
    """Return the security headers of a response (HSTS only over HTTPS with secure cookies)."""
    headers = [
        ("Content-Security-Policy", policy),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if hsts:
        headers.append(("Strict-Transport-Security", "max-age=31536000"))
    return tuple(headers)


def add_security_headers(headers: MutableHeaders, *, path: str, https: bool, hsts: bool) -> None:
    """Set the security headers that headers lacks, for a response to path."""
    policy = DOCS_CSP if path in DOCS_PATHS else CSP
    for name, value in security_headers(policy, hsts=hsts and https):
        headers.setdefault(name, value)
