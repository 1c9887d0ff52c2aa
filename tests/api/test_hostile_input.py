"""Hostile input: NaN, Infinity, lone surrogates and NUL; lax types; 500s; 405s; the schema.

Each answer is a 422 naming the field (or the documented status), never a 500, on SQLite and
on PostgreSQL alike.
"""

import json
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from app import migrate
from app.config import Settings
from app.db import make_engine
from app.errors import encodable
from tests.accounts.test_accounts import signup
from tests.helpers import PASSWORD, attr, soup, text_of

SECURITY_HEADERS = (
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
    "cross-origin-opener-policy",
    "permissions-policy",
)
NUL_MESSAGE = "Text must not contain the NUL character (\\u0000): remove it"
SURROGATE_MESSAGE = (
    "Text must be valid Unicode: a lone surrogate such as \\ud800 is not a character"
)
FINITE_MESSAGE = "Input should be a finite number: JSON has no NaN or Infinity (nor 1e999)"

# Each raw JSON token, the error type it gives and the input the error echoes (encodable).
BAD_TOKENS = [
    ("NaN", "finite_number", FINITE_MESSAGE, "NaN"),
    ("Infinity", "finite_number", FINITE_MESSAGE, "Infinity"),
    ("-Infinity", "finite_number", FINITE_MESSAGE, "-Infinity"),
    ("1e999", "finite_number", FINITE_MESSAGE, "Infinity"),
    ('"\\ud800"', "string_unicode", SURROGATE_MESSAGE, "\\ud800"),
    ('"ab\\u0000c"', "string_nul", NUL_MESSAGE, "ab\x00c"),
]

SETTINGS_BODY = (
    '{"desired_retention": @, "new_per_day": 20, "reviews_per_day": 200,'
    ' "timezone": "UTC", "day_starts_at": 4}'
)
EXPORT_BODY = (
    '{"format": "prepdeck-progress", "version": 1, "exported_at": "2026-11-30T10:00:00Z",'
    ' "username": "ada", "settings": {"desired_retention": 0.9, "new_per_day": 20,'
    ' "reviews_per_day": 200, "timezone": "UTC", "day_starts_at": 4}, "cards": [],'
    ' "reviews": [{"review_id": "8d0c1f4e-0a8e-4a57-9a43-1d9a4f1b7c11", "card_id": @,'
    ' "deck_id": "regularization", "rating": 3, "reviewed_at": "2026-11-29T10:00:00Z",'
    ' "desired_retention": 0.9}]}'
)
# Every operation that reads a JSON body (and undo, which must not swallow one either): its
# method, path, a body with @ where the bad token goes, and where the error must point.
JSON_ENDPOINTS: list[tuple[str, str, str, list[str | int]]] = [
    ("POST", "/api/v1/auth/register", '{"username": @, "password": "pw"}', ["username"]),
    ("POST", "/api/v1/auth/login", '{"username": @, "password": "pw"}', ["username"]),
    (
        "POST",
        "/api/v1/reviews",
        '{"card_id": "dropout", "rating": @, "review_id": "' + str(uuid.uuid4()) + '"}',
        ["rating"],
    ),
    ("POST", "/api/v1/reviews/undo", '{"note": [1, @]}', ["note", 1]),
    ("POST", "/api/v1/me/fsrs/optimize", '{"note": [1, @]}', ["note", 1]),
    ("POST", "/api/v1/study/bury", '{"card_id": @}', ["card_id"]),
    ("POST", "/api/v1/study/suspend", '{"card_id": @}', ["card_id"]),
    ("POST", "/api/v1/study/unsuspend", '{"card_id": @}', ["card_id"]),
    ("PUT", "/api/v1/me/settings", SETTINGS_BODY, ["desired_retention"]),
    ("DELETE", "/api/v1/me", '{"current_password": @}', ["current_password"]),
    ("POST", "/api/v1/me/import", EXPORT_BODY, ["reviews", 0, "card_id"]),
    ("POST", "/api/v1/interviews", '{"questions": @}', ["questions"]),
    ("POST", "/api/v1/me/cards/actions", '{"action": "suspend", "card_ids": [@]}', ["card_ids", 0]),
    (
        "POST",
        "/api/v1/me/cards/resets/00000000-0000-4000-8000-000000000001/undo",
        '{"note": [1, @]}',
        ["note", 1],
    ),
    ("PUT", "/api/v1/me/interview-dates", '{"deck": @, "date": "2030-01-01"}', ["deck"]),
    ("PATCH", "/api/v1/admin/users/1", '{"disabled": @}', ["disabled"]),
    ("PATCH", "/api/v1/admin/users/1", '{"is_admin": [@]}', ["is_admin", 0]),
    ("POST", "/api/v1/admin/users/1/reset-link", '{"note": [1, @]}', ["note", 1]),
    ("PUT", "/api/v1/admin/settings", '{"allow_signup": @}', ["allow_signup"]),
    (
        "POST",
        "/api/v1/interviews/00000000-0000-4000-8000-000000000001/answers",
        '{"answer_id": "' + str(uuid.uuid4()) + '", "text": @}',
        ["text"],
    ),
]


@pytest.fixture
def auth(client: TestClient) -> dict[str, str]:
    """Register and log in a user; return the Bearer header."""
    client.post("/api/v1/auth/register", json={"username": "ada", "password": PASSWORD})
    token = client.post(
        "/api/v1/auth/login", json={"username": "ada", "password": PASSWORD}
    ).json()["token"]
    client.cookies.clear()
    return {"Authorization": f"Bearer {token}"}


def nul_error(loc: list[str | int], value: str) -> dict[str, Any]:
    """Return the 422 detail entry for text holding NUL."""
    return {"type": "string_nul", "loc": loc, "msg": NUL_MESSAGE, "input": value}


# --- NaN, Infinity, lone surrogates (and NUL) in JSON bodies ---------------------------------


@pytest.mark.parametrize(
    ("method", "path", "template", "field"),
    JSON_ENDPOINTS,
    ids=[f"{method} {path}" for method, path, _t, _f in JSON_ENDPOINTS],
)
def test_json_bodies_refuse_nan_infinity_surrogates_and_nul(
    client: TestClient,
    auth: dict[str, str],
    method: str,
    path: str,
    template: str,
    field: list[str | int],
) -> None:
    for token, kind, message, echoed in BAD_TOKENS:
        response = client.request(
            method,
            path,
            content=template.replace("@", token).encode(),
            headers={**auth, "Content-Type": "application/json"},
        )
        assert response.status_code == 422, (token, response.text)
        expected = {"type": kind, "loc": ["body", *field], "msg": message}
        if path != "/api/v1/me/import":  # an import names what it refuses, never echoes it
            expected["input"] = echoed
        assert response.json() == {"detail": [expected]}, token
        assert "traceback" not in response.text.lower()


def test_bad_json_on_login_needs_no_login(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/login",
        content=b'{"username": "ada", "password": NaN}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "password"]


def test_a_body_that_is_not_utf8_is_422_with_the_reason(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/login",
        content=b'{"username": "\xff"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "json_invalid",
                "loc": ["body"],
                "msg": "JSON decode error: 'utf-8' codec can't decode byte 0xff in position 14:"
                " invalid start byte",
            }
        ]
    }


def test_a_surrogate_in_a_key_is_named_escaped(client: TestClient, auth: dict[str, str]) -> None:
    response = client.put(
        "/api/v1/me/settings",
        content=b'{"\\ud800": 1}',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "type": "string_unicode",
            "loc": ["body", "\\ud800"],
            "msg": SURROGATE_MESSAGE.replace("Text", "A key"),
            "input": "\\ud800",
        }
    ]


def test_deeply_nested_json_is_checked_without_recursion(
    client: TestClient, auth: dict[str, str]
) -> None:
    body = "[" * 900 + "NaN" + "]" * 900
    response = client.post(
        "/api/v1/reviews/undo",
        content=body.encode(),
        headers={**auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", *([0] * 900)]


def test_nothing_is_stored_from_a_refused_body(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/reviews",
        content=(
            '{"card_id": "what-is-regularization", "rating": 3, "review_id": "'
            + str(uuid.uuid4())
            + '", "duration_ms": 1e999}'
        ).encode(),
        headers={**auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert client.get("/api/v1/progress", headers=auth).json()["total_reviews"] == 0


def test_error_encoder_carries_any_value() -> None:
    value = {
        "nan": float("nan"),
        "inf": [float("inf"), float("-inf"), 1.5],
        "\ud800key": "a\udfffb",
        "obj": uuid.UUID(int=1),
        "deep": [[[[[[[[[[[[[[[[[[[["end"]]]]]]]]]]]]]]]]]]]],
    }
    encoded = encodable(value)
    assert json.loads(json.dumps(encoded, allow_nan=False, ensure_ascii=False)) == encoded
    assert encoded["nan"] == "NaN"
    assert encoded["inf"] == ["Infinity", "-Infinity", 1.5]
    assert encoded["\\ud800key"] == "a\\udfffb"
    assert encoded["obj"] == "00000000-0000-0000-0000-000000000001"
    assert "end" not in json.dumps(encoded["deep"])  # cut short


# --- NUL in every kind of text input, on SQLite and PostgreSQL -------------------------------


def test_login_with_nul_in_the_username_is_422(client: TestClient) -> None:
    client.post("/api/v1/auth/register", json={"username": "alice", "password": PASSWORD})
    response = client.post(
        "/api/v1/auth/login", json={"username": "alice\x00", "password": PASSWORD}
    )
    assert response.status_code == 422
    assert response.json() == {"detail": [nul_error(["body", "username"], "alice\x00")]}


def test_import_with_nul_in_an_id_is_422(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/me/import",
        content=EXPORT_BODY.replace("@", '"dropout\\u0000"').encode(),
        headers={**auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    error = nul_error(["body", "reviews", 0, "card_id"], "dropout\x00")
    del error["input"]  # an import names what it refuses, never echoes it
    assert response.json() == {"detail": [error]}
    assert client.get("/api/v1/progress", headers=auth).json()["total_reviews"] == 0


@pytest.mark.parametrize(
    ("url", "loc"),
    [
        ("/api/v1/decks/regularization/cards?q=drop%00", ["query", "q"]),
        ("/api/v1/decks/regularization/cards?topic=dropout%00", ["query", "topic"]),
        ("/api/v1/decks/regularization/cards?difficulty=hard%00", ["query", "difficulty"]),
        ("/api/v1/study/next?deck=regularization%00", ["query", "deck"]),
        ("/api/v1/study/next?practice=true&after=dropout%00", ["query", "after"]),
        ("/api/v1/decks/regularization%00", ["path", "deck_id"]),
        ("/api/v1/decks/regularization/cards/dropout%00", ["path", "card_id"]),
        ("/api/v1/demos/dropout-mask%00", ["path", "demo_id"]),
        ("/api/v1/demos/dropout-mask%00.png", ["path", "demo_id"]),
        ("/api/v1/demos/dropout-mask.png?prefetch=1%00", ["query", "prefetch"]),
    ],
)
def test_api_query_and_path_refuse_nul(
    client: TestClient, auth: dict[str, str], url: str, loc: list[str]
) -> None:
    response = client.get(url, headers=auth)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert (error["type"], error["loc"], error["msg"]) == ("string_nul", loc, NUL_MESSAGE)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/decks/regularization?q=drop%00", "q: " + NUL_MESSAGE),
        ("/decks/regularization?topic=%00", "topic: " + NUL_MESSAGE),
        ("/decks/regularization?difficulty=%00", "difficulty: " + NUL_MESSAGE),
        ("/decks/regularization%00", "deck_id: " + NUL_MESSAGE),
        ("/decks/regularization/cards/dropout%00", "card_id: " + NUL_MESSAGE),
        ("/study?topic=dropout%00", "topic: " + NUL_MESSAGE),
        ("/login?next=/study%00", "next: " + NUL_MESSAGE),
    ],
)
def test_pages_refuse_nul_in_query_and_path(client: TestClient, url: str, message: str) -> None:
    signup(client)
    response = client.get(url)
    assert response.status_code == 422
    page = soup(response)
    assert text_of(page, "h1") == "Invalid parameter"
    assert message in [" ".join(item.get_text(" ").split()) for item in page.select("main li")]


def test_login_and_signup_forms_refuse_nul(client: TestClient) -> None:
    signup(client, "alice")
    client.post("/logout", data={"csrf_token": client.cookies["prepdeck_csrf"]})
    token = attr(soup(client.get("/login")), "input[name=csrf_token]", "value")
    for path, data in [
        ("/login", {"username": "alice\x00", "password": PASSWORD}),
        ("/signup", {"username": "bob\x00", "password": PASSWORD, "password_again": PASSWORD}),
    ]:
        response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 422, response.text
        items = [" ".join(li.get_text(" ").split()) for li in soup(response).select("main li")]
        assert items == [f"username: {NUL_MESSAGE}"]


def test_settings_form_refuses_nul(client: TestClient) -> None:
    signup(client)
    token = client.cookies["prepdeck_csrf"]
    form = {
        "csrf_token": token,
        "desired_retention": "0.9",
        "new_per_day": "20",
        "reviews_per_day": "200",
        "timezone": "UTC\x00",
        "day_starts_at": "4",
    }
    response = client.post("/settings", data=form)
    assert response.status_code == 422
    items = [" ".join(li.get_text(" ").split()) for li in soup(response).select("main li")]
    assert items == [f"timezone: {NUL_MESSAGE}"]


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ('"dropout\\u0000"', NUL_MESSAGE),
        ('"dropout\\ud800"', SURROGATE_MESSAGE),
        ("NaN", FINITE_MESSAGE),
    ],
)
def test_import_form_refuses_nul_surrogates_and_nan(
    client: TestClient, token: str, message: str
) -> None:
    signup(client)
    response = client.post(
        "/settings/import",
        data={"csrf_token": client.cookies["prepdeck_csrf"]},
        files={"file": ("progress.json", EXPORT_BODY.replace("@", token).encode())},
    )
    assert response.status_code == 422
    items = [" ".join(li.get_text(" ").split()) for li in soup(response).select("main li")]
    assert items == [f"In this file, reviews.0.card_id: {message}"]
    assert client.get("/api/v1/progress").json()["total_reviews"] == 0


# --- 500s carry the security headers ---------------------------------------------------------


def _add_failing_routes(app: FastAPI) -> None:
    def explode() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/api/v1/explode", explode)
    app.add_api_route("/explode", explode)


def test_server_errors_carry_the_security_headers(app: FastAPI) -> None:
    _add_failing_routes(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/explode")
        assert response.status_code == 500
        assert response.json() == {
            "detail": "The server failed to answer; the error is in its log."
        }
        assert all(name in response.headers for name in SECURITY_HEADERS), response.headers
        assert response.headers["x-frame-options"] == "DENY"
        page = client.get("/explode")
        assert page.status_code == 500
        assert text_of(soup(page), "h1") == "Something went wrong"
        assert all(name in page.headers for name in SECURITY_HEADERS), page.headers
        assert "script-src 'self'" in page.headers["content-security-policy"]


# --- strict types: ratings, counts, timezones -------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("rating", True, "int_type"),
        ("rating", "3", "int_type"),
        ("rating", 2.5, "int_from_float"),
        ("duration_ms", "5", "int_type"),
        ("version", False, "int_type"),
    ],
)
def test_reviews_take_only_json_integers(
    client: TestClient, auth: dict[str, str], field: str, value: object, kind: str
) -> None:
    body = {"card_id": "what-is-regularization", "rating": 3, "review_id": str(uuid.uuid4())}
    response = client.post("/api/v1/reviews", json={**body, field: value}, headers=auth)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["type"], error["loc"]) == (kind, ["body", field])
    assert client.get("/api/v1/progress", headers=auth).json()["total_reviews"] == 0


SETTINGS = {
    "desired_retention": 0.9,
    "new_per_day": 20,
    "reviews_per_day": 200,
    "timezone": "UTC",
    "day_starts_at": 4,
}


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("new_per_day", "20", "int_type"),
        ("reviews_per_day", True, "int_type"),
        ("day_starts_at", 4.5, "int_from_float"),
        ("desired_retention", "0.9", "float_type"),
        ("desired_retention", True, "float_type"),
    ],
)
def test_settings_take_only_json_numbers(
    client: TestClient, auth: dict[str, str], field: str, value: object, kind: str
) -> None:
    response = client.put("/api/v1/me/settings", json={**SETTINGS, field: value}, headers=auth)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["type"], error["loc"]) == (kind, ["body", field])


@pytest.mark.parametrize(
    "zone",
    ["localtime", "Factory", "posix/UTC", "right/UTC", "posixrules", "Europe/Nowhere", "../etc"],
)
def test_settings_take_only_iana_timezone_names(
    client: TestClient, auth: dict[str, str], zone: str
) -> None:
    response = client.put("/api/v1/me/settings", json={**SETTINGS, "timezone": zone}, headers=auth)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "timezone"]
    assert error["msg"] == (
        f"Value error, unknown timezone {zone!r}: use an IANA name such as 'Europe/Berlin' or 'UTC'"
    )


def test_iana_names_are_accepted_and_listed(client: TestClient, auth: dict[str, str]) -> None:
    for zone in ["Europe/Berlin", "America/Argentina/Buenos_Aires", "UTC", "Asia/Kolkata"]:
        response = client.put(
            "/api/v1/me/settings", json={**SETTINGS, "timezone": zone}, headers=auth
        )
        assert response.status_code == 200, response.text
        assert response.json()["timezone"] == zone
    signup(client, "bob")
    options = [
        str(option["value"]) for option in soup(client.get("/settings")).select("#timezones option")
    ]
    assert "Europe/Berlin" in options
    assert not {"localtime", "Factory", "posix/UTC", "right/UTC"} & set(options)


def test_settings_form_converts_its_text(client: TestClient) -> None:
    signup(client)
    form = {
        "csrf_token": client.cookies["prepdeck_csrf"],
        "desired_retention": "0.85",
        "new_per_day": "7",
        "reviews_per_day": "70",
        "timezone": "Europe/Berlin",
        "day_starts_at": "5",
    }
    response = client.post("/settings", data=form, follow_redirects=False)
    assert response.status_code == 303
    page = soup(client.get("/settings"))
    assert attr(page, "#new_per_day", "value") == "7"
    response = client.post("/settings", data={**form, "desired_retention": "nan"})
    assert response.status_code == 422
    items = [" ".join(li.get_text(" ").split()) for li in soup(response).select("main li")]
    assert items == ["Desired retention must be between 70 % and 97 %: a number from 0.70 to 0.97."]


def test_import_takes_only_integer_ratings(client: TestClient, auth: dict[str, str]) -> None:
    body = json.loads(EXPORT_BODY.replace("@", '"dropout"'))
    body["reviews"][0]["rating"] = True
    response = client.post("/api/v1/me/import", json=body, headers=auth)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "reviews", 0, "rating"]
    assert "valid integer" in error["msg"]


@pytest.mark.empty_database
def test_migration_maps_stored_non_iana_timezones(settings: Settings) -> None:
    engine = make_engine(settings)
    try:
        migrate.upgrade(engine, "0002")
        zones = {
            "a": "localtime",
            "b": "posix/Europe/Berlin",
            "c": "right/UTC",
            "d": "Factory",
            "e": "Asia/Tokyo",
        }
        with engine.begin() as connection:
            for name, zone in zones.items():
                connection.execute(
                    text(
                        "INSERT INTO users (username, password_hash, is_admin, created_at,"
                        " timezone) VALUES (:name, 'x', false, CURRENT_TIMESTAMP, :zone)"
                    ),
                    {"name": name, "zone": zone},
                )
        migrate.upgrade(engine)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT username, timezone FROM users")).all()
        assert dict(rows) == {
            "a": "UTC",
            "b": "Europe/Berlin",
            "c": "UTC",
            "d": "UTC",
            "e": "Asia/Tokyo",
        }
    finally:
        engine.dispose()


# --- what the schema says matches what the server does ---------------------------------------


def test_export_csv_is_documented_and_served_as_csv(
    client: TestClient, auth: dict[str, str]
) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/me/export.csv"]["get"]
    assert list(operation["responses"]["200"]["content"]) == ["text/csv"]
    response = client.get("/api/v1/me/export.csv", headers=auth)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"


def test_405_names_every_allowed_method(client: TestClient, auth: dict[str, str]) -> None:
    response = client.options("/api/v1/me/settings", headers=auth)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, PUT"
    assert response.json() == {
        "detail": "OPTIONS is not allowed at /api/v1/me/settings; use GET, PUT."
    }
    response = client.post("/api/v1/study/next", json={}, headers=auth)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    page = client.delete("/settings")
    assert page.status_code == 405
    assert page.headers["allow"] == "GET, POST"
    assert text_of(soup(page), "h1") == "Method not allowed"


def test_api_refuses_an_empty_difficulty(client: TestClient, auth: dict[str, str]) -> None:
    for url in ["/api/v1/decks/regularization/cards", "/api/v1/study/next"]:
        response = client.get(url, params={"difficulty": ""}, headers=auth)
        assert response.status_code == 422
        [error] = response.json()["detail"]
        assert (error["type"], error["loc"]) == ("enum", ["query", "difficulty"])
        assert error["msg"] == "Input should be 'easy', 'medium' or 'hard'"


def test_pages_take_an_empty_difficulty_as_any(client: TestClient) -> None:
    page = soup(client.get("/decks/regularization?difficulty=&topic=&q="))
    assert text_of(page, ".result-count") == "20 cards"
    # The JSON twin leaves the blanks out, so the API (which refuses them) answers it.
    assert attr(page, 'link[rel="alternate"]', "href") == "/api/v1/decks/regularization/cards"
