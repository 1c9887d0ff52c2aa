"""How much each deck has to study today for one learner: the home and deck pages' counts."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.content.models import Library
from app.models import User
from app.study.queue import StudyFilter, build_queue


@dataclass(frozen=True)
class DueCounts:
    """A deck's cards left today: due (learning and reviews) and new, within today's limits."""

    due: int
    new: int

    @property
    def any(self) -> bool:
        """Return whether the deck has anything to study today."""
        return bool(self.due or self.new)


def due_counts(
    *, session: Session, user: User, library: Library, now: datetime, deck_ids: list[str]
) -> dict[str, DueCounts]:
    """Return each deck's counts, as the study page of that deck counts them (its queue)."""
    counts: dict[str, DueCounts] = {}
    for deck_id in deck_ids:
        queue = build_queue(
            session=session,
            user=user,
            library=library,
            study_filter=StudyFilter(deck=deck_id),
            now=now,
        )
        counts[deck_id] = DueCounts(
            due=queue.counts.learning + queue.counts.review, new=queue.counts.new
        )
    return counts
