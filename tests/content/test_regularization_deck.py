"""The shipped regularization deck keeps everything of its source text."""

import re
from pathlib import Path

import numpy as np
import pytest

from app import paths
from app.content.loader import load_library
from app.content.models import Deck, Difficulty

# (number, question, difficulty) exactly as the source text has them.
SOURCE_QUESTIONS = [
    (1, "What is regularization in deep learning? Why is it needed?", "easy"),
    (2, "Explain L2 regularization (weight decay). How does it work?", "medium"),
    (3, "How is L1 different from L2? Why does L1 yield sparse weights?", "hard"),
    (4, "What is Dropout? Why does it prevent overfitting?", "medium"),
    (5, "Differentiate Dropout and DropConnect.", "hard"),
    (6, "Does Batch Normalization regularize? How?", "medium"),
    (7, "Compare Batch Norm, Layer Norm, Instance Norm.", "hard"),
    (8, "Why is data augmentation considered regularization?", "easy"),
    (9, "Explain early stopping as regularization.", "medium"),
    (10, "What is label smoothing? Why does it regularize?", "hard"),
    (11, "How does adding noise (input or weights) regularize?", "medium"),
    (12, "What is max-norm regularization? Where is it used?", "hard"),
    (13, "How to choose dropout probability? Heuristics.", "medium"),
    (14, "Is weight decay in Adam same as L2? (AdamW)", "hard"),
    (15, "What is stochastic depth regularization?", "hard"),
    (16, "Explain Cutout, Mixup, and CutMix regularization.", "hard"),
    (17, "Does small batch size have a regularization effect?", "medium"),
    (18, "Compare early stopping and weight decay.", "medium"),
    (19, "Can too much regularization cause underfitting?", "easy"),
    (20, "How does regularization affect bias and variance?", "medium"),
]

SOURCE_CHEATSHEET = {
    "Parameter-based": [
        ("L1", "Sparse weights, feature selection"),
        ("L2", "Weight decay, small weights"),
        ("Max-norm", "Constrain norm"),
    ],
    "Layer-based": [
        ("Dropout", "Randomly drop neurons"),
        ("Batch Norm", "Normalize, adds noise"),
        ("Stoch. Depth", "Skip blocks"),
    ],
    "Data-based": [
        ("Augmentation", "Flip, rotate, mixup"),
        ("Cutout", "Erase patches"),
        ("Label Smooth", "Soft labels"),
    ],
    "Training-based": [
        ("Early Stop", "Halt when val plateaus"),
        ("Noise", "Input/weight noise"),
    ],
}

SOURCE_TOPICS = ["L1/L2", "Dropout", "Batch Norm", "Early Stopping", "Data Aug", "Bias-Variance"]
SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_1653cf784a79ea0f.txt"
SOURCE_DIFFICULTY = {"⚡ Easy": "easy", "📊 Medium": "medium", "🔥 Hard": "hard"}


@pytest.fixture(scope="module")
def deck() -> Deck:
    """The shipped regularization deck."""
    found = load_library(paths.CONTENT_DIR).deck("regularization")
    assert found is not None
    return found


def test_every_source_question_is_a_card_with_its_difficulty(deck: Deck) -> None:
    cards = [(card.number, card.question, card.difficulty.value) for card in deck.cards]
    assert cards == SOURCE_QUESTIONS


@pytest.mark.skipif(not SEED.is_file(), reason="the source text lies in ../shared, beside the repo")
def test_expected_questions_are_those_of_the_source_text() -> None:
    pattern = re.compile(r"^(\d+) (.+) (⚡ Easy|📊 Medium|🔥 Hard)$", re.MULTILINE)
    found = [
        (int(number), question, SOURCE_DIFFICULTY[level])
        for number, question, level in pattern.findall(SEED.read_text(encoding="utf-8"))
    ]
    assert found == SOURCE_QUESTIONS


def test_deck_header_topics_and_verdict(deck: Deck) -> None:
    assert deck.id == "regularization"
    assert deck.title == "Deep Learning Regularization: 20 Interview Questions"
    assert deck.short_title == "Regularization 20 Essential Q/A"
    assert deck.tagline == "DL Interview Prep"
    assert deck.subtitle.startswith("Master L1/L2 regularization, dropout, batch normalization")
    assert [topic.label for topic in deck.topics] == SOURCE_TOPICS
    assert deck.verdict == "Regularization = bias↑ variance↓. Balance is key!"


def test_cheat_sheet_keeps_the_source_items_and_adds_the_missing_ones(deck: Deck) -> None:
    assert deck.cheatsheet is not None
    assert deck.cheatsheet.title == "Regularization – Interview Cheat Sheet"
    groups = {
        group.name: [(item.term, item.text) for item in group.items]
        for group in deck.cheatsheet.groups
    }
    # Noise is filed with the data-based items, as card 11's topic (Data Aug) has it.
    expected = {name: list(items) for name, items in SOURCE_CHEATSHEET.items()}
    expected["Training-based"].remove(("Noise", "Input/weight noise"))
    expected["Data-based"].append(("Noise", "Input/weight noise"))
    for name, items in expected.items():
        assert [item for item in groups[name] if item in items] == items
    assert list(groups)[:4] == list(SOURCE_CHEATSHEET)
    terms = [term for items in groups.values() for term, _ in items]
    assert {"AdamW", "Mixup / CutMix", "Bias-variance"} <= set(terms)
    sheet_items = [item for group in deck.cheatsheet.groups for item in group.items]
    assert all(item.card and item.formula_html and item.tip_html for item in sheet_items)
    smoothing = next(item for item in sheet_items if item.term == "Label Smooth")
    assert smoothing.tip is not None
    assert "calibration" in smoothing.tip
    noise = deck.card("noise-injection")
    assert noise is not None
    assert noise.topics == ("data-aug",)


def test_deck_names_its_source_once_and_notes_call_it_the_original_text(deck: Deck) -> None:
    assert "“Regularization 20 Essential Q/A” (DL Interview Prep)" in deck.subtitle
    for card in deck.cards:
        text = f"{card.answer} {card.note or ''}"
        assert "the source" not in text.casefold(), card.id


def test_early_stopping_gap_is_the_one_computed() -> None:
    # Along eigenvector i after tau small steps: early stopping keeps 1 - exp(-x) of w*_i,
    # L2 with alpha = 1/(tau*eta) keeps x/(1 + x), where x = tau*eta*lambda_i.
    x = np.linspace(0.01, 10.0, 100_000)
    stop, l2 = -np.expm1(-x), x / (1.0 + x)
    gap = (stop - l2) / stop
    widest = int(gap.argmax())
    assert round(float(gap[widest]) * 100) == 23
    assert 1.0 < x[widest] < 3.0
    assert round(float(x[widest]), 1) == 1.8
    assert (gap[(x >= 1.0) & (x <= 3.0)] > 0.2).all()


def test_source_extras_are_kept(deck: Deck) -> None:
    l2 = deck.card("l2-weight-decay")
    assert l2 is not None
    assert l2.pros[0] == "Smooth, differentiable, works well"
    assert l2.cons[0] == "Doesn't induce sparsity"
    augmentation = deck.card("data-augmentation")
    assert augmentation is not None
    assert set(augmentation.chips) >= {"cropping", "rotation", "color jitter"}
    bias_variance = deck.card("bias-variance")
    assert bias_variance is not None
    assert set(bias_variance.chips) >= {"Bias ↑", "Variance ↓", "Lower overfitting"}
    assert all(card.formula for card in deck.cards if card.number in (1, 2, 3, 6, 10))
    dropout = deck.card("dropout")
    assert dropout is not None
    assert dropout.code is not None


@pytest.mark.parametrize(
    ("card_id", "marker"),
    [
        ("dropout", "Erratum"),
        ("label-smoothing", "K-1"),
        ("l2-weight-decay", "2m"),
        ("batch-norm-regularization", "Santurkar"),
        ("early-stopping", "quadratic"),
        ("early-stopping-vs-weight-decay", "quadratic"),
        ("noise-injection", "Bishop"),
        ("l1-vs-l2", "proximal"),
        ("adamw", "decouple"),
        ("adamw", "schedule multiplier"),
        ("early-stopping", "23 %"),
        ("early-stopping-vs-weight-decay", "23 %"),
        ("noise-injection", "minimum of the error"),
        ("batch-norm-regularization", "not a settled"),
        ("what-is-regularization", "gap between training and test error"),
    ],
)
def test_cards_that_fix_the_source_say_so_in_a_note(deck: Deck, card_id: str, marker: str) -> None:
    card = deck.card(card_id)
    assert card is not None
    assert card.note is not None
    assert card.note.startswith(("**Erratum.**", "**Precisely.**"))
    assert marker.casefold() in card.note.casefold()


def test_dropout_card_uses_inverted_scaling_with_drop_probability(deck: Deck) -> None:
    card = deck.card("dropout")
    assert card is not None
    assert card.code is not None
    assert "(rng.random(out.shape) >= p) / (1 - p)" in card.code
    assert "binomial" not in card.code


def test_label_smoothing_uses_the_standard_target(deck: Deck) -> None:
    card = deck.card("label-smoothing")
    assert card is not None
    assert any("K" in formula and "varepsilon" in formula for formula in card.formula)


def test_every_card_is_complete(deck: Deck) -> None:
    for card in deck.cards:
        assert card.answer_html.strip()
        assert card.topics
        assert card.demo
        assert card.difficulty in Difficulty
        assert len(card.formula_html) == len(card.formula)


@pytest.mark.parametrize(
    ("card_id", "phrases"),
    [
        ("adamw", ["$\\eta_t$ is the schedule multiplier", "lr·wd", "demo uses the PyTorch form"]),
        ("stochastic-depth", ["scaled by its $p_l$", "divided", "per sample", "much lower"]),
        ("early-stopping", ["$\\tau\\eta\\lambda_i \\ll 1$", "23 %"]),
        ("early-stopping-vs-weight-decay", ["$\\tau\\eta\\lambda_i \\ll 1$", "23 %"]),
        ("noise-injection", ["Near a minimum of the error", "away from a minimum"]),
        ("batch-norm-regularization", ["argue", "not a settled mechanism"]),
        ("dropout-vs-dropconnect", ["removes row $i$", "column $i$", "the demo shows"]),
        ("what-is-regularization", ["the gap between training and test error"]),
        ("data-augmentation", ["180° rotation", "6 into a 9"]),
    ],
)
def test_card_answers_state_the_precise_claim(deck: Deck, card_id: str, phrases: list[str]) -> None:
    card = deck.card(card_id)
    assert card is not None
    answer = " ".join(card.answer.split())
    for phrase in phrases:
        assert phrase in answer, phrase
