"""The quality bar of matching explained answers against the shipped cards' key points."""

import pytest
import yaml

from app import paths
from app.content.key_points import card_text
from app.content.loader import load_library
from tests.rehearsal.quality import FIXTURES, CardQuality, measure

LIBRARY = load_library(paths.CONTENT_DIR)
RESULTS = measure()
IDS = [r.card.id for r in RESULTS]


def test_every_card_has_key_points_and_a_fixture() -> None:
    library = load_library(paths.CONTENT_DIR)
    cards = [card.id for deck in library.decks for card in deck.cards]
    assert cards == IDS
    assert sorted(path.stem for path in FIXTURES.glob("*.yaml")) == sorted(cards)


@pytest.mark.parametrize("result", RESULTS, ids=IDS)
def test_the_cards_own_text_covers_at_least_90_percent(result: CardQuality) -> None:
    assert result.own >= 0.9


@pytest.mark.parametrize("result", RESULTS, ids=IDS)
def test_a_paraphrase_covers_at_least_70_percent(result: CardQuality) -> None:
    assert result.paraphrase >= 0.7


@pytest.mark.parametrize("result", RESULTS, ids=IDS)
def test_another_cards_answer_covers_at_most_20_percent(result: CardQuality) -> None:
    data = yaml.safe_load((FIXTURES / f"{result.card.id}.yaml").read_text(encoding="utf-8"))
    different = data["different_card"]
    assert different != result.card.id
    other = LIBRARY.decks[0].card(different)
    assert other is not None, f"different_card '{different}' is not a card"
    assert not set(result.card.topics) & set(other.topics), (
        "the different card must share no topic with the card"
    )
    assert result.others[different] <= 0.2
    assert sum(result.others.values()) / len(result.others) <= 0.2


@pytest.mark.parametrize("result", RESULTS, ids=IDS)
def test_empty_and_nonsense_cover_nothing(result: CardQuality) -> None:
    assert result.nonsense == 0


def test_a_paraphrase_is_in_other_words() -> None:
    # Not the card's answer copied: most of its words are not the answer's.
    for result in RESULTS:
        data = yaml.safe_load((FIXTURES / f"{result.card.id}.yaml").read_text(encoding="utf-8"))
        words = data["paraphrase"].lower().split()
        answer = set(card_text(result.card).lower().split())
        shared = sum(word in answer for word in words) / len(words)
        assert shared < 0.6, (
            f"{result.card.id}: {shared:.0%} of the paraphrase's words are the card's"
        )


def test_answers_written_blind_make_most_points() -> None:
    # Answers written from the questions alone: the phrasings were not tuned to them.
    blind = [r.blind for r in RESULTS]
    assert sum(blind) / len(blind) >= 0.8
    assert min(blind) >= 0.5
