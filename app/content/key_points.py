"""Checks of the key points and follow-ups a card's YAML gives for explaining it back.

Errors stop the content from loading: a point id twice, a regex that does not compile, a
phrasing word that is not a word (formulas go in regex), a phrasing of stop words alone.
Warnings are printed by check-content: a card without key points, and a point that no card
text supports (its own card's text for a key point; any card of the deck for a follow-up's).
"""

import re
from collections.abc import Iterator, Sequence

from app.content.models import CardSource, KeyPoint
from app.content.yaml_source import Loc, Problem, Source
from app.rehearsal.matching import is_word, match_points, phrasing_slots


def _point_problems(source: Source, loc: Loc, points: Sequence[KeyPoint]) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for p, point in enumerate(points):
        here = (*loc, p)
        if point.id in seen:
            yield source.problem(
                (*here, "id"),
                f"duplicate key point id '{point.id}' (first at line {seen[point.id]})",
            )
        seen.setdefault(point.id, source.line((*here, "id")))
        for m, phrasing in enumerate(point.match):
            alternatives = [alt for word in phrasing.split() for alt in word.split("|")]
            for alternative in alternatives:
                if not is_word(alternative):
                    yield source.problem(
                        (*here, "match", m),
                        f"match: '{alternative}' is not a word; write words separated by "
                        "spaces (alternatives by |) and put formulas in regex",
                    )
            if not phrasing_slots(phrasing) and all(is_word(alt) for alt in alternatives):
                yield source.problem(
                    (*here, "match", m),
                    f"match: '{phrasing}' has only stop words; give a word that carries the point",
                )
        for r, pattern in enumerate(point.regex):
            try:
                re.compile(pattern)
            except re.error as exc:
                yield source.problem((*here, "regex", r), f"regex: {exc}; fix the pattern")


def key_point_problems(source: Source, card: CardSource) -> Iterator[Problem]:
    """Yield what is wrong with a card's key points and follow-ups."""
    yield from _point_problems(source, ("key_points",), card.key_points)
    for f, follow_up in enumerate(card.follow_ups):
        yield from _point_problems(source, ("follow_ups", f, "key_points"), follow_up.key_points)


def card_text(card: CardSource) -> str:
    """Return everything a card says, as plain text, for the support check."""
    return "\n".join(
        [card.answer, *card.formula, card.note or "", *card.pros, *card.cons, *card.chips]
    )


def key_point_warnings(cards: Sequence[tuple[Source, CardSource]]) -> Iterator[Problem]:
    """Yield the warnings about a deck's key points."""
    texts = [card_text(card) for _source, card in cards]
    for source, card in cards:
        if not card.key_points:
            yield source.problem(
                ("id",),
                "warning: no key_points: give 3 to 6 points an interviewer listens for, so "
                "that explaining the card back can be checked",
            )
            continue
        own = match_points(card_text(card), card.key_points)
        for p, made in enumerate(own.points):
            if not made.covered:
                yield source.problem(
                    ("key_points", p),
                    f"warning: key point '{made.id}' is not supported by the card's text: "
                    "no phrasing of it matches the answer, formula, note, pros or cons",
                )
        for f, follow_up in enumerate(card.follow_ups):
            for p, point in enumerate(follow_up.key_points):
                if not any(match_points(text, (point,)).points[0].covered for text in texts):
                    yield source.problem(
                        ("follow_ups", f, "key_points", p),
                        f"warning: follow-up key point '{point.id}' is not supported by any "
                        "card's text",
                    )
