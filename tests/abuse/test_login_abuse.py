"""Logins, sign-ups and undo under abuse: many requests at once against a real server."""

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx2
from sqlalchemy import select

from app.accounts.service import MAX_FAILURES_PER_USERNAME
from app.config import Settings
from app.db import make_engine, make_sessionmaker
from app.models import ReviewLog, User
from app.study.reviews import replay_mismatches
from tests.helpers import PASSWORD
from tests.server import running_server

PARALLEL_LOGINS = 40
PARALLEL_UNDOS = 12
REVIEWS = 6


@contextmanager
def server(
    settings: Settings, tmp_path: Path, env: dict[str, str] | None = None, workers: int = 1
) -> Iterator[str]:
    """Run `prepdeck serve` on the test's database (SQLite or PostgreSQL); yield its URL."""
    env = dict(env or {})
    if settings.database_url:
        env["PREPDECK_DATABASE_URL"] = settings.database_url
    args = ("--workers", str(workers)) if workers > 1 else ()
    with running_server(settings.data_dir, env=env, args=args) as (base, _process):
        yield base


def at_once(count: int, request: Callable[[httpx2.Client], httpx2.Response]) -> Counter[int]:
    """Send count requests in parallel (one connection each); count their statuses."""
    clients = [httpx2.Client(timeout=30) for _ in range(count)]
    try:
        with ThreadPoolExecutor(max_workers=count) as pool:
            responses = list(pool.map(request, clients))
    finally:
        for client in clients:
            client.close()
    return Counter(response.status_code for response in responses)


def register(base: str, username: str, headers: dict[str, str] | None = None) -> None:
    """Make an account through the API."""
    response = httpx2.post(
        f"{base}/api/v1/auth/register",
        json={"username": username, "password": PASSWORD},
        headers=headers,
        timeout=30,
    )
    assert response.status_code == 201, response.text


def test_parallel_wrong_logins_check_at_most_the_limit_of_passwords(
    settings: Settings, tmp_path: Path
) -> None:
    # Two processes on one database: the limit holds across them too.
    with server(settings, tmp_path, workers=2) as base:
        register(base, "alice")
        statuses = at_once(
            PARALLEL_LOGINS,
            lambda client: client.post(
                f"{base}/api/v1/auth/login", json={"username": "alice", "password": "wrong guess"}
            ),
        )
    # Each 401 is a password that was checked; a 429 was refused before any check.
    assert statuses[401] <= MAX_FAILURES_PER_USERNAME, statuses
    assert statuses[401] >= 1, statuses
    assert statuses[401] + statuses[429] == PARALLEL_LOGINS, statuses


def test_a_lockout_from_one_address_leaves_other_addresses_alone(
    settings: Settings, tmp_path: Path
) -> None:
    env = {"PREPDECK_TRUSTED_PROXIES": "127.0.0.1"}
    attacker = {"X-Forwarded-For": "203.0.113.7"}
    owner = {"X-Forwarded-For": "198.51.100.20"}
    with server(settings, tmp_path, env=env) as base, httpx2.Client(base_url=base) as client:
        register(base, "alice")
        wrong = {"username": "alice", "password": "wrong guess"}
        right = {"username": "alice", "password": PASSWORD}
        for _ in range(MAX_FAILURES_PER_USERNAME):
            response = client.post("/api/v1/auth/login", json=wrong, headers=attacker)
            assert response.status_code == 401
        response = client.post("/api/v1/auth/login", json=right, headers=attacker)
        assert response.status_code == 429
        assert 0 < int(response.headers["retry-after"]) <= 60
        # The owner, elsewhere, logs in as usual.
        response = client.post("/api/v1/auth/login", json=right, headers=owner)
        assert response.status_code == 200, response.text
        # Another user behind the attacker's address is not locked out either.
        register(base, "bob", headers={"X-Forwarded-For": "192.0.2.1"})
        bob = {"username": "bob", "password": PASSWORD}
        assert client.post("/api/v1/auth/login", json=bob, headers=attacker).status_code == 200


def test_sign_ups_per_address_are_limited(settings: Settings, tmp_path: Path) -> None:
    env = {"PREPDECK_TRUSTED_PROXIES": "127.0.0.1", "PREPDECK_SIGNUPS_PER_HOUR": "3"}
    one = {"X-Forwarded-For": "203.0.113.7"}
    with server(settings, tmp_path, env=env) as base:
        statuses = at_once(
            10,
            lambda client: client.post(
                f"{base}/api/v1/auth/register",
                json={"username": f"u{uuid.uuid4().hex[:8]}", "password": PASSWORD},
                headers=one,
            ),
        )
        assert statuses == Counter({201: 3, 429: 7})
        response = httpx2.post(
            f"{base}/api/v1/auth/register",
            json={"username": "late", "password": PASSWORD},
            headers=one,
        )
        assert response.status_code == 429
        assert response.json() == {
            "detail": "Too many sign-ups from your address. Try again in "
            f"{response.headers['retry-after']} seconds."
        }
        # Another address may still sign up.
        register(base, "elsewhere", headers={"X-Forwarded-For": "198.51.100.20"})


def _study(base: str) -> tuple[str, list[str]]:
    """Sign up, grade REVIEWS cards; return the Bearer token and the review ids in order."""
    register(base, "alice")
    with httpx2.Client(base_url=base, timeout=30) as client:
        login = client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
        token = login.json()["token"]
        client.cookies.clear()
        headers = {"Authorization": f"Bearer {token}"}
        review_ids = []
        for index in range(REVIEWS):
            card = client.get("/api/v1/study/next", headers=headers).json()["card"]
            review_id = str(uuid.uuid4())
            body = {"card_id": card["id"], "rating": 1 + index % 4, "review_id": review_id}
            assert client.post("/api/v1/reviews", json=body, headers=headers).status_code == 201
            review_ids.append(review_id)
    return token, review_ids


def _stored(settings: Settings) -> tuple[list[str], list[str]]:
    """Return the review ids in the log and the cards whose state differs from its replay."""
    engine = make_engine(settings)
    try:
        with make_sessionmaker(engine)() as session:
            user = session.scalars(select(User)).one()
            logged = session.scalars(
                select(ReviewLog.review_id).order_by(ReviewLog.reviewed_at, ReviewLog.id)
            ).all()
            return list(logged), replay_mismatches(session, user)
    finally:
        engine.dispose()


def test_parallel_undos_of_one_review_undo_it_once(settings: Settings, tmp_path: Path) -> None:
    with server(settings, tmp_path) as base:
        token, review_ids = _study(base)
        headers = {"Authorization": f"Bearer {token}"}
        statuses = at_once(
            PARALLEL_UNDOS,
            lambda client: client.post(
                f"{base}/api/v1/reviews/undo", json={"review_id": review_ids[-1]}, headers=headers
            ),
        )
    assert statuses == Counter({200: 1, 409: PARALLEL_UNDOS - 1})
    assert _stored(settings) == (review_ids[:-1], [])


def test_parallel_plain_undos_never_undo_a_review_twice(settings: Settings, tmp_path: Path) -> None:
    undone: list[str] = []

    def undo(client: httpx2.Client) -> httpx2.Response:
        response = client.post(f"{base}/api/v1/reviews/undo", headers=headers)
        if response.status_code == 200:
            undone.append(response.json()["review_id"])
        return response

    with server(settings, tmp_path) as base:
        token, review_ids = _study(base)
        headers = {"Authorization": f"Bearer {token}"}
        statuses = at_once(PARALLEL_UNDOS, undo)
    assert set(statuses) <= {200, 409}, statuses
    assert statuses[200] == len(undone) == len(set(undone)) >= 1
    # Each success undid the latest review at its time: the newest ones, each once.
    assert sorted(undone) == sorted(review_ids[len(review_ids) - len(undone) :])
    logged, mismatches = _stored(settings)
    assert logged == review_ids[: len(review_ids) - len(undone)]
    assert mismatches == []
