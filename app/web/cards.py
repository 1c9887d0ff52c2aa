"""HTML page of one card, with its live demo."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app import urls
from app.deps import CardDep, ClientDep, DeckDep, DemoCacheDep
from app.figures.cache import RenderBusy, RenderCache
from app.figures.demo import Demo, DemoParams
from app.figures.params import BadParams, ParamInfo, describe, parse, query_of
from app.figures.registry import demos
from app.web.templating import PageDep

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class DemoPanel:
    """What the card page shows of a demo: controls, current values, image URLs, alt text."""

    demo: Demo[Any, Any]
    params: tuple[ParamInfo, ...]
    values: dict[str, str]
    query: str
    alt: str
    errors: list[str]
    busy: bool = False

    def image(self, theme: str, fmt: str = "png") -> str:
        """Return the image URL for a theme."""
        return urls.api_demo_image(self.demo.id, fmt, f"{self.query}&theme={theme}")


async def demo_panel(
    request: Request, demo_id: str | None, cache: RenderCache, client: str
) -> DemoPanel | None:
    """Read the demo's parameters from the page's query string and render its figure."""
    demo = demos().get(demo_id) if demo_id else None
    if demo is None:
        return None
    errors: list[str] = []
    try:
        params: DemoParams = parse(demo.params, request.query_params.multi_items())
    except BadParams as exc:
        errors = [str(error["msg"]) for error in exc.errors]
        params = demo.params()
    # Drawn here for its alt text; the page's <img> then finds it in the cache.
    rendered = None
    busy = False
    try:
        rendered = await cache.render_async(demo, params, "png", "light", client=client)
    except RenderBusy:  # the page still shows; the figure may come on a reload
        busy = True
    values = query_of(params)
    return DemoPanel(
        demo=demo,
        params=describe(demo.params),
        values=values,
        query=urlencode(values),
        alt=rendered.alt if rendered is not None else f"Figure: {demo.title}",
        errors=errors,
        busy=busy,
    )


@router.get("/decks/{deck_id}/cards/{card_id}", response_class=HTMLResponse)
async def read_card(
    request: Request,
    page: PageDep,
    deck: DeckDep,
    card: CardDep,
    cache: DemoCacheDep,
    client: ClientDep,
) -> HTMLResponse:
    """Show one card: question, answer behind a reveal, formula, code, pros and cons, demo."""
    before, after = deck.neighbours(card)
    context = {"deck": deck, "card": card, "before": before, "after": after}
    panel = await demo_panel(request, card.demo, cache, client)
    demo_html = None
    if panel is not None:
        # The figure with default parameters is the common case: render its panel once.
        default = not request.query_params and not panel.busy
        key = ("demo-panel", deck.id, card.id) if default else None
        demo_context = {**context, "demo": panel}
        demo_html = (
            page.fragment("cards/_demo_panel.html", demo_context, key)
            if key
            else page.part("cards/_demo_panel.html", demo_context)
        )
    return page(
        "cards/card.html",
        {
            **context,
            "card_head": page.fragment(
                "cards/_card_head.html", context, ("head", deck.id, card.id)
            ),
            "card_tail": page.fragment(
                "cards/_card_tail.html", context, ("tail", deck.id, card.id)
            ),
            "demo_html": demo_html,
            "json_url": urls.api_card(deck.id, card.id),
        },
        status_code=422 if panel and panel.errors else 200,
    )
