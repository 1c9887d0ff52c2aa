"""Leeches: cards forgotten again and again, tagged (and suspended) as Anki does.

A review card's lapse that brings its lapses to the user's leech threshold makes it a leech,
and so does every half-threshold of lapses after that (threshold 8: at 8, 12, 16, ...). The
card is tagged (card_states.leech) and, when the user's leech action is "suspend", suspended.

Undo of such a review puts the flags back as they were: the card was not suspended (a
suspended card cannot be reviewed), and it was already a leech only if its lapses before the
review had reached the threshold. The review log keeps only the card's memory, so undo
recognises a leech-making review by the user's threshold now: exact unless the threshold
changed between the review and its undo.
"""

from app.models import CardState, ReviewLog, User
from app.study.scheduling import Memory

REVIEW, AGAIN = 2, 1


def is_leech_point(lapses: int, threshold: int) -> bool:
    """Return whether a card that has just lapsed for the lapses-th time is (again) a leech."""
    if threshold < 1 or lapses < threshold:
        return False
    return (lapses - threshold) % max(1, threshold // 2) == 0


def apply_leech_rule(row: CardState, before: Memory, after: Memory, user: User) -> bool:
    """Tag (and suspend) the reviewed card when this review makes it a leech; return whether."""
    if after.lapses == before.lapses or not is_leech_point(after.lapses, user.leech_threshold):
        return False
    row.leech = True
    if user.leech_action == "suspend":
        row.suspended = True
    return True


def made_leech(log: ReviewLog, lapses_after: int, threshold: int) -> bool:
    """Return whether a logged review was a lapse that made its card a leech."""
    return log.kind == REVIEW and log.rating == AGAIN and is_leech_point(lapses_after, threshold)


def undo_leech(row: CardState, log: ReviewLog, lapses_after: int, threshold: int) -> None:
    """Put back the leech and suspended flags as they were before a leech-making review.

    lapses_after is the card's lapse count right after the review (before undo restores it).
    """
    if not row.leech or not made_leech(log, lapses_after, threshold):
        return
    row.suspended = False
    row.leech = lapses_after - 1 >= threshold
