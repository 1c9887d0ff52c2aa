"""A content folder whose key points the interview tests know: made by words such as "apple".

The shipped cards' key points may change; these tests need points they can make on purpose,
so every card's key points are replaced: the cards in KEYED get three points (apple, banana,
cherry) and a follow-up with two (damson, elder); the others get none.
"""

from pathlib import Path

import yaml

KEYED = {
    "l2-weight-decay": "02",
    "dropout": "04",
    "early-stopping": "09",
    "label-smoothing": "10",
}
POINTS = ["apple", "banana", "cherry"]
FOLLOW_POINTS = ["damson", "elder"]
FOLLOW_UP = "And what would you try next?"


def _points(words: list[str]) -> list[dict[str, object]]:
    return [{"id": word, "text": f"Names the {word}", "match": [word]} for word in words]


def key_content(content_dir: Path) -> Path:
    """Rewrite the cards of a content copy with the known key points; return the folder."""
    for path in sorted((content_dir / "regularization" / "cards").glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        data.pop("key_points", None)
        data.pop("follow_ups", None)
        if data["id"] in KEYED:
            data["key_points"] = _points(POINTS)
            data["follow_ups"] = [{"question": FOLLOW_UP, "key_points": _points(FOLLOW_POINTS)}]
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return content_dir
