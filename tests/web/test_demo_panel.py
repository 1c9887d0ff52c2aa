"""The live demo on a card page: controls, image URLs naming every parameter, bad input."""

from fastapi.testclient import TestClient

from tests.helpers import attr, soup, text_of

CARD = "/decks/regularization/cards/dropout"


def test_card_page_shows_the_demo_with_controls(client: TestClient) -> None:
    page = soup(client.get(CARD))
    section = page.select_one("section.demo[data-demo=dropout-mask]")
    assert section is not None
    assert text_of(section, ".demo__title") == "Inverted dropout mask"
    names = [str(field["name"]) for field in section.select("[data-demo-form] [name]")]
    assert names == ["p", "units", "batch", "seed"]
    slider = section.select_one("input[name=p]")
    assert slider is not None
    assert (slider["type"], slider["min"], slider["max"], slider["step"], slider["value"]) == (
        "range", "0", "0.9", "0.05", "0.5",
    )  # fmt: skip
    assert text_of(section, "label[for=demo-p]") == "Drop probability p 0.5"
    query = "seed=0&p=0.5&units=32&batch=8"
    assert (
        attr(section, "img[data-demo-image]", "src")
        == f"/api/v1/demos/dropout-mask.png?{query}&theme=light"
    )
    assert attr(section, "source[data-demo-source]", "srcset").endswith("&theme=dark")
    assert attr(section, "[data-demo-share]", "href") == f"{CARD}?{query}#demo"
    assert attr(section, "[data-demo-reset]", "href") == f"{CARD}#demo"
    alt = attr(section, "img[data-demo-image]", "alt")
    lead = "Dropout zeroes each activation with probability p and scales the rest by 1/(1-p), "
    assert alt.startswith(lead + "keeping the mean. With drop probability p = 0.50")
    assert text_of(section, "[data-demo-summary]") == alt
    # The caption leads with its first sentence, the details after it.
    assert text_of(section, "[data-demo-summary] [data-demo-lead]") == lead + "keeping the mean."
    details = text_of(section, "[data-demo-summary] [data-demo-details]")
    assert details.startswith("With drop probability p = 0.50")
    assert alt.endswith(details)
    assert attr(section, "form[data-demo-form]", "method") == "get"
    assert client.get(attr(section, "img[data-demo-image]", "src")).status_code == 200


def test_the_get_form_redraws_without_javascript(client: TestClient) -> None:
    page = soup(client.get(f"{CARD}?p=0.2&units=16&batch=4&seed=7"))
    assert attr(page, "input[name=p]", "value") == "0.2"
    assert attr(page, "input[name=seed]", "value") == "7"
    src = attr(page, "img[data-demo-image]", "src")
    assert src == "/api/v1/demos/dropout-mask.png?seed=7&p=0.2&units=16&batch=4&theme=light"
    assert "With drop probability p = 0.20" in attr(page, "img[data-demo-image]", "alt")


def test_bad_demo_parameters_on_the_card_page(client: TestClient) -> None:
    response = client.get(f"{CARD}?p=7&colour=red")
    assert response.status_code == 422
    page = soup(response)
    errors = text_of(page, ".demo .alert--error")
    assert "unknown parameter 'colour'" in errors
    assert "defaults" in errors
    assert attr(page, "input[name=p]", "value") == "0.5"
    assert text_of(page, "h1") == "What is Dropout? Why does it prevent overfitting?"
