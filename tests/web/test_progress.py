"""The progress page, driven as plain HTML (no JavaScript)."""

from fastapi.testclient import TestClient

from tests.helpers import attr, soup, text_of


def test_progress_page(user_client: TestClient) -> None:
    page = soup(user_client.get("/progress"))
    assert text_of(page, "h1") == "Your progress"
    assert text_of(page, "[data-state=new] dd") == "20"
    assert len(page.select(".mastery tbody tr")) == 6
    for image in page.select("img.chart"):
        response = user_client.get(str(image["src"]))
        assert response.headers["content-type"] == "image/png"
        assert image["alt"]
    assert attr(page, 'link[rel="alternate"]', "href") == "/api/v1/progress"
