"""Two app processes on one PostgreSQL database under concurrent reviews: nothing lost, no 5xx."""

import random
import threading
import uuid
from collections import Counter
from pathlib import Path

import httpx2
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import make_engine
from app.models import ReviewLog, User
from app.study.reviews import replay_mismatches
from tests.helpers import PASSWORD
from tests.postgres import postgres_database_url
from tests.server import running_server

USERS = 4
THREADS = 8
REVIEWS_PER_THREAD = 40


def test_two_processes_share_one_database(tmp_path: Path) -> None:
    with postgres_database_url() as url:
        # Every user signs up from loopback: no sign-up limit per address.
        env = {"PREPDECK_DATABASE_URL": url, "PREPDECK_SIGNUPS_PER_HOUR": "0"}
        with (
            running_server(tmp_path / "one", env=env) as (first, _one),
            running_server(tmp_path / "two", env=env) as (second, _two),
        ):
            tokens = []
            with httpx2.Client(base_url=first, timeout=30) as client:
                for index in range(USERS):
                    credentials = {"username": f"user{index}", "password": PASSWORD}
                    assert client.post("/api/v1/auth/register", json=credentials).status_code == 201
                    tokens.append(
                        client.post("/api/v1/auth/login", json=credentials).json()["token"]
                    )
                cards = [
                    c["id"]
                    for c in client.get("/api/v1/decks/regularization/cards").json()["cards"]
                ]
            statuses: Counter[int] = Counter()
            acknowledged: set[str] = set()
            lock = threading.Lock()

            def work(worker: int) -> None:
                rng = random.Random(worker)
                token = tokens[worker % USERS]
                with (
                    httpx2.Client(base_url=first, timeout=30) as a,
                    httpx2.Client(base_url=second, timeout=30) as b,
                ):
                    for step in range(REVIEWS_PER_THREAD):
                        client = a if (worker + step) % 2 else b
                        headers = {"Authorization": f"Bearer {token}"}
                        body: dict[str, object] = {
                            "card_id": rng.choice(cards[:5]),  # few cards: many collisions
                            "rating": rng.randint(1, 4),
                            "review_id": str(uuid.uuid4()),
                        }
                        if rng.random() < 0.5:
                            shown = client.get("/api/v1/study/next", headers=headers).json()["card"]
                            if shown is not None:
                                body["card_id"], body["version"] = shown["id"], shown["version"]
                        response = client.post("/api/v1/reviews", json=body, headers=headers)
                        with lock:
                            statuses[response.status_code] += 1
                            if response.status_code == 201:
                                acknowledged.add(str(body["review_id"]))

            threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert set(statuses) <= {201, 409}, statuses
        assert statuses[201] > THREADS * REVIEWS_PER_THREAD // 2
        engine = make_engine(Settings(database_url=url, _env_file=None))
        try:
            with Session(engine) as session:
                stored = set(session.scalars(select(ReviewLog.review_id)))
                assert stored == acknowledged
                assert session.scalar(select(func.count()).select_from(ReviewLog)) == len(
                    acknowledged
                )
                for user in session.scalars(select(User)):
                    assert replay_mismatches(session, user) == []
        finally:
            engine.dispose()
