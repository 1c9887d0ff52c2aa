"""The admin page: who sees it, the list of users, actions, deletion, reset links, sign-up."""

import pytest
from fastapi.testclient import TestClient

from tests.accounts.test_accounts import api_login, signup
from tests.helpers import PASSWORD, attr, soup, text_of

NEW_PASSWORD = "purple elephant marmalade"


@pytest.fixture
def admin_client(client: TestClient) -> TestClient:
    """A client logged in as ada, the first account (so an admin), with bob signed up too."""
    signup(client, "ada")
    client.post("/api/v1/auth/register", json={"username": "bob", "password": PASSWORD})
    return client


def csrf(client: TestClient) -> str:
    return client.cookies["prepdeck_csrf"]


def row_id(client: TestClient, username: str) -> str:
    return attr(soup(client.get("/admin")), f"tr[data-user={username}]", "data-user-id")


def test_only_admins_see_the_page_and_the_menu_link(client: TestClient) -> None:
    response = client.get("/admin", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fadmin"
    signup(client, "ada")
    page = soup(client.get("/study"))
    assert attr(page, ".site-nav a[href='/admin']", "href") == "/admin"
    client.cookies.clear()
    client.post("/api/v1/auth/register", json={"username": "bob", "password": PASSWORD})
    client.cookies.clear()
    signup_page = soup(client.get("/login"))
    client.post(
        "/login",
        data={
            "csrf_token": attr(signup_page, "input[name=csrf_token]", "value"),
            "username": "bob",
            "password": PASSWORD,
        },
    )
    assert soup(client.get("/study")).select(".site-nav a[href='/admin']") == []
    response = client.get("/admin")
    assert response.status_code == 403
    assert "'bob' is not one" in text_of(soup(response), ".error-page__messages")


def test_the_list_shows_each_user(admin_client: TestClient) -> None:
    response = admin_client.get("/admin")
    assert response.status_code == 200
    page = soup(response)
    assert [tr["data-user"] for tr in page.select(".admin-users tbody tr")] == ["ada", "bob"]
    ada = page.select_one("tr[data-user=ada]")
    assert ada is not None
    assert text_of(ada, "th") == "ada (you)"
    assert text_of(ada, "[data-field=reviews]") == "0"
    assert ada.select("[data-flag=admin]")
    assert ada.select("[data-flag=enabled]")
    assert text_of(ada, "[data-field=last-active]") != "never"
    assert text_of(page, ".result-count") == "1–2 of 2 users"
    assert attr(page, "link[rel=alternate]", "href") == "/api/v1/admin/users"
    assert text_of(page, "[data-signup-state]") == (
        "Sign-up is open , as configured (PREPDECK_ALLOW_SIGNUP)."
    )
    found = soup(admin_client.get("/admin?q=bo"))
    assert [tr["data-user"] for tr in found.select(".admin-users tbody tr")] == ["bob"]
    assert text_of(soup(admin_client.get("/admin?q=zz")), "[data-empty]").startswith(
        "No user's name contains “zz”."
    )


def test_paging(admin_client: TestClient) -> None:
    page = soup(admin_client.get("/admin?limit=1"))
    assert [tr["data-user"] for tr in page.select(".admin-users tbody tr")] == ["ada"]
    assert attr(page, "[data-page=next]", "href") == "/admin?limit=1&offset=1"
    page = soup(admin_client.get("/admin?limit=1&offset=1"))
    assert [tr["data-user"] for tr in page.select(".admin-users tbody tr")] == ["bob"]
    assert attr(page, "[data-page=previous]", "href") == "/admin?limit=1"
    for query in (
        "limit=0",
        "limit=101",
        "offset=-1",
        "limit=NaN",
        "offset=1e999",
        "q=" + "x" * 65,
    ):
        assert admin_client.get(f"/admin?{query}").status_code == 422, query


def test_disable_then_enable_with_a_notice(admin_client: TestClient) -> None:
    bob_id = row_id(admin_client, "bob")
    bob = api_login(TestClient(admin_client.app), "bob")
    response = admin_client.post(
        f"/admin/users/{bob_id}/actions",
        data={"csrf_token": csrf(admin_client), "action": "disable"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin?done=disable&who=bob"
    page = soup(admin_client.get(response.headers["location"]))
    assert text_of(page, "[data-notice]") == (
        "bob is disabled: their sessions and API tokens no longer work."
    )
    assert page.select("tr[data-user=bob] [data-flag=disabled]")
    assert admin_client.get("/api/v1/progress", headers=bob).status_code == 401
    login = admin_client.post("/api/v1/auth/login", json={"username": "bob", "password": PASSWORD})
    assert login.status_code == 403
    assert login.json() == {
        "detail": "The account 'bob' is disabled by an admin of this server: ask them to "
        "enable it again."
    }


def test_a_disabled_user_sees_why_at_the_login_form(admin_client: TestClient) -> None:
    bob_id = row_id(admin_client, "bob")
    admin_client.post(
        f"/admin/users/{bob_id}/actions",
        data={"csrf_token": csrf(admin_client), "action": "disable"},
    )
    admin_client.cookies.clear()
    token = attr(soup(admin_client.get("/login")), "input[name=csrf_token]", "value")
    response = admin_client.post(
        "/login", data={"csrf_token": token, "username": "bob", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert "'bob' is disabled by an admin" in text_of(soup(response), ".alert--error")


def test_the_last_admin_cannot_demote_or_disable_themselves(admin_client: TestClient) -> None:
    ada_id = row_id(admin_client, "ada")
    for action, words in (("demote", "Removing admin rights from"), ("disable", "Disabling")):
        response = admin_client.post(
            f"/admin/users/{ada_id}/actions",
            data={"csrf_token": csrf(admin_client), "action": action},
        )
        assert response.status_code == 409
        assert text_of(soup(response), "[data-error]") == (
            f"{words} 'ada' would leave no enabled admin: make another account an admin first."
        )
    response = admin_client.post(
        f"/admin/users/{ada_id}/delete", data={"csrf_token": csrf(admin_client)}
    )
    assert response.status_code == 409
    assert "Deleting 'ada' would leave no enabled admin" in text_of(soup(response), "[data-error]")


def test_promote_and_demote(admin_client: TestClient) -> None:
    bob_id = row_id(admin_client, "bob")
    for action, notice, flagged in (
        ("promote", "bob is now an admin.", True),
        ("demote", "bob is no longer an admin.", False),
    ):
        response = admin_client.post(
            f"/admin/users/{bob_id}/actions",
            data={"csrf_token": csrf(admin_client), "action": action},
        )
        page = soup(response)
        assert text_of(page, "[data-notice]") == notice
        assert bool(page.select("tr[data-user=bob] [data-flag=admin]")) is flagged


def test_bad_actions_and_ids(admin_client: TestClient) -> None:
    token = csrf(admin_client)
    bad = admin_client.post(
        "/admin/users/1/actions", data={"csrf_token": token, "action": "explode"}
    )
    assert bad.status_code == 422
    assert "action" in text_of(soup(bad), ".error-page__messages")
    unknown = admin_client.post(
        "/admin/users/999/actions", data={"csrf_token": token, "action": "disable"}
    )
    assert unknown.status_code == 404
    assert text_of(soup(unknown), ".error-page__messages").startswith(
        "There is no user with id 999"
    )
    for path in (
        "/admin/users/0/delete",
        "/admin/users/99999999999/delete",
        "/admin/users/x/delete",
    ):
        assert admin_client.get(path).status_code == 422, path
    assert admin_client.get("/admin/users/999/delete").status_code == 404


def test_delete_asks_first(admin_client: TestClient) -> None:
    bob_id = row_id(admin_client, "bob")
    page = soup(admin_client.get(f"/admin/users/{bob_id}/delete"))
    assert text_of(page, "h1") == "Delete bob?"
    assert "0 reviews" in text_of(page, "[data-consequence]")
    assert attr(page, "form[data-confirm]", "action") == f"/admin/users/{bob_id}/delete"
    assert attr(page, "[data-cancel]", "href") == "/admin"
    response = admin_client.post(
        f"/admin/users/{bob_id}/delete",
        data={"csrf_token": csrf(admin_client)},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/admin?done=delete&who=bob"
    page = soup(admin_client.get(response.headers["location"]))
    assert text_of(page, "[data-notice]") == "bob and all their data are deleted."
    assert page.select("tr[data-user=bob]") == []
    login = admin_client.post("/api/v1/auth/login", json={"username": "bob", "password": PASSWORD})
    assert login.status_code == 401


def test_a_reset_link_is_shown_once_and_sets_a_password(admin_client: TestClient) -> None:
    bob_id = row_id(admin_client, "bob")
    bob = api_login(TestClient(admin_client.app), "bob")
    response = admin_client.post(
        f"/admin/users/{bob_id}/reset-link", data={"csrf_token": csrf(admin_client)}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    url = attr(soup(response), "[data-reset-url]", "value")
    assert url.startswith("http://testserver/reset/")
    path = url.removeprefix("http://testserver")
    admin_client.cookies.clear()
    form = soup(admin_client.get(path))
    assert text_of(form, "[data-username]") == "bob"
    token = attr(form, "input[name=csrf_token]", "value")
    differ = admin_client.post(
        path, data={"csrf_token": token, "password": NEW_PASSWORD, "password_again": "other"}
    )
    assert differ.status_code == 422
    assert text_of(soup(differ), "[data-error-field=password_again]") == "The two passwords differ."
    weak = admin_client.post(
        path, data={"csrf_token": token, "password": "bobbobbob", "password_again": "bobbobbob"}
    )
    assert weak.status_code == 422
    assert "too easy to guess" in text_of(soup(weak), "[data-error-field=password]")
    done = admin_client.post(
        path,
        data={"csrf_token": token, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/study"
    assert admin_client.get("/api/v1/progress", headers=bob).status_code == 401
    assert admin_client.get("/study").status_code == 200
    again = admin_client.get(path)
    assert again.status_code == 404
    assert "has been used, has expired or was never issued" in text_of(
        soup(again), ".error-page__messages"
    )
    api_login(admin_client, "bob", NEW_PASSWORD)


def test_a_reset_link_page_refuses_a_bad_token(client: TestClient) -> None:
    assert client.get("/reset/nope").status_code == 404
    assert client.get("/reset/" + "x" * 101).status_code == 422


def test_open_and_close_signup(admin_client: TestClient) -> None:
    response = admin_client.post(
        "/admin/signup",
        data={"csrf_token": csrf(admin_client), "allow_signup": "false"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/admin?done=signup-closed"
    page = soup(admin_client.get("/admin?done=signup-closed"))
    assert text_of(page, "[data-notice]").startswith("Sign-up is closed")
    assert text_of(page, "[data-signup-state]").startswith("Sign-up is closed , set by ada on ")
    guest = TestClient(admin_client.app)
    assert guest.get("/signup").status_code == 403
    register = guest.post("/api/v1/auth/register", json={"username": "cy", "password": PASSWORD})
    assert register.status_code == 403
    admin_client.post(
        "/admin/signup", data={"csrf_token": csrf(admin_client), "allow_signup": "true"}
    )
    assert guest.get("/signup").status_code == 200
    bad = admin_client.post(
        "/admin/signup", data={"csrf_token": csrf(admin_client), "allow_signup": "maybe"}
    )
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/admin/signup", {"allow_signup": "false"}),
        ("/admin/users/{bob}/actions", {"action": "disable"}),
        ("/admin/users/{bob}/reset-link", {}),
        ("/admin/users/{bob}/delete", {}),
    ],
)
def test_every_admin_form_needs_its_csrf_token(
    admin_client: TestClient, path: str, data: dict[str, str]
) -> None:
    bob_id = row_id(admin_client, "bob")
    target = path.format(bob=bob_id)
    for token in (None, "forged"):
        body = data if token is None else {**data, "csrf_token": token}
        response = admin_client.post(target, data=body)
        assert response.status_code == 403, (target, token)
    # Nothing happened.
    page = soup(admin_client.get("/admin"))
    assert page.select("tr[data-user=bob] [data-flag=enabled]")
    assert text_of(page, "[data-signup-state]").startswith("Sign-up is open")


def test_the_reset_form_needs_its_csrf_token(admin_client: TestClient) -> None:
    bob_id = row_id(admin_client, "bob")
    response = admin_client.post(
        f"/admin/users/{bob_id}/reset-link", data={"csrf_token": csrf(admin_client)}
    )
    path = attr(soup(response), "[data-reset-url]", "value").removeprefix("http://testserver")
    admin_client.cookies.clear()
    admin_client.get(path)
    response = admin_client.post(
        path, data={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert response.status_code == 403
    assert admin_client.get(path).status_code == 200  # the link still works
