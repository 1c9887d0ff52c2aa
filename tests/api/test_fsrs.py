"""The FSRS parameters API: read them and the latest fit, ask for a fit."""

import json

from fastapi import FastAPI
from fastapi.testclient import TestClient
from fsrs.scheduler import DEFAULT_PARAMETERS
from sqlalchemy import select

from app.models import FsrsFit, User
from app.study.fit_jobs import run_pending_fits
from tests.helpers import PASSWORD
from tests.study.learners import simulate, store


def user_id(app: FastAPI, name: str = "ada") -> int:
    with app.state.sessionmaker() as session:
        return int(session.scalars(select(User.id).where(User.username == name)).one())


def test_a_new_user_has_the_defaults_and_no_fit(client: TestClient, auth: dict[str, str]) -> None:
    response = client.get("/api/v1/me/fsrs", headers=auth)
    assert response.status_code == 200
    assert response.json() == {
        "parameters": list(DEFAULT_PARAMETERS),
        "fitted": False,
        "fitted_on": None,
        "latest_fit": None,
    }


def test_a_stored_list_the_scheduler_refuses_reads_as_the_defaults(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    """The scheduler schedules with the defaults then; the API says the same, not a 500."""
    with app.state.sessionmaker() as session:
        user = session.get(User, user_id(app))
        assert user is not None
        user.fsrs_parameters = "[1, 2"
        session.commit()
    response = client.get("/api/v1/me/fsrs", headers=auth)
    assert response.status_code == 200
    assert response.json()["parameters"] == list(DEFAULT_PARAMETERS)


def test_optimize_queues_one_fit_and_the_worker_adopts_it(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    with app.state.sessionmaker() as session:
        store(session, user_id(app), simulate(cards=300, reviews_per_card=10, seed=7))
    first = client.post("/api/v1/me/fsrs/optimize", headers=auth)
    assert first.status_code == 202
    queued = first.json()
    assert (queued["status"], queued["trigger"], queued["parameters"]) == ("queued", "user", None)
    again = client.post("/api/v1/me/fsrs/optimize", headers=auth)
    assert again.status_code == 202
    assert again.json()["id"] == queued["id"]
    assert client.get("/api/v1/me/fsrs", headers=auth).json()["latest_fit"] == queued

    [(fit_id, status, _result)] = run_pending_fits(app.state.sessionmaker)
    assert (fit_id, status) == (queued["id"], "adopted")
    body = client.get("/api/v1/me/fsrs", headers=auth).json()
    fit = body["latest_fit"]
    assert body["fitted"] is True
    assert body["parameters"] == fit["parameters"]
    assert len(fit["parameters"]) == 21
    assert body["fitted_on"] == fit["finished_at"]
    assert fit["status"] == "adopted"
    assert fit["review_count"] == 3000
    assert fit["previous_parameters"] is None
    assert fit["fitted_log_loss"] < fit["current_log_loss"]
    assert fit["fitted_rmse"] < fit["current_rmse"]


def test_too_few_reviews_show_in_the_latest_fit(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    client.post("/api/v1/me/fsrs/optimize", headers=auth)
    run_pending_fits(app.state.sessionmaker)
    body = client.get("/api/v1/me/fsrs", headers=auth).json()
    assert body["fitted"] is False
    assert body["latest_fit"]["status"] == "too_few"
    assert body["latest_fit"]["message"].startswith("needs 64 more reviews")


def test_each_user_sees_only_their_own_fit(
    app: FastAPI, client: TestClient, auth: dict[str, str]
) -> None:
    client.post("/api/v1/me/fsrs/optimize", headers=auth)
    client.post("/api/v1/auth/register", json={"username": "bob", "password": PASSWORD})
    bob = client.post("/api/v1/auth/login", json={"username": "bob", "password": PASSWORD})
    client.cookies.clear()
    bob_auth = {"Authorization": f"Bearer {bob.json()['token']}"}
    assert client.get("/api/v1/me/fsrs", headers=bob_auth).json()["latest_fit"] is None
    mine = client.post("/api/v1/me/fsrs/optimize", headers=bob_auth).json()
    with app.state.sessionmaker() as session:
        owners = session.scalars(select(FsrsFit.user_id).order_by(FsrsFit.id)).all()
    assert owners == [user_id(app, "ada"), user_id(app, "bob")]
    assert mine["id"] != client.get("/api/v1/me/fsrs", headers=auth).json()["latest_fit"]["id"]


def test_optimize_takes_no_body(client: TestClient, auth: dict[str, str]) -> None:
    no_body = {
        "type": "no_body",
        "loc": ["body"],
        "msg": "This route takes no body: send the request without one",
    }
    for body, content_type in (
        (b'{"epochs": 5}', "application/json"),
        (b"junk", "text/plain"),
        (b"\x00\xff", "application/octet-stream"),
        (json.dumps({"a": [[[[1]]]]}).encode(), "application/json"),
    ):
        response = client.post(
            "/api/v1/me/fsrs/optimize",
            content=body,
            headers={**auth, "Content-Type": content_type},
        )
        assert response.status_code == 422, body
        assert response.json() == {"detail": [no_body]}
    assert client.get("/api/v1/me/fsrs", headers=auth).json()["latest_fit"] is None


def test_optimize_needs_login_and_csrf_with_a_cookie(client: TestClient) -> None:
    assert client.post("/api/v1/me/fsrs/optimize").status_code == 403  # no CSRF token
    assert client.get("/api/v1/me/fsrs").status_code == 401
    client.post("/api/v1/auth/register", json={"username": "ada", "password": PASSWORD})
    login = client.post("/api/v1/auth/login", json={"username": "ada", "password": PASSWORD})
    assert client.post("/api/v1/me/fsrs/optimize").status_code == 403
    response = client.post(
        "/api/v1/me/fsrs/optimize", headers={"X-CSRF-Token": login.json()["csrf_token"]}
    )
    assert response.status_code == 202
