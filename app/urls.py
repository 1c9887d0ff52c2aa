"""Every path of the pages and the JSON API, built in one place (a Jinja global as `urls`).

Path parameters are ids the content loader has checked (lower-case slugs), so they go in
as they are; query strings are encoded here.
"""

from collections.abc import Iterable, Mapping
from urllib.parse import urlencode, urlsplit

API = "/api/v1"

Query = Mapping[str, object] | Iterable[tuple[str, object]]


def with_query(path: str, query: Query | None = None, fragment: str = "") -> str:
    """Return path with the query's non-blank values (a form's "" means "any") and a fragment."""
    items = query.items() if isinstance(query, Mapping) else (query or ())
    pairs = [(key, str(value)) for key, value in items if value is not None and value != ""]
    text = f"{path}?{urlencode(pairs)}" if pairs else path
    return f"{text}#{fragment}" if fragment else text


# Pages


def home() -> str:
    """Return the path of the list of decks."""
    return "/"


def deck(deck_id: str, query: Query | None = None) -> str:
    """Return the path of a deck's card list, optionally filtered."""
    return with_query(f"/decks/{deck_id}", query)


def topic(deck_id: str, topic_id: str) -> str:
    """Return the path of a deck's card list filtered to one topic."""
    return deck(deck_id, {"topic": topic_id})


def cheatsheet(deck_id: str) -> str:
    """Return the path of a deck's cheat sheet."""
    return f"/decks/{deck_id}/cheatsheet"


def card(deck_id: str, card_id: str, query: str = "", fragment: str = "") -> str:
    """Return the path of a card's page; query is an encoded query string (a demo's values)."""
    path = f"/decks/{deck_id}/cards/{card_id}"
    path = f"{path}?{query}" if query else path
    return f"{path}#{fragment}" if fragment else path


def quiz(deck_id: str, card_id: str) -> str:
    """Return the path a card page posts an answer to its demo's question to."""
    return f"{card(deck_id, card_id)}/quiz"


def card_flag(deck_id: str, card_id: str) -> str:
    """Return the path a card page posts Bury, Unbury, Suspend or Unsuspend to."""
    return f"{card(deck_id, card_id)}/flag"


def predict_first(deck_id: str, card_id: str) -> str:
    """Return the path a card page posts the Predict-first switch to."""
    return f"{card(deck_id, card_id)}/predict-first"


def study(query: Query | None = None, **options: object) -> str:
    """Return the path of the study page, with its filter (query) and options after it."""
    items = query.items() if isinstance(query, Mapping) else (query or ())
    return with_query("/study", [*items, *options.items()])


def study_review() -> str:
    """Return the path the study page posts a grade to."""
    return "/study/review"


def study_quiz() -> str:
    """Return the path the study page posts an answer to the card's question to."""
    return "/study/quiz"


def study_undo() -> str:
    """Return the path the study page posts an undo to."""
    return "/study/undo"


def study_flag(action: str) -> str:
    """Return the path the study page posts bury or suspend to."""
    return f"/study/{action}"


def progress() -> str:
    """Return the path of the progress page."""
    return "/progress"


def browse(query: Query | None = None) -> str:
    """Return the path of the card browser, optionally filtered, sorted and paged."""
    return with_query("/browse", query)


def browse_actions() -> str:
    """Return the path the card browser posts an action on its selection to."""
    return "/browse/actions"


def browse_reset() -> str:
    """Return the path the reset confirmation page posts to."""
    return "/browse/reset"


def browse_undo(reset_id: str) -> str:
    """Return the path that undoes a reset of cards' progress."""
    return f"/browse/resets/{reset_id}/undo"


def plan() -> str:
    """Return the path of the interview plan page (its forms post there too)."""
    return "/plan"


def plan_clear() -> str:
    """Return the path the plan page posts the removal of an interview date to."""
    return "/plan/clear"


def settings(query: Query | None = None, fragment: str = "") -> str:
    """Return the path of the settings page."""
    return with_query("/settings", query, fragment)


def settings_export(fmt: str) -> str:
    """Return the path of the progress download (json) or the review log (csv)."""
    return f"/settings/export.{fmt}"


def settings_retention_chart(stamp: str) -> str:
    """Return the path of the retention simulator's chart; stamp changes with its inputs."""
    return f"/settings/retention.png?v={stamp}"


def settings_import() -> str:
    """Return the path the settings page posts an import to."""
    return "/settings/import"


def settings_optimize() -> str:
    """Return the path the settings page posts a request to fit FSRS parameters to."""
    return "/settings/optimize"


def account(query: Query | None = None, fragment: str = "") -> str:
    """Return the path of the account page: password, sessions, deleting the account."""
    return with_query("/account", query, fragment)


def password() -> str:
    """Return the path the account page posts a password change to."""
    return "/account/password"


def logout_everywhere() -> str:
    """Return the path that ends every session of the user."""
    return "/account/logout-all"


def account_delete() -> str:
    """Return the path of the page that deletes the account (GET asks, POST deletes)."""
    return "/account/delete"


def goodbye() -> str:
    """Return the path of the page shown after an account is deleted."""
    return "/goodbye"


def login(next_path: str | None = None) -> str:
    """Return the path of the login page, with where to go after it."""
    return with_query("/login", {"next": next_path})


def signup() -> str:
    """Return the path of the sign-up page."""
    return "/signup"


def logout() -> str:
    """Return the path that ends this session."""
    return "/logout"


def docs() -> str:
    """Return the path of the API documentation."""
    return "/docs"


# JSON API


def api_decks() -> str:
    """Return the API path of the decks."""
    return f"{API}/decks"


def api_deck(deck_id: str) -> str:
    """Return the API path of a deck."""
    return f"{API}/decks/{deck_id}"


def api_deck_apkg(deck_id: str) -> str:
    """Return the API path of a deck's Anki package."""
    return f"{API}/decks/{deck_id}/export.apkg"


def api_cards(deck_id: str, query: Query | None = None) -> str:
    """Return the API path of a deck's cards, optionally filtered."""
    return with_query(f"{API}/decks/{deck_id}/cards", query)


def api_card(deck_id: str, card_id: str) -> str:
    """Return the API path of a card."""
    return f"{API}/decks/{deck_id}/cards/{card_id}"


def api_explain(deck_id: str, card_id: str) -> str:
    """Return the API path that checks an explained answer against a card's key points."""
    return f"{api_card(deck_id, card_id)}/explain"


def explain(deck_id: str, card_id: str) -> str:
    """Return the path a card page posts an explained answer to."""
    return f"{card(deck_id, card_id)}/explain"


def study_explain() -> str:
    """Return the path the study page posts an explained answer to."""
    return "/study/explain"


def api_quiz(deck_id: str, card_id: str, seed: int | None = None) -> str:
    """Return the API path of the question a card's demo asks (for a seed, when given)."""
    return with_query(f"{api_card(deck_id, card_id)}/quiz", {"seed": seed})


def api_demos() -> str:
    """Return the API path of the demos."""
    return f"{API}/demos"


def api_demo(demo_id: str) -> str:
    """Return the API path of a demo's description."""
    return f"{API}/demos/{demo_id}"


def api_demo_image(demo_id: str, fmt: str, query: str = "") -> str:
    """Return the API path of a demo's figure (png or svg); query is an encoded query string."""
    path = f"{API}/demos/{demo_id}.{fmt}"
    return f"{path}?{query}" if query else path


def api_demo_data(demo_id: str, query: str = "") -> str:
    """Return the API path of a demo's numbers; query is an encoded query string."""
    path = f"{API}/demos/{demo_id}/data"
    return f"{path}?{query}" if query else path


def api_progress() -> str:
    """Return the API path of the user's progress."""
    return f"{API}/progress"


def api_browse(query: Query | None = None) -> str:
    """Return the API path of every card with the user's state of it."""
    return with_query(f"{API}/me/cards", query)


def api_card_actions() -> str:
    """Return the API path of the actions on a selection of cards."""
    return f"{API}/me/cards/actions"


def api_reset_undo(reset_id: str) -> str:
    """Return the API path that undoes a reset of cards' progress."""
    return f"{API}/me/cards/resets/{reset_id}/undo"


def api_me() -> str:
    """Return the API path of the user's account (DELETE deletes it)."""
    return f"{API}/me"


def api_study_settings() -> str:
    """Return the API path of the user's study settings."""
    return f"{API}/me/settings"


def api_retention() -> str:
    """Return the API path of the user's retention simulation."""
    return f"{API}/me/retention"


def api_plan() -> str:
    """Return the API path of the user's interview plan."""
    return f"{API}/me/plan"


def api_interview_dates(deck: str | None = None) -> str:
    """Return the API path that sets (PUT) and removes (DELETE, for deck) interview dates."""
    return with_query(f"{API}/me/interview-dates", {"deck": deck})


def api_login() -> str:
    """Return the API path that issues a token."""
    return f"{API}/auth/login"


def api_import() -> str:
    """Return the API path that merges an export into the user's progress."""
    return f"{API}/me/import"


def api_fsrs() -> str:
    """Return the API path of the user's FSRS parameters and latest fit."""
    return f"{API}/me/fsrs"


def api_fsrs_optimize() -> str:
    """Return the API path that queues a fit of the user's FSRS parameters."""
    return f"{API}/me/fsrs/optimize"


def interview_setup() -> str:
    """Return the path of the mock interview's setup form (it posts there too)."""
    return "/interview"


def interview(interview_id: str) -> str:
    """Return the path of a mock interview's page: the step to answer, or the report."""
    return f"/interview/{interview_id}"


def interview_answer(interview_id: str) -> str:
    """Return the path a mock interview's page posts an answer to."""
    return f"/interview/{interview_id}/answer"


def api_interviews() -> str:
    """Return the API path that starts a mock interview."""
    return f"{API}/interviews"


def api_interview(interview_id: str) -> str:
    """Return the API path of a mock interview."""
    return f"{API}/interviews/{interview_id}"


# Administration


def admin(query: Query | None = None) -> str:
    """Return the path of the admin page (the list of users), optionally filtered and paged."""
    return with_query("/admin", query)


def admin_signup() -> str:
    """Return the path the admin page posts the opening or closing of sign-up to."""
    return "/admin/signup"


def admin_user_action(user_id: int) -> str:
    """Return the path the admin page posts disable, enable, promote or demote of a user to."""
    return f"/admin/users/{user_id}/actions"


def admin_reset_link(user_id: int) -> str:
    """Return the path the admin page posts to make a user's password-reset link."""
    return f"/admin/users/{user_id}/reset-link"


def admin_delete(user_id: int) -> str:
    """Return the path of the confirmation of a user's deletion (it posts there too)."""
    return f"/admin/users/{user_id}/delete"


def password_reset(token: str) -> str:
    """Return the path of a one-time password-reset link."""
    return f"/reset/{token}"


def api_admin_users(query: Query | None = None) -> str:
    """Return the API path of the list of users, optionally filtered and paged."""
    return with_query(f"{API}/admin/users", query)


def api_admin_user(user_id: int) -> str:
    """Return the API path of one user (read, change with PATCH, DELETE)."""
    return f"{API}/admin/users/{user_id}"


def api_admin_reset_link(user_id: int) -> str:
    """Return the API path that makes a user's password-reset link."""
    return f"{API}/admin/users/{user_id}/reset-link"


def api_admin_settings() -> str:
    """Return the API path of the server-wide settings an admin changes (sign-up)."""
    return f"{API}/admin/settings"


# The longest `next` path a form may carry back.
MAX_NEXT = 2000


def same_site_path(target: str, default: str) -> str:
    """Return target if it is a path on this site, else default: no scheme, no host, no
    backslash, whitespace or control character (browsers drop or bend those, so "/\t/x.org"
    would lead to another site), and no "//" start."""
    if (
        not target.startswith("/")
        or target.startswith("//")
        or len(target) > MAX_NEXT
        or any(char == "\\" or char.isspace() or not char.isprintable() for char in target)
    ):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
