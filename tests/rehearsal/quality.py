"""The quality figures of matching explained answers against key points, over the shipped cards.

For each card with key points: the share covered by the card's own text, by a paraphrase in
other words (tests/rehearsal/fixtures/<card-id>.yaml), by every other card's text, and by empty
and nonsense answers. `python -m tests.rehearsal.quality` prints the four figures.
"""

from dataclasses import dataclass
from pathlib import Path

import yaml

from app import paths
from app.content.key_points import card_text
from app.content.loader import load_library
from app.content.models import Card
from app.rehearsal.matching import match_points

FIXTURES = Path(__file__).parent / "fixtures"
# One answer per card written from the question alone, without the key points or the matcher
# in view: a check of how the phrasings fare with words nobody tuned them to.
BLIND = Path(__file__).parent / "blind_answers.yaml"
NONSENSE = (
    "",
    "   ",
    "purple elephants dance quietly under the marmalade sky",
    "asdf qwer zxcv lorem ipsum dolor sit amet",
    "I do not know.",
)


@dataclass(frozen=True)
class CardQuality:
    """One card's coverage by its own text, its paraphrase, other cards' texts, nonsense."""

    card: Card
    own: float
    paraphrase: float
    blind: float
    others: dict[str, float]
    nonsense: float


def paraphrase_of(card: Card) -> str:
    """Return the fixture paraphrase of a card's answer."""
    data = yaml.safe_load((FIXTURES / f"{card.id}.yaml").read_text(encoding="utf-8"))
    text: str = data["paraphrase"]
    return text


def measure() -> list[CardQuality]:
    """Measure every shipped card that has key points."""
    library = load_library(paths.CONTENT_DIR)
    cards = [card for deck in library.decks for card in deck.cards]
    texts = {card.id: card_text(card) for card in cards}
    blind: dict[str, str] = yaml.safe_load(BLIND.read_text(encoding="utf-8"))
    found = []
    for card in cards:
        if not card.key_points:
            continue
        found.append(
            CardQuality(
                card=card,
                own=match_points(texts[card.id], card.key_points).share,
                paraphrase=match_points(paraphrase_of(card), card.key_points).share,
                blind=match_points(blind[card.id], card.key_points).share,
                others={
                    other: match_points(text, card.key_points).share
                    for other, text in texts.items()
                    if other != card.id
                },
                nonsense=max(match_points(text, card.key_points).share for text in NONSENSE),
            )
        )
    return found


def main() -> None:
    """Print the four figures over the cards, and each card's own line."""
    results = measure()
    for r in results:
        worst = max(r.others, key=r.others.__getitem__)
        print(
            f"{r.card.id:32} own {r.own:4.0%}  paraphrase {r.paraphrase:4.0%}  "
            f"blind {r.blind:4.0%}  "
            f"others mean {sum(r.others.values()) / len(r.others):4.0%} "
            f"max {r.others[worst]:4.0%} ({worst})  nonsense {r.nonsense:4.0%}"
        )
    n = len(results)
    own = min(r.own for r in results)
    para = min(r.paraphrase for r in results)
    other_mean = sum(sum(r.others.values()) / len(r.others) for r in results) / n
    nonsense = max(r.nonsense for r in results)
    blind = [r.blind for r in results]
    print(f"{n} cards: own text min {own:.0%}, paraphrase min {para:.0%}, ")
    print(f"other cards' text mean {other_mean:.1%}, empty/nonsense max {nonsense:.0%}")
    print(
        f"blind answers: mean {sum(blind) / n:.0%}, min {min(blind):.0%}, "
        f"{sum(b >= 0.7 for b in blind)} of {n} at 70% or more"
    )


if __name__ == "__main__":
    main()
