"""Leeches: cards forgotten again and again, tagged (and suspended) as Anki does.

A review card's lapse that brings its lapses to the user's leech threshold makes it a leech,
and so does every half-threshold of lapses after that (threshold 8: at 8, 12, 16, ...). The
card is tagged (card_states.leech) and, when the user's leech action is "suspend", suspended.

Undo of such a review puts the flags back as they were: the card was not suspended (a
suspended card cannot be reviewed), and whether it was a leech already is kept in the review's
log row (leech_before), so undo is exact whatever the settings are by then.
"""

from app.models import CardState, ReviewLog, User
from app.study.scheduling import Memory


def is_leech_point(lapses: int, threshold: int) -> bool:
    """Return whether a card that has just lapsed for the lapses-th time is (again) a leech."""
    if threshold < 1 or lapses < threshold:
        return False
    return (lapses - threshold) % max(1, threshold // 2) == 0


def apply_leech_rule(row: CardState, before: Memory, after: Memory, user: User) -> bool | None:
    """Tag (and suspend) the reviewed card when this review makes it a leech.

    Return None when it does not, else whether the card was a leech before (for the log).
    """
    if after.lapses == before.lapses or not is_leech_point(after.lapses, user.leech_threshold):
        return None
    was_leech = bool(row.leech)
    row.leech = True
    if user.leech_action == "suspend":
        row.suspended = True
    return was_leech


def made_leech(log: ReviewLog) -> bool:
    """Return whether a logged review made its card a leech."""
    return log.leech_before is not None


def undo_leech(row: CardState, log: ReviewLog) -> None:
    """Put back the leech and suspended flags as they were before a leech-making review."""
    if log.leech_before is None:
        return
    row.suspended = False
    row.leech = log.leech_before
