"""Request body size limits: how large a body each route takes, and the 413 that says so."""

from starlette.exceptions import HTTPException

from app import urls
from app.exceptions import AppError

# Forms, logins, reviews and settings are a few hundred bytes; 16 KiB leaves room for any of
# them and keeps an anonymous client from making the server parse megabytes of JSON.
DEFAULT_MAX_BODY = 16 * 1024
# The two import routes take a whole progress export (JSON, or a file in a multipart form).
IMPORT_PATHS = frozenset({urls.api_import(), urls.settings_import()})


class BodyTooLarge(AppError, HTTPException):
    """The request body is over the limit of its route (answered as 413).

    An HTTPException too: FastAPI lets one through from reading a body, and answers any
    other error there with 400.
    """

    status = 413

    def __init__(self, limit: int) -> None:
        message = too_large_message(limit)
        HTTPException.__init__(self, 413, message)
        AppError.__init__(self, message)

    __str__ = Exception.__str__  # the message alone, as every AppError's


def too_large_message(limit: int) -> str:
    """Say how large a body the route takes and how to mend the request."""
    message = f"The request body is larger than {limit} bytes; send at most {limit} bytes"
    if limit > DEFAULT_MAX_BODY:
        return message + " (the server's PREPDECK_MAX_IMPORT_BYTES)."
    return message + " to this route."
