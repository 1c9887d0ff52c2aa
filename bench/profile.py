"""Where a server's time goes: py-spy's raw samples summed by layer and by app function.

Used by `python bench/http --profile`; also on its own for a file py-spy wrote with
`py-spy record --format raw`: python -m bench.profile FILE
"""

import re
import sys
from collections import Counter
from pathlib import Path

# The layer of a frame, by its function and file (the first match wins).
LAYERS = (
    ("SQLite write queue", ("_serialize_sqlite_writes",)),
    ("database", ("sqlalchemy/", "sqlite3", "psycopg")),
    ("app", ("app/",)),
    ("framework", ("fastapi/", "starlette/", "uvicorn/", "anyio/", "pydantic", "httptools")),
    ("scheduler", ("fsrs/",)),
    ("templates", ("jinja2/", "markupsafe")),
)
IDLE = ("Condition.wait", "Queue.get", "select (selectors", "_run_once (asyncio")
# Frames on (nearly) every stack, which say nothing of where a route's time goes.
WRAPPERS = ("<module>", "serve", "Middleware.__call__")
_FRAME = re.compile(r"^(?P<function>.+) \((?P<file>[^)]*?)(?::\d+)?\)$")


def parse(path: Path) -> list[tuple[list[tuple[str, str]], int]]:
    """Return the sampled stacks, root first, as (function, file) frames with their counts."""
    stacks = []
    for line in path.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = []
        for frame in stack.split(";"):
            match = _FRAME.match(frame)
            if match:
                frames.append((match["function"], match["file"]))
        stacks.append((frames, int(count)))
    return stacks


def layer(function: str, file: str) -> str:
    """Return the layer a frame belongs to."""
    for name, markers in LAYERS:
        if any(marker in function or marker in file for marker in markers):
            return name
    return "other"


def summarize(path: Path, top: int = 8) -> str:
    """Return the busy samples by layer (of the innermost frame) and the costliest app functions.

    Samples of idle worker threads (waiting for work) are left out. A thread in a database
    call counts as database time until it holds the interpreter lock again.
    """
    busy: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    total = 0
    for frames, count in parse(path):
        if not frames or any(marker in f"{frames[-1][0]} ({frames[-1][1]}" for marker in IDLE):
            continue
        total += count
        busy[layer(*frames[-1])] += count
        seen = set()
        for function, file in frames:
            if (
                "app/" in file
                and function not in seen
                and not any(wrapper in function for wrapper in WRAPPERS)
            ):
                seen.add(function)
                functions[f"{function} ({file.split('app/', 1)[-1]})"] += count
    if not total:
        return "  (no busy samples)"
    lines = [
        "  time by layer: "
        + ", ".join(f"{name} {share / total:.0%}" for name, share in busy.most_common())
    ]
    lines += [
        f"  {share / total:6.1%}  {function}" for function, share in functions.most_common(top)
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(summarize(Path(sys.argv[1])))
