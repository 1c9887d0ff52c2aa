"""The account page: change the password, log out everywhere, delete the account."""

from fastapi.testclient import TestClient

from tests.accounts.test_sessions import bearer, page_token, signup
from tests.helpers import PASSWORD, attr, soup, text_of, urls_of
from tests.web.test_study import grade_form


def test_the_account_page_is_linked_and_holds_its_three_forms(client: TestClient) -> None:
    assert client.get("/account", follow_redirects=False).headers["location"].startswith("/login")
    signup(client, "alice")
    assert "/account" in urls_of(soup(client.get("/settings")), ".site-nav a, #account a")
    page = soup(client.get("/account"))
    assert attr(page, '.site-nav a[aria-current="page"]', "href") == "/account"
    for action in ("/account/password", "/account/logout-all"):
        assert attr(page, f'form[action="{action}"] input[name=csrf_token]', "value")
    assert attr(page, "#delete a.button--danger", "href") == "/account/delete"
    assert page.select(".error-summary") == []


def test_deleting_asks_with_the_data_it_removes_then_says_goodbye(client: TestClient) -> None:
    signup(client, "ada")  # the first user: the admin, alone on the server
    signup_other = TestClient(client.app)
    with signup_other:
        signup(signup_other, "bob")
        _card, data = grade_form(signup_other, 3)
        signup_other.post("/study/review", data=data)
        api = bearer(signup_other, "bob")
        page = soup(signup_other.get("/account/delete"))
        items = [" ".join(li.get_text(" ").split()) for li in page.select(".delete-list li")]
        assert items[:4] == [
            "1 card with progress, and their schedule",
            "1 review in the review log",
            "0 quiz attempts",
            "0 mock interviews",
        ]
        assert attr(page, "a[download]", "href") == "/settings/export.json"
        token = attr(page, ".delete-form input[name=csrf_token]", "value")
        # Without the CSRF token, or with a wrong password, nothing goes.
        response = signup_other.post("/account/delete", data={"current_password": PASSWORD})
        assert response.status_code == 403
        response = signup_other.post(
            "/account/delete", data={"csrf_token": token, "current_password": "not it"}
        )
        assert response.status_code == 403
        wrong = soup(response)
        assert text_of(wrong, "#current_password-error") == "The current password is wrong."
        assert attr(wrong, "#current_password", "aria-invalid") == "true"
        assert urls_of(wrong, ".error-summary a") == ["#current_password"]
        response = signup_other.post(
            "/account/delete",
            data={"csrf_token": token, "current_password": PASSWORD},
            follow_redirects=False,
        )
        assert (response.status_code, response.headers["location"]) == (303, "/goodbye")
        goodbye = soup(signup_other.get("/goodbye"))
        assert text_of(goodbye, "h1") == "Goodbye"
        assert text_of(goodbye, "[role=status]") == (
            "Your account and all its data are deleted from this server, and you are logged out."
        )
        assert signup_other.get("/study", follow_redirects=False).status_code == 303
        assert signup_other.get("/api/v1/me/settings", headers=api).status_code == 401
        login = {"username": "bob", "password": PASSWORD}
        assert signup_other.post("/api/v1/auth/login", json=login).status_code == 401
    assert client.get("/account").status_code == 200  # ada stays


def test_the_only_admin_is_told_why_the_account_cannot_go(client: TestClient) -> None:
    signup(client, "ada")
    with TestClient(client.app) as other:
        signup(other, "bob")
    page = soup(client.get("/account"))
    message = (
        "You are the only admin of this server, and it has other users: make another user an "
        "admin first, then delete your account."
    )
    assert text_of(page, "#delete .alert--warning") == message
    assert page.select("#delete a.button--danger") == []
    page = soup(client.get("/account/delete"))
    assert page.select(".delete-form") == []
    response = client.post(
        "/account/delete", data={"csrf_token": page_token(client), "current_password": PASSWORD}
    )
    assert response.status_code == 409
    assert text_of(soup(response), ".alert--warning") == message
    assert client.get("/account").status_code == 200


def test_the_goodbye_page_needs_no_login(client: TestClient) -> None:
    page = soup(client.get("/goodbye"))
    assert urls_of(page, ".form-actions a") == ["/", "/signup"]
