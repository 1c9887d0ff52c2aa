"""Operations and security: headers, metrics, health, the secret key, signed CSRF tokens."""

import re
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app import migrate
from app.config import Settings
from app.main import create_app
from tests.helpers import PASSWORD


@pytest.mark.parametrize(
    "path", ["/", "/decks/regularization", "/api/v1/decks", "/nope", "/healthz"]
)
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["x-frame-options"] == "DENY"


def test_only_the_api_docs_allow_inline_script(client: TestClient) -> None:
    assert "'unsafe-inline'" in client.get("/docs").headers["content-security-policy"]


def test_metrics(client: TestClient) -> None:
    client.post("/api/v1/auth/register", json={"username": "ada", "password": PASSWORD})
    token = client.post(
        "/api/v1/auth/login", json={"username": "ada", "password": PASSWORD}
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    body = {"card_id": "dropout", "rating": 3, "review_id": str(uuid.uuid4())}
    client.post("/api/v1/reviews", json=body, headers=headers)
    client.post("/api/v1/reviews", json=body, headers=headers)  # a repeat: not counted again
    client.get("/api/v1/demos/dropout-mask.png")
    client.get("/api/v1/demos/dropout-mask.png")
    client.get("/decks/regularization/cards/dropout")
    client.get("/no/such/page/12345")
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    card_route = 'route="/decks/{deck_id}/cards/{card_id}"'
    assert f'prepdeck_http_requests_total{{method="GET",{card_route},status="200"}} 1.0' in text
    assert 'route="unmatched",status="404"' in text
    assert "/no/such/page" not in text
    assert "prepdeck_reviews_total 1.0" in text
    cache = client.app.state.demo_cache  # type: ignore[attr-defined]
    assert cache.hits >= 1  # the second image
    assert f"prepdeck_demo_cache_hits_total {float(cache.hits)}" in text
    assert f"prepdeck_demo_cache_misses_total {float(cache.misses)}" in text
    assert f"prepdeck_demo_cache_entries {float(len(cache))}" in text
    assert 'prepdeck_demo_render_seconds_count{demo="dropout-mask"}' in text
    # SQL statements per request: a review runs 6 (the first under a scheduler configuration
    # this database has not seen stores it: one more than the usual 5), its repeat 6 (its
    # insert meets the review_id already stored, and the stored review is read back); a demo
    # image none.
    reviews = 'method="POST",route="/api/v1/reviews"'
    assert f"prepdeck_db_queries_per_request_count{{{reviews}}} 2.0" in text
    summed = re.search(rf"prepdeck_db_queries_per_request_sum{{{reviews}}} (\S+)", text)
    assert summed is not None
    assert summed.group(1) == "12.0"
    demo = 'method="GET",route="/api/v1/demos/{demo_id}.png"'
    assert f"prepdeck_db_queries_per_request_sum{{{demo}}} 0.0" in text


def test_health_reports_a_database_behind_on_migrations(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "d", warm_demos=False, _env_file=None))
    with TestClient(app) as client:
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["migrations"].startswith("at None, head is")
        migrate.upgrade(app.state.engine)
        assert client.get("/healthz").status_code == 200


def test_the_secret_key_is_generated_once_into_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d", _env_file=None)
    key = settings.secret()
    assert len(key) >= 60
    path = tmp_path / "d" / "secret_key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert Settings(data_dir=tmp_path / "d", _env_file=None).secret() == key


@pytest.mark.parametrize("placeholder", ["changeme", "secret", "CHANGE-ME", "short-but-real"])
def test_placeholder_secret_keys_are_refused(placeholder: str) -> None:
    with pytest.raises(ValidationError, match="placeholder or shorter than 32"):
        Settings(secret_key=placeholder, _env_file=None)


def test_a_csrf_cookie_not_signed_by_this_server_is_refused(client: TestClient) -> None:
    client.cookies.set("prepdeck_csrf", "planted", domain="testserver.local")
    response = client.post(
        "/signup",
        data={
            "csrf_token": "planted",
            "username": "ada",
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
    )
    assert response.status_code == 403
    # The answer hands out a fresh token, signed by this server, which works.
    fresh = response.cookies["prepdeck_csrf"]
    client.cookies.clear()
    client.cookies.set("prepdeck_csrf", fresh)
    assert fresh != "planted"
    assert "." in fresh
    response = client.post(
        "/signup",
        data={
            "csrf_token": fresh,
            "username": "ada",
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_cookies_are_secure_behind_tls(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "d", warm_demos=False, _env_file=None))
    migrate.upgrade(app.state.engine)
    with TestClient(app, base_url="https://testserver") as client:
        assert "Secure" in client.get("/login").headers["set-cookie"]
        client.post("/api/v1/auth/register", json={"username": "ada", "password": PASSWORD})
        response = client.post("/api/v1/auth/login", json={"username": "ada", "password": PASSWORD})
        assert "Secure" in response.headers["set-cookie"]
    with TestClient(app, base_url="http://testserver") as client:
        assert "Secure" not in client.get("/login").headers["set-cookie"]


def test_access_log_is_json(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    import json
    import logging

    with caplog.at_level(logging.INFO, logger="prepdeck.access"):
        client.get("/decks/regularization?q=drop")
    (record,) = [r for r in caplog.records if r.name == "prepdeck.access"]
    entry = json.loads(record.getMessage())
    assert entry["method"] == "GET"
    assert entry["path"] == "/decks/regularization"
    assert entry["route"] == "/decks/{deck_id}"
    assert entry["status"] == 200
    assert entry["ms"] >= 0
    assert entry["db_queries"] == 0  # a guest's deck page needs no database


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "migrations": "ok",
        "decks": 1,
        "cards": 20,
    }


def test_livez(client: TestClient) -> None:
    assert client.get("/livez").json() == {"status": "ok"}
