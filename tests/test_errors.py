"""One handler answers every AppError: JSON under /api, an HTML page everywhere else."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.accounts.admin import INVALID_LINK, InvalidResetLink, UnknownUser
from app.accounts.service import (
    AccountDisabled,
    AccountError,
    InvalidCredentials,
    LastAdmin,
    Throttled,
)
from app.accounts.sessions import CsrfFailed, LoginRequired
from app.backups import BackupError
from app.content.loader import ContentError
from app.content.markup import RenderError
from app.content.queries import BadFilter
from app.content.yaml_source import Problem
from app.exceptions import AppError
from app.figures.cache import RenderBusy
from app.figures.params import BadParams
from app.limits import BodyTooLarge
from app.rehearsal.explain import BadExplanation, NoKeyPoints
from app.rehearsal.interviews import (
    AnswerConflict,
    InterviewError,
    InvalidInterview,
    OutOfOrder,
    UnknownInterview,
)
from app.serving import RequestRefused
from app.study.attempts import AttemptConflict, InvalidAttempt
from app.study.browser import UnknownCards
from app.study.day import BadTimezone
from app.study.plan import BadInterviewDate
from app.study.resets import UnknownReset
from app.study.reviews import (
    NOTHING_IN_SESSION,
    STALE,
    Conflict,
    NothingInSession,
    StudyError,
    UnknownCard,
)
from app.study.transfer import InvalidImport, NotAnExport
from tests.helpers import PASSWORD, soup, text_of


@dataclass(frozen=True)
class Case:
    """An error, and how the API and the page answer it."""

    error: Callable[[], AppError]
    status: int
    json: object
    title: str
    lines: list[str]
    headers: dict[str, str] = field(default_factory=dict)


SOLE_ADMIN = (
    "You are the only admin of this server, and it has other users: make another user an "
    "admin first, then delete your account."
)
TOO_LARGE = "The request body is larger than 100 bytes; send at most 100 bytes to this route."
BAD_ALPHA = {
    "type": "less_than_equal",
    "loc": ["query", "alpha"],
    "msg": "alpha: Input should be less than or equal to 1; allowed 0 to 1",
    "input": "2",
}
CSRF_API = (
    "CSRF check failed: with cookie login, send the header X-CSRF-Token with the csrf_token "
    "that POST /api/v1/auth/login returned (also in the prepdeck_csrf cookie), or use a "
    "Bearer token."
)
CSRF_PAGE = "This form was sent from elsewhere or has expired. Reload the page and try again."
CROSS_ORIGIN = "Cross-origin request refused: send it from this site's pages."
REUSED_ATTEMPT = (
    "attempt_id 0b6b3c8e-4f0a-4c1e-9d7a-2f5e8b1c6d90 was already used for another answer "
    "(card 'dropout', seed 3, answer 'b'): send a new attempt_id."
)
LONG_ANSWER = "answer: send 1 to 40 characters."
TIMEZONE = "unknown timezone 'Mars/Olympus': use an IANA name such as 'Europe/Berlin' or 'UTC'"
PROBLEMS = [
    "/srv/decks/a.yaml: no deck.yaml: add one",
    "/srv/decks/b.yaml:3: missing field 'question'",
]
LOG_IN_FIRST = "Log in first: send Authorization: Bearer <token> from POST /api/v1/auth/login."
NOT_JSON = "not a prepdeck progress export: Invalid JSON: expected value at line 1 column 1"

DISABLED = "The account 'bob' is disabled by an admin of this server: ask them to enable it again."
NO_USER = "There is no user with id 7: the admin page and GET /api/v1/admin/users list them."
LAST_ADMIN = "Disabling 'ada' would leave no enabled admin: make another account an admin first."

CASES = {
    "body-too-large": Case(
        lambda: BodyTooLarge(100),
        413,
        {"detail": TOO_LARGE},
        "Request too large",
        [TOO_LARGE],
    ),
    "backup": Case(
        lambda: BackupError("no file at /srv/old.db: give the path of a backup file"),
        400,
        {"detail": "no file at /srv/old.db: give the path of a backup file"},
        "Backup or restore not done",
        ["no file at /srv/old.db: give the path of a backup file"],
    ),
    "bad-params": Case(
        lambda: BadParams([dict(BAD_ALPHA)]),
        422,
        {"detail": [BAD_ALPHA]},
        "Invalid parameter",
        ["alpha: Input should be less than or equal to 1; allowed 0 to 1"],
    ),
    "render-busy-client": Case(
        lambda: RenderBusy(429, 3, "You have 4 figures being drawn already; try again in 3 s."),
        429,
        {"detail": "You have 4 figures being drawn already; try again in 3 s."},
        "Too many attempts",
        ["You have 4 figures being drawn already; try again in 3 s."],
        {"Retry-After": "3"},
    ),
    "render-busy-server": Case(
        lambda: RenderBusy(503, 7, "The server is drawing 9 figures for others; try again in 7 s."),
        503,
        {"detail": "The server is drawing 9 figures for others; try again in 7 s."},
        "Busy",
        ["The server is drawing 9 figures for others; try again in 7 s."],
        {"Retry-After": "7"},
    ),
    "render": Case(
        lambda: RenderError("bad LaTeX '\\\\frac{': 1 '{' never closed"),
        422,
        {"detail": "bad LaTeX '\\\\frac{': 1 '{' never closed"},
        "Content that cannot be rendered",
        ["bad LaTeX '\\\\frac{': 1 '{' never closed"],
    ),
    "bad-interview-date": Case(
        lambda: BadInterviewDate(("body", "date"), "2020-01-01 has passed: pick a later day"),
        422,
        {
            "detail": [
                {
                    "loc": ["body", "date"],
                    "msg": "2020-01-01 has passed: pick a later day",
                    "type": "value_error",
                }
            ]
        },
        "Invalid parameter",
        ["date: 2020-01-01 has passed: pick a later day"],
    ),
    "bad-filter": Case(
        lambda: BadFilter("topic", "unknown topic 'nope': use one of dropout, weight-decay"),
        422,
        {
            "detail": [
                {
                    "loc": ["query", "topic"],
                    "msg": "unknown topic 'nope': use one of dropout, weight-decay",
                    "type": "value_error",
                }
            ]
        },
        "Invalid parameter",
        ["topic: unknown topic 'nope': use one of dropout, weight-decay"],
    ),
    # A lone surrogate cannot be sent as UTF-8: it is shown escaped.
    "surrogate": Case(
        lambda: BadFilter("topic", "unknown topic '\ud800'"),
        422,
        {
            "detail": [
                {
                    "loc": ["query", "topic"],
                    "msg": "unknown topic '\\ud800'",
                    "type": "value_error",
                }
            ]
        },
        "Invalid parameter",
        ["topic: unknown topic '\\ud800'"],
    ),
    "content": Case(
        lambda: ContentError(
            [
                Problem(Path("/srv/decks/b.yaml"), 3, "missing field 'question'"),
                Problem(Path("/srv/decks/a.yaml"), None, "no deck.yaml: add one"),
            ]
        ),
        422,
        {"detail": "\n".join(PROBLEMS)},
        "Content with problems",
        PROBLEMS,
    ),
    "refused": Case(
        lambda: RequestRefused(431, "Request Header Fields Too Large", "Send fewer headers."),
        431,
        {"detail": "Send fewer headers."},
        "Request headers too large",
        ["Send fewer headers."],
    ),
    "account-field": Case(
        lambda: AccountError("password", "A password has at least 12 characters."),
        422,
        {
            "detail": [
                {
                    "loc": ["body", "password"],
                    "msg": "A password has at least 12 characters.",
                    "type": "value_error",
                }
            ]
        },
        "Invalid parameter",
        ["A password has at least 12 characters."],
    ),
    "account-taken": Case(
        lambda: AccountError("username", "The username 'ada' is taken.", status=409),
        409,
        {"detail": "The username 'ada' is taken."},
        "Conflict",
        ["The username 'ada' is taken."],
    ),
    "account-disabled": Case(
        lambda: AccountDisabled("bob"),
        403,
        {"detail": DISABLED},
        "Forbidden",
        [DISABLED],
    ),
    "unknown-user": Case(
        lambda: UnknownUser(NO_USER),
        404,
        {"detail": NO_USER},
        "Not found",
        [NO_USER],
    ),
    "last-admin": Case(
        lambda: LastAdmin(LAST_ADMIN),
        409,
        {"detail": LAST_ADMIN},
        "Conflict",
        [LAST_ADMIN],
    ),
    "sole-admin": Case(
        lambda: LastAdmin(SOLE_ADMIN),
        409,
        {"detail": SOLE_ADMIN},
        "Conflict",
        [SOLE_ADMIN],
    ),
    "invalid-reset-link": Case(
        lambda: InvalidResetLink(INVALID_LINK),
        404,
        {"detail": INVALID_LINK},
        "Link not valid",
        [INVALID_LINK],
    ),
    "credentials": Case(
        InvalidCredentials,
        401,
        {"detail": "Wrong username or password."},
        "Log in first",
        ["Wrong username or password."],
    ),
    "throttled": Case(
        lambda: Throttled(30),
        429,
        {"detail": "Too many failed logins. Try again in 30 seconds."},
        "Too many attempts",
        ["Too many failed logins. Try again in 30 seconds."],
        {"Retry-After": "30"},
    ),
    "login-required": Case(
        LoginRequired,
        401,
        {"detail": LOG_IN_FIRST},
        "Log in first",
        [],  # a page sends the browser to the login form instead
        {"WWW-Authenticate": "Bearer"},
    ),
    "csrf": Case(CsrfFailed, 403, {"detail": CSRF_API}, "Forbidden", [CSRF_PAGE]),
    "csrf-origin": Case(
        lambda: CsrfFailed(CROSS_ORIGIN), 403, {"detail": CROSS_ORIGIN}, "Forbidden", [CROSS_ORIGIN]
    ),
    "timezone": Case(
        lambda: BadTimezone(TIMEZONE), 422, {"detail": TIMEZONE}, "Invalid parameter", [TIMEZONE]
    ),
    "study": Case(
        lambda: StudyError("There is no review to undo."),
        409,
        {"detail": "There is no review to undo."},
        "Conflict",
        ["There is no review to undo."],
    ),
    "conflict": Case(lambda: Conflict(STALE), 409, {"detail": STALE}, "Conflict", [STALE]),
    "nothing-in-session": Case(
        NothingInSession,
        409,
        {"detail": NOTHING_IN_SESSION},
        "Conflict",
        [NOTHING_IN_SESSION],
    ),
    "unknown-card": Case(
        lambda: UnknownCard("There is no card 'nope' in the content."),
        404,
        {"detail": "There is no card 'nope' in the content."},
        "Not found",
        ["There is no card 'nope' in the content."],
    ),
    "attempt-conflict": Case(
        lambda: AttemptConflict(REUSED_ATTEMPT),
        409,
        {"detail": REUSED_ATTEMPT},
        "Conflict",
        [REUSED_ATTEMPT],
    ),
    "invalid-attempt": Case(
        lambda: InvalidAttempt(LONG_ANSWER),
        422,
        {"detail": LONG_ANSWER},
        "Invalid parameter",
        [LONG_ANSWER],
    ),
    "invalid-import": Case(
        lambda: InvalidImport(
            [
                (("reviews", 0, "rating"), "Input should be 1, 2, 3 or 4"),
                ((), "the export names no cards"),
            ]
        ),
        422,
        {
            "detail": [
                {
                    "type": "value_error",
                    "loc": ["body", "reviews", 0, "rating"],
                    "msg": "Input should be 1, 2, 3 or 4",
                },
                {"type": "value_error", "loc": ["body"], "msg": "the export names no cards"},
            ]
        },
        "Invalid parameter",
        ["reviews.0.rating: Input should be 1, 2, 3 or 4", "the export names no cards"],
    ),
    "not-an-export": Case(
        lambda: NotAnExport([((), NOT_JSON)]),
        422,
        {"detail": [{"type": "value_error", "loc": ["body"], "msg": NOT_JSON}]},
        "Invalid parameter",
        [NOT_JSON],
    ),
    "bad-explanation": Case(
        lambda: BadExplanation("text: 5001 characters; send at most 5000", status=413),
        413,
        {"detail": "text: 5001 characters; send at most 5000"},
        "Request too large",
        ["text: 5001 characters; send at most 5000"],
    ),
    "no-key-points": Case(
        lambda: NoKeyPoints("Card 'x' has no key points to explain it against."),
        404,
        {"detail": "Card 'x' has no key points to explain it against."},
        "Not found",
        ["Card 'x' has no key points to explain it against."],
    ),
    "interview": Case(
        lambda: InterviewError("The interview is finished."),
        409,
        {"detail": "The interview is finished."},
        "Conflict",
        ["The interview is finished."],
    ),
    "invalid-interview": Case(
        lambda: InvalidInterview("questions", "give 1 to 20"),
        422,
        {
            "detail": [
                {
                    "loc": ["body", "questions"],
                    "msg": "questions: give 1 to 20",
                    "type": "value_error",
                }
            ]
        },
        "Invalid parameter",
        ["questions: give 1 to 20"],
    ),
    "unknown-interview": Case(
        lambda: UnknownInterview("No interview 'abc' of yours."),
        404,
        {"detail": "No interview 'abc' of yours."},
        "Not found",
        ["No interview 'abc' of yours."],
    ),
    "out-of-order": Case(
        lambda: OutOfOrder("Question 2 comes next: answer that one."),
        409,
        {"detail": "Question 2 comes next: answer that one."},
        "Conflict",
        ["Question 2 comes next: answer that one."],
    ),
    "answer-conflict": Case(
        lambda: AnswerConflict("answer_id was used for another answer: send a new one."),
        409,
        {"detail": "answer_id was used for another answer: send a new one."},
        "Conflict",
        ["answer_id was used for another answer: send a new one."],
    ),
    "unknown-cards": Case(
        lambda: UnknownCards("unknown card: nope; nothing was changed", ["nope"]),
        422,
        {
            "detail": [
                {
                    "loc": ["body", "card_ids"],
                    "msg": "unknown card: nope; nothing was changed",
                    "type": "value_error",
                    "input": ["nope"],
                }
            ]
        },
        "Invalid parameter",
        ["card_ids: unknown card: nope; nothing was changed"],
    ),
    "unknown-reset": Case(
        lambda: UnknownReset("There is no reset abc of your cards."),
        404,
        {"detail": "There is no reset abc of your cards."},
        "Not found",
        ["There is no reset abc of your cards."],
    ),
}
PAGES = [name for name in CASES if name != "login-required"]


def subclasses(cls: type[AppError]) -> set[type[AppError]]:
    """Return every subclass of cls, at any depth."""
    found: set[type[AppError]] = set()
    for sub in cls.__subclasses__():
        found |= {sub, *subclasses(sub)}
    return found


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client of the app with a route under /api and one elsewhere that raise a case's error."""

    def raise_error(name: str) -> None:
        raise CASES[name].error()

    app.add_api_route("/api/v1/raise/{name}", raise_error)
    app.add_api_route("/raise/{name}", raise_error)
    with TestClient(app) as test_client:
        yield test_client


def test_every_app_error_has_a_case() -> None:
    assert {type(case.error()) for case in CASES.values()} == subclasses(AppError)


@pytest.mark.parametrize("name", CASES)
def test_the_api_answers_json(client: TestClient, name: str) -> None:
    case = CASES[name]
    response = client.get(f"/api/v1/raise/{name}")
    assert response.status_code == case.status
    assert response.headers["content-type"] == "application/json"
    assert response.json() == case.json
    assert {key: response.headers.get(key) for key in case.headers} == case.headers
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("name", PAGES)
def test_a_page_answers_html(client: TestClient, name: str) -> None:
    case = CASES[name]
    response = client.get(f"/raise/{name}")
    assert response.status_code == case.status
    page = soup(response)
    assert text_of(page, ".error-page__status") == str(case.status)
    assert text_of(page, ".error-page h1") == case.title
    assert [li.get_text() for li in page.select(".error-page__messages li")] == case.lines
    assert {key: response.headers.get(key) for key in case.headers} == case.headers
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_page_that_needs_login_sends_the_browser_to_log_in(client: TestClient) -> None:
    response = client.get("/raise/login-required?seed=3", follow_redirects=False)
    assert response.status_code == 303
    next_ = urlencode({"next": "/raise/login-required?seed=3"})
    assert response.headers["location"] == f"/login?{next_}"
    assert "www-authenticate" not in response.headers


def test_a_404_page_says_what_to_do(client: TestClient) -> None:
    page = soup(client.get("/raise/unknown-card"))
    assert text_of(page, ".error-page__next h2") == "What you can do"
    assert [a["href"] for a in page.select(".error-page a")] == ["/"]


def test_a_404_page_offers_a_logged_in_reader_to_go_on_studying(client: TestClient) -> None:
    credentials = {"username": "ada", "password": PASSWORD}
    assert client.post("/api/v1/auth/register", json=credentials).status_code == 201
    assert client.post("/api/v1/auth/login", json=credentials).status_code == 200
    page = soup(client.get("/decks/no-such-deck"))
    assert text_of(page, ".error-page__status") == "404"
    assert [a["href"] for a in page.select(".error-page a")] == ["/study", "/"]


def test_a_429_page_says_how_long_to_wait(client: TestClient) -> None:
    page = soup(client.get("/raise/throttled"))
    assert text_of(page, ".error-page__wait") == "30"
    assert "Wait 30 seconds" in text_of(page, ".error-page__next")


def test_other_statuses_get_the_general_page(client: TestClient) -> None:
    page = soup(client.get("/raise/conflict"))
    assert page.select(".error-page__next") == []
    assert text_of(page, ".error-page h1") == "Conflict"
