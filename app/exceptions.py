"""The app's error type and the plain lines of a validation error, free of any web framework.

Domain code raises an AppError subclass carrying the status, title and words a user should
see; app/errors.py answers it as JSON under /api and as an HTML page elsewhere.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

TITLES = {
    400: "Bad request",
    401: "Log in first",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    422: "Invalid parameter",
    429: "Too many attempts",
    431: "Request headers too large",
    500: "Something went wrong",
    503: "Busy",
}


def title_of(status: int) -> str:
    """Return the page title of an HTTP status."""
    return TITLES.get(status, "Error")


class AppError(Exception):
    """An error a user can mend: an HTTP status, a title, and a message saying what to do.

    A subclass sets status (and title, when its status's usual title does not fit) as class
    attributes, or per error with these keywords; it overrides json_detail and page_lines
    when the API or the page needs more than the message.
    """

    status: int = 400
    title: str | None = None  # None: the usual title of the status

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        # Exception's own, not the next base's: BodyTooLarge, an HTTPException as well, sets
        # that one up itself.
        Exception.__init__(self, message)
        if status is not None:
            self.status = status
        if title is not None:
            self.title = title
        # Typed as HTTPException's headers, which BodyTooLarge has as well.
        self.headers: Mapping[str, str] | None = dict(headers or {})

    @property
    def page_title(self) -> str:
        """Return the title of the error page."""
        return self.title or title_of(self.status)

    def json_detail(self) -> Any:
        """Return the "detail" of the JSON answer."""
        return str(self)

    def page_lines(self) -> list[str]:
        """Return the lines the error page shows."""
        return [str(self)]


def printable(text: str) -> str:
    """Return text with any lone surrogate escaped (as \\ud800), so it can be sent as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def dotted(loc: Sequence[Any], hide: Iterable[Any] = ()) -> str:
    """Return an error location as a dotted path, such as reviews.3.rating."""
    hidden = set(hide)
    return ".".join(str(part) for part in loc if part not in hidden)


def error_lines(
    errors: ValidationError | Iterable[Mapping[str, Any]],
    *,
    where: Callable[[Sequence[Any]], str] = dotted,
) -> list[str]:
    """Return the plain lines users see: 'location: message' per error, or the message alone.

    errors is a pydantic ValidationError or its errors(); where names a location (dotted).
    """
    if isinstance(errors, ValidationError):
        errors = errors.errors(include_url=False, include_input=False)
    lines = []
    for error in errors:
        place = where(tuple(error.get("loc", ())))
        message = str(error.get("msg", "invalid"))
        lines.append(printable(f"{place}: {message}" if place else message))
    return lines
