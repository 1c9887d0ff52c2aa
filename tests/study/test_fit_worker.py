"""The background fit worker: fits run in another process and do not hold up requests."""

import os
import statistics
import time
import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from app import migrate
from app.config import Settings
from app.main import create_app
from app.models import FsrsFit, User
from app.study.fitting import Training
from tests.helpers import PASSWORD
from tests.study.learners import simulate, store

WAIT_SECONDS = 120.0  # a generous bound for the worker to start or finish a fit


@pytest.fixture
def worker_app(settings: Settings) -> Iterator[FastAPI]:
    """The app with its fit worker on, polling often."""
    app = create_app(settings.model_copy(update={"fsrs_fit_worker": True}))
    migrate.upgrade(app.state.engine)
    app.state.fit_worker.poll_seconds = 0.05
    yield app
    app.state.engine.dispose()


def login(client: TestClient, app: FastAPI, reviews: int) -> dict[str, str]:
    """Sign up ada with a simulated review log of cards*10 reviews; return her Bearer header."""
    client.post("/api/v1/auth/register", json={"username": "ada", "password": PASSWORD})
    token = client.post(
        "/api/v1/auth/login", json={"username": "ada", "password": PASSWORD}
    ).json()["token"]
    client.cookies.clear()
    with app.state.sessionmaker() as session:
        user = session.scalars(select(User).where(User.username == "ada")).one()
        store(session, user.id, simulate(cards=reviews // 10, reviews_per_card=10, seed=11))
    return {"Authorization": f"Bearer {token}"}


def fit_status(app: FastAPI) -> str | None:
    with app.state.sessionmaker() as session:
        status: str | None = session.scalars(
            select(FsrsFit.status).order_by(FsrsFit.id.desc())
        ).first()
        return status


def wait_for(app: FastAPI, wanted: set[str]) -> str | None:
    deadline = time.monotonic() + WAIT_SECONDS
    while (status := fit_status(app)) not in wanted and time.monotonic() < deadline:
        time.sleep(0.02)
    return status


def timed_review(client: TestClient, auth: dict[str, str], card_id: str) -> float:
    body = {"card_id": card_id, "rating": 3, "review_id": str(uuid.uuid4())}
    started = time.perf_counter()
    response = client.post("/api/v1/reviews", json=body, headers=auth)
    elapsed = time.perf_counter() - started
    assert response.status_code == 201, response.text
    return elapsed


def test_a_fit_runs_in_another_process_while_reviews_go_on(worker_app: FastAPI) -> None:
    # Many epochs make the fit last seconds, so reviews can be timed while it runs.
    worker_app.state.fit_worker.training = Training(epochs=600)
    cards = [card.id for deck in worker_app.state.library.decks for card in deck.cards]
    with TestClient(worker_app) as client:
        auth = login(client, worker_app, 5_000)
        alone = [timed_review(client, auth, card) for card in cards[:5]]
        assert client.post("/api/v1/me/fsrs/optimize", headers=auth).status_code == 202
        assert wait_for(worker_app, {"running", "adopted", "kept", "failed"}) == "running"
        during = []
        for card in cards[5:15]:
            elapsed = timed_review(client, auth, card)
            if fit_status(worker_app) != "running":
                break
            during.append(elapsed)
        assert during, "the fit ended before a review could be timed beside it"
        # Generous bounds: the child's start-up and training share the machine's cores.
        assert statistics.median(during) < 5 * statistics.median(alone) + 0.2
        assert max(during) < 5 * statistics.median(alone) + 1.0
        assert wait_for(worker_app, {"adopted", "kept", "failed"}) == "adopted"
        # The worker notes the outcome just after committing it: wait for the note too.
        finished = worker_app.state.fit_worker.finished
        deadline = time.monotonic() + WAIT_SECONDS
        while not finished and time.monotonic() < deadline:
            time.sleep(0.02)
        [(_fit_id, status, result)] = list(finished)
    assert status == "adopted"
    assert result is not None
    assert result.pid not in (0, os.getpid())


def test_stopping_the_app_puts_a_running_fit_back_in_the_queue(worker_app: FastAPI) -> None:
    worker_app.state.fit_worker.training = Training(epochs=100_000)  # runs until stopped
    with TestClient(worker_app) as client:
        auth = login(client, worker_app, 1_000)
        assert client.post("/api/v1/me/fsrs/optimize", headers=auth).status_code == 202
        assert wait_for(worker_app, {"running", "failed"}) == "running"
    assert fit_status(worker_app) == "queued"
    assert list(worker_app.state.fit_worker.finished) == []


def test_the_worker_queues_an_automatic_fit_by_itself(worker_app: FastAPI) -> None:
    with TestClient(worker_app) as client:
        login(client, worker_app, 1_000)
        worker_app.state.fit_worker.scan_now()
        assert wait_for(worker_app, {"adopted", "kept", "too_few", "failed"}) == "adopted"
    with worker_app.state.sessionmaker() as session:
        assert session.scalars(select(FsrsFit.trigger)).all() == ["auto"]
