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
    assert attr(section, "img[data-demo-image]", "src") == f"/api/v1/demos/dropout-mask.png?{query}"
    assert attr(section, "[data-demo-share]", "href") == f"{CARD}?{query}#demo"
    assert attr(section, "[data-demo-reset]", "href") == f"{CARD}#demo"
    alt = attr(section, "img[data-demo-image]", "alt")
    lead = "Dropout zeroes each activation with probability p and scales the rest by 1/(1-p), "
    assert alt.startswith(
        lead + "so its expected value is unchanged. With drop probability p = 0.50"
    )
    assert text_of(section, "[data-demo-summary]") == alt
    # The caption leads with its first sentence, the details after it.
    assert (
        text_of(section, "[data-demo-summary] [data-demo-lead]")
        == lead + "so its expected value is unchanged."
    )
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
    assert src == "/api/v1/demos/dropout-mask.png?seed=7&p=0.2&units=16&batch=4"
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


def test_the_figure_is_a_picture_of_both_layouts_themes_and_densities(client: TestClient) -> None:
    page = soup(client.get(f"{CARD}?p=0.2&units=16&batch=4&seed=7"))
    png = "/api/v1/demos/dropout-mask.png?seed=7&p=0.2&units=16&batch=4"
    sources = page.select("figure[data-demo-figure] picture[data-themed-picture] > source")
    assert [(s["media"], s["data-theme-source"], s["srcset"]) for s in sources] == [
        (
            "(max-width: 40rem) and (prefers-color-scheme: dark)",
            "dark",
            f"{png}&theme=dark&layout=narrow 1x, {png}&theme=dark&layout=narrow&scale=2 2x",
        ),
        (
            "(max-width: 40rem)",
            "light",
            f"{png}&layout=narrow 1x, {png}&layout=narrow&scale=2 2x",
        ),
        (
            "(prefers-color-scheme: dark)",
            "dark",
            f"{png}&theme=dark 1x, {png}&theme=dark&scale=2 2x",
        ),
    ]
    # What theme.js makes of each source when a theme is chosen by hand.
    assert [s["data-width-media"] for s in sources] == [
        "(max-width: 40rem)",
        "(max-width: 40rem)",
        "all",
    ]
    # The narrow figure is one column: narrower and taller than the wide one.
    narrow_dark, narrow_light = sources[0], sources[1]
    assert (narrow_dark["width"], narrow_dark["height"]) == (
        narrow_light["width"],
        narrow_light["height"],
    )
    assert int(str(sources[0]["width"])) < int(attr(page, "img[data-demo-image]", "width"))
    assert int(str(sources[0]["height"])) > int(attr(page, "img[data-demo-image]", "height"))
    assert (sources[2]["width"], sources[2]["height"]) == ("800", "420")
    assert attr(page, "picture img[data-demo-image]", "srcset") == f"{png} 1x, {png}&scale=2 2x"
    assert page.select(".demo__scroll") == []
    for source in sources:
        for candidate in str(source["srcset"]).split(", "):
            url = candidate.split(" ")[0]
            response = client.get(url)
            assert response.status_code == 200, url
            assert response.headers["content-type"] == "image/png"
