"""The settings page: study settings, export and import, as plain HTML forms (no JavaScript)."""

import json

import pytest
from fastapi.testclient import TestClient

from tests.helpers import attr, soup, text_of, urls_of
from tests.web.test_study import grade_form


def test_settings_page_saves_and_rejects(user_client: TestClient) -> None:
    token = user_client.cookies["prepdeck_csrf"]
    good = {
        "csrf_token": token,
        "desired_retention": "0.85",
        "new_per_day": "5",
        "reviews_per_day": "50",
        "timezone": "Asia/Tokyo",
        "day_starts_at": "5",
        "maximum_interval": "90",
        "leech_threshold": "4",
        "leech_action": "tag",
    }
    response = user_client.post("/settings", data=good, follow_redirects=False)
    assert response.headers["location"] == "/settings?saved=true"
    page = soup(user_client.get("/settings?saved=true"))
    assert text_of(page, ".alert--info") == "Settings saved."
    assert attr(page, "#timezone", "value") == "Asia/Tokyo"
    assert attr(page, "#maximum_interval", "value") == "90"
    assert attr(page, "#leech_threshold", "value") == "4"
    assert attr(page, "#leech_action option[selected]", "value") == "tag"
    odd = {**good, "maximum_interval": "0", "leech_action": "explode"}
    odd_errors = text_of(soup(user_client.post("/settings", data=odd)), ".error-summary")
    assert "The maximum interval (days) must be a whole number from 1 to 36500." in odd_errors
    assert "When a card becomes a leech: choose to tag and suspend it, or only to tag it." in (
        odd_errors
    )
    bad = {**good, "desired_retention": "2", "timezone": "Nowhere/Else"}
    response = user_client.post("/settings", data=bad)
    assert response.status_code == 422
    errors = text_of(soup(response), ".error-summary")
    assert "Desired retention must be between 70 % and 97 %: a number from 0.70 to 0.97." in errors
    assert "Timezone must be a name from the list, such as Europe/Berlin or UTC." in errors
    assert attr(soup(user_client.get("/settings")), "#timezone", "value") == "Asia/Tokyo"


def test_each_wrong_setting_is_named_at_its_field_and_linked_from_the_summary(
    user_client: TestClient,
) -> None:
    form = {
        "csrf_token": user_client.cookies["prepdeck_csrf"],
        "desired_retention": "0.5",
        "new_per_day": "many",
        "reviews_per_day": "50",
        "timezone": "Nowhere/Else",
        "day_starts_at": "24",
        "maximum_interval": "90",
        "leech_threshold": "4",
        "leech_action": "tag",
    }
    response = user_client.post("/settings", data=form)
    assert response.status_code == 422
    page = soup(response)
    wrong = ["desired_retention", "new_per_day", "timezone", "day_starts_at"]
    assert text_of(page, ".error-summary h2") == "There are 4 problems"
    assert sorted(urls_of(page, ".error-summary a")) == sorted(f"#{name}" for name in wrong)
    for name in wrong:
        assert attr(page, f"#{name}", "aria-invalid") == "true"
        assert f"{name}-error" in attr(page, f"#{name}", "aria-describedby").split()
        assert text_of(page, f"#{name}-error")
    assert text_of(page, "#day_starts_at-error") == (
        "The hour the next day starts at must be a whole number from 0 to 23."
    )
    assert text_of(page, "#new_per_day-error") == (
        "New cards per day must be a whole number from 0 to 9999."
    )
    # The values entered stay in the form, right or wrong.
    for name in ("desired_retention", "new_per_day", "timezone", "day_starts_at"):
        assert attr(page, f"#{name}", "value") == form[name]
    assert attr(page, "#reviews_per_day", "value") == "50"
    # Fields without an error carry only their help, and no aria-invalid.
    assert page.select_one("#reviews_per_day")["aria-describedby"] == "reviews_per_day-help"  # type: ignore[index]
    assert page.select_one("#reviews_per_day[aria-invalid]") is None


def test_the_limits_on_the_page_come_from_the_settings_model(user_client: TestClient) -> None:
    page = soup(user_client.get("/settings"))
    assert (attr(page, "#desired_retention", "min"), attr(page, "#desired_retention", "max")) == (
        "0.70",
        "0.97",
    )
    assert attr(page, "#maximum_interval", "max") == "36500"
    assert text_of(page, "#reviews_per_day-help") == "0 to 99999"
    assert page.select(".error-summary") == []
    # One column of labelled groups, Save at the end of its form.
    legends = [legend.get_text() for legend in page.select(".settings-form legend")]
    assert legends == ["Schedule", "Daily limits", "Your day", "Leeches"]
    last = page.select(".settings-form > *")[-1]
    assert last.select_one("button[type=submit]") is not None
    assert page.select_one(".import-form input[type=file].file-input") is not None
    assert attr(page, "#account a", "href") == "/account"


def test_export_and_import_from_the_settings_page(user_client: TestClient) -> None:
    _card, data = grade_form(user_client, 4)
    user_client.post("/study/review", data=data)
    exported = user_client.get("/settings/export.json")
    assert exported.headers["content-disposition"].startswith("attachment")
    assert len(exported.json()["reviews"]) == 1
    assert user_client.get("/settings/export.csv").text.count("\n") == 2
    token = user_client.cookies["prepdeck_csrf"]
    response = user_client.post(
        "/settings/import",
        data={"csrf_token": token},
        files={"file": ("progress.json", exported.content, "application/json")},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/settings?imported=0"
    for content, message in [
        (b"not json", "This file is not JSON."),
        (json.dumps({"format": "x"}).encode(), "This JSON file is not a prepdeck progress export."),
    ]:
        response = user_client.post(
            "/settings/import",
            data={"csrf_token": token},
            files={"file": ("bad.json", content, "application/json")},
        )
        assert response.status_code == 422
        assert message in text_of(soup(response), "#file-error")


TAKES = "Import takes the JSON file that Export progress (JSON) downloads."
CSV_HEAD = b"review_id,card_id,deck_id,rating,reviewed_at,duration_ms,desired_retention\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", f"This file is empty. {TAKES}"),
        (b" \n\t", f"This file is empty. {TAKES}"),
        (
            CSV_HEAD + b"x,dropout,regularization,3,2026-01-01T00:00:00+00:00,,0.9\n",
            "This file is a CSV review log; import takes the JSON export, the file "
            "Export progress (JSON) downloads.",
        ),
        (
            b"PK\x03\x04rest of a zip",
            f"This file is a ZIP archive (an Anki package is one), not a progress export. {TAKES}",
        ),
        (b"not json", f"This file is not JSON. {TAKES}"),
        (b"\xff\xfe{}", f"This file is not JSON. {TAKES}"),
        (
            b"[" * 100_000,
            f"This file nests lists or objects too deeply to be a progress export. {TAKES}",
        ),
        (b"[1, 2]", f"This JSON file is not a prepdeck progress export. {TAKES}"),
        (b'{"format": "anki"}', f"This JSON file is not a prepdeck progress export. {TAKES}"),
        (
            b'{"format": "prepdeck-progress", "version": 99}',
            "This export is version 99, from a newer prepdeck; this server reads versions 1 to 4. "
            "Upgrade this server, then import it again.",
        ),
        (
            b'{"format": "prepdeck-progress", "version": "4"}',
            f"This export has no version this server knows (1 to 4). {TAKES}",
        ),
    ],
    ids=[
        "empty",
        "blank",
        "csv",
        "zip",
        "text",
        "not-utf8",
        "deep",
        "list",
        "other-format",
        "newer-version",
        "version-text",
    ],
)
def test_an_import_names_the_kind_of_wrong_file(
    user_client: TestClient, content: bytes, message: str
) -> None:
    response = user_client.post(
        "/settings/import",
        data={"csrf_token": user_client.cookies["prepdeck_csrf"]},
        files={"file": ("progress.json", content, "application/json")},
    )
    assert response.status_code == 422
    page = soup(response)
    assert text_of(page, "#file-error") == message
    assert urls_of(page, ".error-summary a") == ["#file"]
    assert attr(page, "#file", "aria-invalid") == "true"


def test_an_export_with_a_wrong_field_names_the_field(user_client: TestClient) -> None:
    exported = user_client.get("/settings/export.json").json()
    exported["settings"]["desired_retention"] = 2
    response = user_client.post(
        "/settings/import",
        data={"csrf_token": user_client.cookies["prepdeck_csrf"]},
        files={"file": ("progress.json", json.dumps(exported).encode(), "application/json")},
    )
    assert response.status_code == 422
    assert text_of(soup(response), "#file-error") == (
        "In this file, settings.desired_retention: Input should be less than or equal to 0.97"
    )
