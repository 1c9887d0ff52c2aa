"""Check a summary's stated numbers against values recomputed from a demo's data.

A pattern marks each stated number with ``(N)``; the number agrees with a value when the value
rounds to it at the precision it is printed with (decimals, significant digits or percent).
"""

import re

NUMBER = r"([-−+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?%?)"


def value_of(stated: str) -> float:
    """Read a stated number (a leading − or +, a trailing % and e-notation allowed)."""
    text = stated.replace("−", "-")
    if text.endswith("%"):
        return float(text[:-1]) / 100.0
    return float(text)


def unit_of(stated: str) -> float:
    """Return the size of the last printed digit of a stated number."""
    text = stated.replace("−", "-").lstrip("+-")
    scale = 0.01 if text.endswith("%") else 1.0
    text = text.rstrip("%")
    mantissa, _, exponent = text.partition("e")
    decimals = len(mantissa.partition(".")[2])
    return scale * 10.0 ** (int(exponent or 0) - decimals)


def agrees(stated: str, actual: float) -> bool:
    """Return whether actual, rounded as stated is printed, gives the stated number."""
    slack = 0.5 * unit_of(stated) * (1 + 1e-9) + 1e-12
    return abs(value_of(stated) - actual) <= slack


def stated(text: str, pattern: str) -> list[str]:
    """Return the numbers marked (N) in the pattern, failing if the text does not say it."""
    found = re.search(pattern.replace("(N)", NUMBER), text)
    assert found, f"the summary does not say {pattern!r}: {text}"
    return list(found.groups())


def says(text: str, pattern: str, *actual: float) -> None:
    """Assert the text says the pattern with numbers that agree with the actual values."""
    numbers = [group for group in stated(text, pattern) if group is not None]
    assert len(numbers) == len(actual), (pattern, numbers)
    for number, value in zip(numbers, actual, strict=True):
        assert agrees(number, value), f"states {number} where the data give {value!r}: {text}"


def says_change(text: str, subject: str, start: float, end: float) -> None:
    """Assert the text words the change of subject truly: rises, falls, or stays (alike)."""
    found = re.search(
        subject + r" (?:(rises|falls) from (N) to (N)|stays at (N))".replace("(N)", NUMBER), text
    )
    assert found, f"the summary does not word the change of {subject!r}: {text}"
    word, before, after, same = found.groups()
    if same is not None:
        assert agrees(same, start), f"{start} to {end} is no stay: {text}"
        assert agrees(same, end), f"{start} to {end} is no stay: {text}"
        return
    assert agrees(before, start), f"{start} to {end}: {text}"
    assert agrees(after, end), f"{start} to {end}: {text}"
    assert before != after, f"a change between equal printed values: {text}"
    assert (end > start) == (word == "rises"), f"{start} to {end} is not '{word}': {text}"
