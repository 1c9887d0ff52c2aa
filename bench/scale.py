"""Scale benchmark: study/next, a review POST and the progress page on a database of 10,000
users and 1,000,000 review-log rows, each as a ratio to its time on an empty database, with
the SQL statements each request runs (the access log's `db_queries`).

Both phases measure a user with the very same history (20 cards, 100 reviews): first on a
database that holds only that user, then, after the other users and their reviews are added,
a second such user. So the ratio shows what the rest of the database costs one user.

Usage: python -m bench.scale [--users 10000] [--reviews 1000000] [--requests 200]
                             [--database-url postgresql+psycopg://...]
Uses a temporary data folder (and, with --database-url, that database: it must be empty).
"""

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, insert, select, text

from app import migrate
from app.config import Settings
from app.main import create_app
from app.models import CardState, ReviewLog, User

PASSWORD = "correct horse battery"
PROBE_REVIEWS = 100
WARM_UP = 20
HISTORY_DAYS = 365
CHUNK = 20_000
RATINGS = np.array([1, 2, 3, 4])
RATING_WEIGHTS = np.array([0.1, 0.15, 0.65, 0.1])
# The state a review started from: mostly review cards, some new, learning, relearning.
KINDS = np.array([0, 1, 2, 3])
KIND_WEIGHTS = np.array([0.1, 0.1, 0.75, 0.05])


def _card_states(
    user_ids: Sequence[int], cards: Sequence[tuple[str, str]], now: datetime, rng: Any
) -> Iterator[dict[str, Any]]:
    """Yield one review-state row per user and card: a quarter due today, the rest later."""
    for user_id in user_ids:
        stability = rng.uniform(1.0, 200.0, len(cards))
        difficulty = rng.uniform(1.0, 10.0, len(cards))
        due_in = rng.uniform(-7.0, 21.0, len(cards))
        reps = rng.integers(1, 12, len(cards))
        for index, (deck_id, card_id) in enumerate(cards):
            due = now + timedelta(days=float(due_in[index]))
            yield {
                "user_id": user_id,
                "card_id": card_id,
                "deck_id": deck_id,
                "state": 2,
                "step": None,
                "stability": float(stability[index]),
                "difficulty": float(difficulty[index]),
                "due": due,
                "last_review": min(now, due - timedelta(days=float(stability[index]) * 0.5)),
                "reps": int(reps[index]),
                "lapses": int(reps[index]) // 4,
                "version": int(reps[index]),
                "buried_until": None,
                "suspended": False,
            }


def _review_logs(
    user_ids: Sequence[int],
    count: int,
    cards: Sequence[tuple[str, str]],
    now: datetime,
    rng: Any,
    prefix: str,
) -> Iterator[dict[str, Any]]:
    """Yield `count` review rows spread over the past year, users interleaved in time order."""
    ages = np.sort(rng.uniform(0.0, HISTORY_DAYS * 86_400.0, count))[::-1]
    users = rng.integers(0, len(user_ids), count)
    card_index = rng.integers(0, len(cards), count)
    ratings = rng.choice(RATINGS, count, p=RATING_WEIGHTS)
    kinds = rng.choice(KINDS, count, p=KIND_WEIGHTS)
    durations = rng.integers(1_500, 60_000, count)
    for row in range(count):
        deck_id, card_id = cards[int(card_index[row])]
        yield {
            "user_id": user_ids[int(users[row])],
            "review_id": f"{prefix}-{row:012d}",
            "card_id": card_id,
            "deck_id": deck_id,
            "rating": int(ratings[row]),
            "kind": int(kinds[row]),
            "reviewed_at": now - timedelta(seconds=float(ages[row])),
            "duration_ms": int(durations[row]),
            "desired_retention": 0.9,
            "state_before": None,
        }


def _insert(conn: Connection, table: Any, rows: Iterator[dict[str, Any]]) -> int:
    """Insert rows in chunks (executemany); return how many."""
    total = 0
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            conn.execute(insert(table), chunk)
            total += len(chunk)
            chunk = []
    if chunk:
        conn.execute(insert(table), chunk)
        total += len(chunk)
    return total


def seed_history(
    engine: Engine,
    user_ids: Sequence[int],
    *,
    reviews: int,
    cards: Sequence[tuple[str, str]],
    now: datetime,
    seed: int,
    prefix: str,
) -> None:
    """Give users a review state for every card and `reviews` review-log rows among them."""
    rng = np.random.default_rng(seed)
    with engine.begin() as conn:
        _insert(conn, CardState.__table__, _card_states(user_ids, cards, now, rng))
        _insert(conn, ReviewLog.__table__, _review_logs(user_ids, reviews, cards, now, rng, prefix))


def seed_population(
    engine: Engine,
    *,
    users: int,
    reviews: int,
    cards: Sequence[tuple[str, str]],
    now: datetime,
    seed: int = 0,
) -> list[int]:
    """Add `users` users (one shared unusable password hash) with their history; return ids."""
    with engine.begin() as conn:
        _insert(
            conn,
            User.__table__,
            (
                {
                    "username": f"member{index:06d}",
                    "password_hash": "!seeded",
                    "is_admin": False,
                    "created_at": now - timedelta(days=HISTORY_DAYS),
                    "desired_retention": 0.9,
                    "new_per_day": 20,
                    "reviews_per_day": 200,
                    "timezone": "UTC",
                    "day_starts_at": 4,
                }
                for index in range(users)
            ),
        )
        ids = list(
            conn.scalars(select(User.id).where(User.username.like("member%")).order_by(User.id))
        )
    seed_history(engine, ids, reviews=reviews, cards=cards, now=now, seed=seed, prefix="seeded")
    return ids


class _AccessLog(logging.Handler):
    """Keep the last access-log entry (its db_queries is what a request ran)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.last: dict[str, Any] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.last = json.loads(record.getMessage())


@dataclass
class Timing:
    """Milliseconds of each request of one kind, and the SQL statements each ran."""

    ms: list[float]
    queries: set[int]

    @property
    def median(self) -> float:
        """Return the median time in ms."""
        return statistics.median(self.ms)


@contextmanager
def _access_log() -> Iterator[_AccessLog]:
    handler = _AccessLog()
    logger = logging.getLogger("prepdeck.access")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def measure_user(client: TestClient, token: str, requests: int) -> dict[str, Timing]:
    """Time study/next, a review POST and the progress page for the user of token."""
    headers = {"Authorization": f"Bearer {token}"}
    results = {name: Timing([], set()) for name in ("study/next", "POST /reviews", "progress")}
    with _access_log() as log:

        def timed(name: str, method: str, url: str, **kwargs: Any) -> Any:
            started = time.perf_counter()
            response = client.request(method, url, headers=headers, **kwargs)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code >= 300:
                sys.exit(f"{method} {url} answered {response.status_code}: {response.text}")
            results[name].ms.append(elapsed)
            results[name].queries.add(log.last["db_queries"])
            return response

        for _ in range(WARM_UP):  # templates compiled, caches and pool filled: not counted
            client.get("/api/v1/study/next", headers=headers)
            client.get("/progress", headers=headers)
        for _index in range(requests):
            timed("study/next", "GET", "/api/v1/study/next")
        for _index in range(requests):
            card = client.get("/api/v1/study/next", headers=headers).json()["card"]
            if card is None:
                sys.exit("the queue ran dry: lower --requests")
            review = {
                "card_id": card["id"],
                "rating": 1,  # Again: the card comes back within minutes, so the queue never runs dry
                "review_id": str(uuid.uuid4()),
                "version": card["version"],
            }
            timed("POST /reviews", "POST", "/api/v1/reviews", json=review)
        for _index in range(requests):
            timed("progress", "GET", "/progress")
    return results


def sign_up(client: TestClient, name: str) -> tuple[int, str]:
    """Sign a user up and log in; return their id and API token.

    The session cookie is dropped: the Bearer token alone says who is asking.
    """
    credentials = {"username": name, "password": PASSWORD}
    register = client.post("/api/v1/auth/register", json=credentials)
    if register.status_code != 201:
        raise RuntimeError(f"sign-up of {name} answered {register.status_code}: {register.text}")
    login = client.post("/api/v1/auth/login", json=credentials)
    login.raise_for_status()
    client.cookies.clear()
    return login.json()["user"]["id"], login.json()["token"]


def deck_cards(client: TestClient) -> list[tuple[str, str]]:
    """Return (deck id, card id) of every card of the regularization deck."""
    deck = client.get("/api/v1/decks/regularization/cards").json()
    return [("regularization", card["id"]) for card in deck["cards"]]


def _probe_user(client: TestClient, engine: Engine, name: str, now: datetime) -> str:
    """Sign a user up, give them the fixed probe history, and return their API token."""
    user_id, token = sign_up(client, name)
    seed_history(
        engine,
        [user_id],
        reviews=PROBE_REVIEWS,
        cards=deck_cards(client),
        now=now,
        seed=1,
        prefix=name,
    )
    return token


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)  # noqa: S608


def main() -> None:
    """Measure one user on an empty database, seed the rest, and measure a twin user."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if args.users < 2:
        parser.error("--users must be at least 2 (the two measured users)")
    if args.reviews < 2 * PROBE_REVIEWS:
        parser.error(f"--reviews must be at least {2 * PROBE_REVIEWS} (the measured users' own)")
    if args.requests < 1:
        parser.error("--requests must be at least 1")
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            data_dir=Path(folder),
            database_url=args.database_url,
            warm_demos=False,
            signups_per_hour=0,  # every user signs up from one test client
            _env_file=None,
        )
        app = create_app(settings)
        engine: Engine = app.state.engine
        migrate.upgrade(engine)
        if _count(engine, "users"):
            sys.exit("the database is not empty: give an empty one")
        now = datetime.now(UTC)
        with TestClient(app) as client:
            empty = measure_user(client, _probe_user(client, engine, "probe-a", now), args.requests)
            started = time.perf_counter()
            seed_population(
                engine,
                users=args.users - 2,
                reviews=args.reviews - 2 * PROBE_REVIEWS,
                cards=deck_cards(client),
                now=now,
            )
            if engine.dialect.name == "postgresql":
                with engine.begin() as conn:
                    conn.execute(text("ANALYZE"))  # as autovacuum would after a bulk load
            seeded = time.perf_counter() - started
            scaled = measure_user(
                client, _probe_user(client, engine, "probe-b", now), args.requests
            )
        users, logs = _count(engine, "users"), _count(engine, "review_logs")
        print(
            f"{engine.dialect.name}: {users:,} users, {logs:,} review-log rows "
            f"(seeded in {seeded:.0f} s); {args.requests} requests each, in-process"
        )
        print(
            f"{'request':14} {'empty ms':>9} {'scaled ms':>10} {'ratio':>6} {'aim':>5} "
            f"{'queries (empty / scaled)':>25}"
        )
        for name, before in empty.items():
            after = scaled[name]
            ratio = after.median / before.median
            verdict = "met" if ratio <= 2 else "MISSED"
            queries = f"{_span(before.queries)} / {_span(after.queries)}"
            print(
                f"{name:14} {before.median:9.2f} {after.median:10.2f} {ratio:6.2f} {'<=2':>5} "
                f"{queries:>25} {verdict}"
            )
        engine.dispose()


def _span(values: set[int]) -> str:
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


if __name__ == "__main__":
    main()
