"""Request body size limits: how large a body each route takes, and the 413 that says so."""

import re

from starlette.exceptions import HTTPException

from app import urls
from app.exceptions import AppError

# Forms, logins, reviews and settings are a few hundred bytes; 16 KiB leaves room for any of
# them and keeps an anonymous client from making the server parse megabytes of JSON.
DEFAULT_MAX_BODY = 16 * 1024
# The two import routes take a whole progress export (JSON, or a file in a multipart form).
IMPORT_PATHS = frozenset({urls.api_import(), urls.settings_import()})
# Routes that take an explained answer: 5,000 characters, up to 4 bytes each in UTF-8 and
# three times that when percent-encoded in a form, with the form's other fields.
TEXT_BODY = 64 * 1024
_TEXT_PATH = re.compile(
    r"(?:/api/v1)?/decks/[^/]+/cards/[^/]+/explain|/study/(?:explain|quiz)"
    r"|(?:/api/v1)?/interviews?/[^/]+/answers?"
)


def body_limit(path: str, max_import_bytes: int) -> int:
    """Return the largest body the route at path takes."""
    if path in IMPORT_PATHS:
        return max_import_bytes
    if _TEXT_PATH.fullmatch(path):
        return TEXT_BODY
    return DEFAULT_MAX_BODY


class BodyTooLarge(AppError, HTTPException):
    """The request body is over the limit of its route (answered as 413).

    An HTTPException too: FastAPI lets one through from reading a body, and answers any
    other error there with 400.
    """

    status = 413

    def __init__(self, limit: int, path: str = "") -> None:
        message = too_large_message(limit, path)
        HTTPException.__init__(self, 413, message)
        AppError.__init__(self, message)

    __str__ = Exception.__str__  # the message alone, as every AppError's


def too_large_message(limit: int, path: str = "") -> str:
    """Say how large a body the route at path takes and how to mend the request."""
    message = f"The request body is larger than {limit} bytes; send at most {limit} bytes"
    if path in IMPORT_PATHS:
        return message + " (the server's PREPDECK_MAX_IMPORT_BYTES)."
    return message + " to this route."
