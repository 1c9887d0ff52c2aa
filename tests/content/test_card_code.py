"""Every shipped card carries a short numpy snippet that runs as shown and checks itself."""

import ast
import time

import pytest

from app import paths
from app.content.models import Card, Library

CARD_FILES = sorted(paths.CONTENT_DIR.glob("*/cards/*.yaml"))
# (deck id, card id), read from the file names: cards/NN-<card-id>.yaml
CARDS = [(path.parents[1].name, path.stem.split("-", 1)[1]) for path in CARD_FILES]
IDS = [f"{deck}/{card}" for deck, card in CARDS]


def find_card(library: Library, deck_id: str, card_id: str) -> Card:
    """Return one card of the shipped content, failing the test when it is missing."""
    deck = library.deck(deck_id)
    assert deck is not None, deck_id
    card = deck.card(card_id)
    assert card is not None, f"{deck_id}/{card_id}"
    return card


def run(code: str) -> dict[str, object]:
    """Execute a snippet in a fresh namespace, as a reader would paste it, and return it."""
    namespace: dict[str, object] = {"__name__": "__main__"}
    exec(compile(code, "<card code>", "exec"), namespace)  # noqa: S102 (our own shipped cards)
    return namespace


def test_the_shipped_cards_are_found() -> None:
    assert len(CARDS) >= 20
    assert ("regularization", "adamw") in CARDS


def test_every_card_has_python_code(library: Library) -> None:
    for deck in library.decks:
        for card in deck.cards:
            assert card.code, f"{deck.id}/{card.id} has no code"
            assert card.code_language == "python", f"{deck.id}/{card.id}"
            assert card.code_html, f"{deck.id}/{card.id}"


@pytest.mark.parametrize(("deck_id", "card_id"), CARDS, ids=IDS)
def test_card_code_is_short_seeded_numpy(library: Library, deck_id: str, card_id: str) -> None:
    code = find_card(library, deck_id, card_id).code
    assert code is not None
    lines = [line for line in code.splitlines() if line.strip()]
    assert 5 <= len(lines) <= 20, f"{len(lines)} non-blank lines; keep a snippet to 5-20"
    tree = ast.parse(code)
    imports = [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    assert [alias.name for node in imports for alias in node.names] == ["numpy"], "numpy only"
    for node in ast.walk(tree):
        # np.random.default_rng(seed) only: the legacy global functions are unseeded here
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "random"
        ):
            assert node.attr == "default_rng", f"np.random.{node.attr}: use a seeded rng"
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "default_rng":
            assert node.args, "default_rng() needs a seed, so the snippet prints the same"
    # Each snippet checks what its card says, and ends on something the reader can see.
    assert any(isinstance(node, ast.Assert) for node in ast.walk(tree))
    last = tree.body[-1]
    ends_with_print = (
        isinstance(last, ast.Expr)
        and isinstance(last.value, ast.Call)
        and getattr(last.value.func, "id", None) == "print"
    )
    in_loop = isinstance(last, ast.For) and isinstance(last.body[-1], (ast.Assert, ast.Expr))
    assert isinstance(last, ast.Assert) or ends_with_print or in_loop


@pytest.mark.parametrize(("deck_id", "card_id"), CARDS, ids=IDS)
def test_card_code_runs_and_its_checks_pass(
    library: Library, deck_id: str, card_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = find_card(library, deck_id, card_id).code
    assert code is not None
    started = time.process_time()
    run(code)  # an AssertionError here means the snippet disagrees with its card
    # CPU time, not wall time, so other work on the machine does not count.
    assert time.process_time() - started < 1.0
    capsys.readouterr()


# A classic slip in each of these snippets trips the snippet's own assert, so the checks
# above test the card's formula and not only that the code runs.
SLIPS = [
    # e/(K-1) added to all K classes: the targets no longer sum to 1
    ("label-smoothing", "np.eye(K)[labels] + eps / K", "np.eye(K)[labels] + eps / (K - 1)"),
    # Adam with the decay scaled by wd only, not lr * wd
    ("adamw", "(lr * wd * w if decoupled else 0)", "(wd * w if decoupled else 0)"),
    # soft-thresholding at lr instead of lr * alpha
    ("l1-vs-l2", "np.abs(u) - lr * alpha", "np.abs(u) - lr"),
    # L2 step without the decay term
    ("l2-weight-decay", "w - eta * (grad_w + lam * w)", "w - eta * grad_w"),
    # dropout that keeps units but forgets to rescale them by 1/(1-p)
    ("dropout", "(rng.random(out.shape) >= p) / (1 - p)   #", "(rng.random(out.shape) >= p)  #"),
    # max-norm that rescales every row, short ones too
    ("max-norm", "np.minimum(1, c / norms)", "c / norms"),
    # mixing labels by the sampled lambda instead of the pasted area
    ("cutout-mixup-cutmix", "lam = M.mean()", "lam = lam"),
    # noise injection with alpha = sigma^2 instead of n sigma^2
    ("noise-injection", "n * sigma ** 2 * np.sum", "sigma ** 2 * np.sum"),
    # stochastic depth scaling the branch by 1 at test time
    ("stochastic-depth", "if train else p_l", "if train else 1.0"),
]


@pytest.mark.parametrize(("card_id", "right", "wrong"), SLIPS, ids=[s[0] for s in SLIPS])
def test_a_slip_in_the_snippet_fails_its_check(
    library: Library, card_id: str, right: str, wrong: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = find_card(library, "regularization", card_id).code
    assert code is not None
    assert code.count(right) == 1
    with pytest.raises(AssertionError):
        run(code.replace(right, wrong))
    capsys.readouterr()
