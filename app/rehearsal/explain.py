"""Explain a card back: check an explained answer against the card's key points."""

from app.content.models import Card, KeyPoint
from app.exceptions import AppError
from app.rehearsal.matching import MAX_TEXT, Coverage, match_points


class BadExplanation(AppError):
    """An explained answer the server will not match: too long, or with NUL characters."""

    status = 422


class NoKeyPoints(AppError):
    """A card with no key points to explain against."""

    status = 404


def check_text(text: str, field: str = "text") -> str:
    """Return an explained answer fit to match, or raise BadExplanation naming the limit."""
    if len(text) > MAX_TEXT:
        raise BadExplanation(
            f"{field}: {len(text)} characters; send at most {MAX_TEXT} (shorten the answer)",
            status=413,
        )
    if "\x00" in text:
        raise BadExplanation(f"{field}: remove the NUL characters")
    return text


def explain(card: Card, text: str, points: tuple[KeyPoint, ...] | None = None) -> Coverage:
    """Match an explained answer against the card's key points (or the points given)."""
    points = card.key_points if points is None else points
    if not points:
        raise NoKeyPoints(f"Card '{card.id}' has no key points to explain it against.")
    return match_points(check_text(text), points)
