"""Word a summary's numbers and comparisons from the data, so the text cannot contradict it.

Every number a summary states goes through one of these formatters, and every comparison word
("rises", "falls", "stays", "about") is chosen from the values themselves: two values that
print alike are said to stay, and "about X" is said only within a stated tolerance.
"""

import re
from collections.abc import Callable

# Where a caption's first sentence ends: a full stop, then a space and a capital.
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def num(value: float, digits: int = 2) -> str:
    """Format with fixed decimals, never printing a rounded zero as -0."""
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def sig(value: float, digits: int = 3) -> str:
    """Format with significant digits (for values that span decades)."""
    text = f"{value:.{digits}g}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def pct(fraction: float, digits: int = 0) -> str:
    """Format a fraction as a percentage."""
    return f"{num(100.0 * fraction, digits)}%"


def about(value: float, target: float, tolerance: float) -> bool:
    """Return whether value is within tolerance of target (when "about target" may be said)."""
    return abs(value - target) <= tolerance


def change(start: float, end: float, show: Callable[[float], str] = num) -> str:
    """Word a change: "rises from a to b", "falls from a to b", or "stays at a" when alike.

    The direction comes from the values; when both print alike the value is said to stay.
    """
    before, after = show(start), show(end)
    if before == after:
        return f"stays at {before}"
    return f"{'rises' if end > start else 'falls'} from {before} to {after}"


def short(value: float) -> str:
    """Format to two significant digits, writing 10000 rather than 1e+04 (a slider's value)."""
    return f"{float(f'{value:.2g}'):g}"


def caption(lead: str, details: str) -> str:
    """Join a summary's lead, one short sentence that names what the figure shows, and details.

    The card page shows the lead first and prominently (split_lead finds it again), so the
    lead must be a single sentence ending in a full stop.
    """
    if not lead.endswith(".") or SENTENCE_END.search(lead):
        raise ValueError(f"a caption's lead must be one sentence: {lead!r}")
    return f"{lead} {details}"


def split_lead(text: str) -> tuple[str, str]:
    """Split a summary into its first sentence and the rest (empty when it has one sentence)."""
    parts = SENTENCE_END.split(text, maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ""
