"""Search over a deck: relevance order (question, then answer, then note) and the matches."""

from app.content.models import Library
from app.content.queries import (
    CardFilter,
    excerpt,
    filter_cards,
    found,
    match_spans,
    plain,
    relevance,
)


def numbers(library: Library, text: str) -> list[int]:
    deck = library.decks[0]
    return [card.number for card in filter_cards(deck, CardFilter.of(None, None, text))]


def test_dropout_cards_come_before_cards_that_mention_dropout(library: Library) -> None:
    ranked = numbers(library, "Dropout")
    deck = library.decks[0]
    in_question = [card.number for card in deck.cards if "dropout" in card.question.casefold()]
    assert ranked[: len(in_question)] == in_question == [4, 5, 13]
    batch_norm = 6  # "Does Batch Normalization regularize?": dropout only in its answer
    assert batch_norm in ranked[len(in_question) :]


def test_ties_keep_deck_order_and_no_text_means_deck_order(library: Library) -> None:
    assert numbers(library, "") == list(range(1, 21))
    deck = library.decks[0]
    ranked = filter_cards(deck, CardFilter.of(None, None, "regularization"))
    assert len(ranked) > 10
    by_key = sorted(ranked, key=lambda card: (relevance(card, ["regularization"]), card.number))
    assert ranked == by_key


def test_a_question_match_outranks_an_answer_match_which_outranks_a_note_match(
    library: Library,
) -> None:
    deck = library.decks[0]
    card = deck.cards[0]
    question_word = card.question.split()[-1].strip("?").casefold()
    assert relevance(card, [question_word])[0] == -1
    in_answer = relevance(card, ["memorize"])
    in_note = relevance(card, ["goodfellow"])
    assert in_answer == (0, -1, 0)
    assert in_note == (0, 0, -1)
    assert in_answer < in_note


def test_match_spans_ignore_case_and_prefer_the_longer_word() -> None:
    assert match_spans("Dropout and DropConnect", ["drop", "dropout"]) == [(0, 7), (12, 16)]
    assert match_spans("anything", []) == []
    assert match_spans("a+b (c)", ["+b", "(c)"]) == [(1, 3), (4, 7)]  # no regex meaning


def test_excerpt_centres_on_the_first_match_and_shows_cuts() -> None:
    text = (
        " ".join(f"word{n}" for n in range(60)) + " target " + " ".join("x" * 5 for _ in range(60))
    )
    shown = excerpt(text, ["target"])
    assert shown.startswith("…word")
    assert shown.endswith("…")
    assert "target" in shown
    assert len(shown) < 200
    assert excerpt("short target text", ["target"]) == "short target text"
    assert excerpt("no match", ["zebra"]) == ""


def test_plain_drops_markdown_and_maths_marks() -> None:
    assert plain("**Bold** `code` ($\\lambda$)\n  next") == "Bold code (lambda) next"


def test_found_shows_the_answer_when_the_question_lacks_a_word(library: Library) -> None:
    deck = library.decks[0]
    batch_norm = deck.cards[5]
    assert batch_norm.id == "batch-norm-regularization"
    hit = found(batch_norm, "dropout")
    assert hit.question_spans == []
    assert hit.excerpt_of == "answer"
    assert [hit.excerpt[a:b].casefold() for a, b in hit.excerpt_spans] == ["dropout"]
    dropout = deck.cards[3]
    hit = found(dropout, "dropout")
    assert (hit.excerpt, [dropout.question[a:b] for a, b in hit.question_spans]) == (
        "",
        ["Dropout"],
    )
