"""Questions a demo asks: a prediction that the demo's own compute() then checks.

A demo lists its question kinds in ``Demo(questions=...)``. Each kind draws a variant's
parameters from the demo's allowed ranges with a random generator (``variant``), and builds the
question from those parameters and the data ``compute()`` returns for them (``ask``): the
answer is read off the data, never typed in. The same generator state gives the same question,
so a seed names a variant (links, tests, the study view's per-review seed).
"""

import functools
import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

import numpy as np

from app.figures.demo import DemoParams
from app.figures.params import ParamInfo, describe
from app.figures.wording import short

if TYPE_CHECKING:
    from app.figures.demo import Demo

P = TypeVar("P", bound=DemoParams)
D = TypeVar("D")

Kind = Literal["choice", "number"]
LETTERS = "abcde"
MIN_CHOICES, MAX_CHOICES = 3, 5
MAX_SEED = 2**31 - 1  # a variant's seed: any 31-bit whole number


class UnreadableAnswer(ValueError):
    """An answer a question cannot take; the message says what to send instead."""


@dataclass(frozen=True)
class Question:
    """One variant of a question: what the learner sees, and the answer that checks it.

    A "choice" question has 3-5 distinct choices and the index of the right one; a "number"
    question has the right value and the absolute tolerance within which an answer counts.
    """

    kind: Kind
    prompt: str
    explanation: str  # one sentence, tied to the figure of these parameters
    choices: tuple[str, ...] = ()
    answer: int = 0
    value: float = 0.0
    tolerance: float = 0.0
    unit: str | None = None

    def __post_init__(self) -> None:
        """Refuse a question that could not be answered fairly."""
        if not self.prompt.strip() or not self.explanation.strip():
            raise ValueError("a question needs a prompt and an explanation")
        if self.kind == "choice":
            if not MIN_CHOICES <= len(self.choices) <= MAX_CHOICES:
                raise ValueError(f"{len(self.choices)} choices: give 3 to 5")
            if len(set(self.choices)) != len(self.choices):
                raise ValueError(f"choices repeat: {self.choices}")
            if not 0 <= self.answer < len(self.choices):
                raise ValueError(f"answer {self.answer} is not one of the choices")
        elif not (math.isfinite(self.value) and math.isfinite(self.tolerance)):
            raise ValueError("a number question needs a finite value and tolerance")
        elif self.tolerance < 0:
            raise ValueError("tolerance must be at least 0")

    @property
    def expected(self) -> str:
        """Return the right answer as the learner gives it: a letter, or the number."""
        if self.kind == "choice":
            return LETTERS[self.answer]
        return f"{self.value:g}"

    def read(self, answer: str | float) -> str | float:
        """Return an answer in the question's terms: a letter, or a finite number.

        Raise UnreadableAnswer, saying what to send, for anything else.
        """
        if self.kind == "choice":
            letters = tuple(LETTERS[: len(self.choices)])
            letter = answer.strip().lower() if isinstance(answer, str) else ""
            if letter not in letters:
                raise UnreadableAnswer(f"pick one of the letters {', '.join(letters)}")
            return letter
        try:
            number = float(answer)
        except ValueError:
            raise UnreadableAnswer("give a number, such as 0.5") from None
        if not math.isfinite(number):
            raise UnreadableAnswer("give a finite number")
        return number

    def is_right(self, answer: str | float) -> bool:
        """Return whether an answer (a letter, or a number) is right."""
        if self.kind == "choice":
            return isinstance(answer, str) and answer.strip().lower() == LETTERS[self.answer]
        number = float(answer)
        # A hair of slack so that a value on the tolerance's edge, typed in decimal, counts.
        return math.isfinite(number) and abs(number - self.value) <= self.tolerance * (
            1 + 1e-9
        ) + 1e-12 * max(1.0, abs(self.value))


@dataclass(frozen=True)
class QuestionKind(Generic[P, D]):
    """A kind of question a demo asks: how to draw a variant, and how to ask it."""

    id: str
    variant: Callable[[np.random.Generator], P]
    ask: Callable[[P, D, np.random.Generator], Question]


@dataclass(frozen=True)
class Asked:
    """A question drawn for a seed, with the parameters of the figure that answers it."""

    demo_id: str
    kind_id: str
    seed: int
    params: DemoParams
    question: Question = field(compare=False)

    @property
    def id(self) -> str:
        """Return the question kind's id, "demo/kind"."""
        return f"{self.demo_id}/{self.kind_id}"


def grid_values(info: ParamInfo, low: float | None = None, high: float | None = None) -> list[Any]:
    """Return the slider's values of a parameter, within [low, high] when given."""
    lo = info.minimum if low is None else max(info.minimum, low)
    hi = info.maximum if high is None else min(info.maximum, high)
    if info.log:
        values: list[float] = [v for v in info.choices(info.default) if lo <= v <= hi]
    else:
        first = math.ceil((lo - info.minimum) / info.step - 1e-9)
        last = math.floor((hi - info.minimum) / info.step + 1e-9)
        values = [round(info.minimum + k * info.step, 10) for k in range(first, last + 1)]
    if info.kind == "int":
        return sorted({round(v) for v in values})
    return values


def sample(
    model: type[P],
    rng: np.random.Generator,
    *,
    fixed: Mapping[str, Any] | None = None,
    ranges: Mapping[str, tuple[float, float]] | None = None,
) -> P:
    """Draw parameters on the sliders' grid (a reader can pick them), some fixed or narrowed."""
    fixed = dict(fixed or {})
    ranges = dict(ranges or {})
    values: dict[str, Any] = {}
    for info in describe(model):
        if info.name in fixed:
            values[info.name] = fixed[info.name]
            continue
        if info.name == "seed":
            values["seed"] = int(rng.integers(0, int(info.maximum) + 1))
            continue
        options = grid_values(info, *ranges.get(info.name, (None, None)))
        if not options:
            raise ValueError(f"no slider value of {info.name} lies in {ranges.get(info.name)}")
        values[info.name] = options[int(rng.integers(len(options)))]
    return model(**values)


def choice(
    prompt: str,
    right: str,
    wrong: Sequence[str],
    rng: np.random.Generator,
    explanation: str,
) -> Question:
    """Build a multiple-choice question: the right text and up to 4 distinct wrong ones, shuffled.

    Wrong texts equal to the right one or to each other are dropped (computed distractors can
    coincide at some parameters); at least two must remain.
    """
    distinct: list[str] = []
    for text in wrong:
        if text != right and text not in distinct:
            distinct.append(text)
    distinct = distinct[: MAX_CHOICES - 1]
    if len(distinct) < MIN_CHOICES - 1:
        raise ValueError(f"too few distinct wrong choices for {right!r}: {list(wrong)}")
    options = [right, *distinct]
    order = rng.permutation(len(options))
    shuffled = tuple(options[int(i)] for i in order)
    return Question(
        kind="choice",
        prompt=prompt,
        explanation=explanation,
        choices=shuffled,
        answer=shuffled.index(right),
    )


def lowest_of_sweep(
    sweep: np.ndarray, errors: np.ndarray, per_decade: int
) -> tuple[str, list[str]]:
    """Return the sweep's value of lowest error, and wrong ones where the error is higher."""
    # Wrong ones: two and one decades either side, and the sweep's ends.
    best = int(np.argmin(errors))
    last = len(sweep) - 1
    picks = [best - 2 * per_decade, best + 2 * per_decade, 0, last]
    picks += [best - per_decade, best + per_decade]
    wrong = [short(float(sweep[i])) for i in picks if 0 <= i <= last and errors[i] > errors[best]]
    return short(float(sweep[best])), wrong


def number(
    prompt: str,
    value: float,
    tolerance: float,
    explanation: str,
    unit: str | None = None,
) -> Question:
    """Build a question answered with a number, accepted within an absolute tolerance."""
    return Question(
        kind="number",
        prompt=prompt,
        explanation=explanation,
        value=float(value),
        tolerance=float(tolerance),
        unit=unit,
    )


def rng_for(demo_id: str, seed: int) -> np.random.Generator:
    """Return the generator a seed names for a demo (demos draw apart for the same seed)."""
    return np.random.default_rng([seed, zlib.crc32(demo_id.encode())])


def ask(demo: "Demo[Any, Any]", seed: int) -> Asked:
    """Draw the demo's question for a seed: a kind, its variant's parameters, and the question."""
    if not demo.questions:
        raise ValueError(f"demo {demo.id!r} asks no questions")
    rng = rng_for(demo.id, seed)
    kind = demo.questions[int(rng.integers(len(demo.questions)))]
    params = kind.variant(rng)
    question = kind.ask(params, demo.compute(params), rng)
    return Asked(demo_id=demo.id, kind_id=kind.id, seed=seed, params=params, question=question)


@functools.lru_cache(maxsize=512)
def ask_once(demo: "Demo[Any, Any]", seed: int) -> Asked:
    """Return ask(demo, seed), computed once: a study page shown again, or answered, reuses it."""
    return ask(demo, seed)


@functools.lru_cache(maxsize=512)
def summary_once(demo: "Demo[Any, Any]", params: DemoParams) -> str:
    """Return the demo's summary of a variant (the alt text of its figure), computed once."""
    return demo.summary(demo.compute(params))
