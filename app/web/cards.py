"""HTML page of one card, with its live demo, or the demo's question first (Predict first)."""

import secrets
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app import urls
from app.accounts.sessions import cookie_name
from app.content.models import Card, Deck
from app.deps import (
    CardDep,
    ClientDep,
    ComputeLimiterDep,
    CookiesDep,
    CsrfProtected,
    CurrentUser,
    DeckDep,
    DemoCacheDep,
    LibraryDep,
    OptionalUser,
    SessionDep,
    require_csrf,
)
from app.figures.cache import RenderBusy, RenderCache
from app.figures.demo import Demo, DemoParams
from app.figures.encode import DPI
from app.figures.params import BadParams, ParamInfo, describe, parse, query_of
from app.figures.questions import LETTERS, MAX_SEED, Asked, UnreadableAnswer, ask
from app.figures.registry import asking_demo, demos
from app.figures.wording import split_lead
from app.models import User, utcnow
from app.rehearsal.explain import BadExplanation, explain
from app.rehearsal.matching import MAX_TEXT, Coverage
from app.study.attempts import MAX_DURATION_MS, InvalidAttempt, record_attempt
from app.study.card_status import ACTION_LABELS, Action, CardStatus, card_status, change_flag
from app.study.reviews import Conflict
from app.web.templating import Page, PageDep

router = APIRouter(include_in_schema=False)

PREDICT_COOKIE = "prepdeck_predict_first"
PREDICT_MAX_AGE = 60 * 60 * 24 * 365
MAX_ANSWER_LENGTH = 40


# Below this width the page shows the narrow layout (panels stacked); as in static/style.css.
NARROW_MEDIA = "(max-width: 40rem)"
DARK_MEDIA = "(prefers-color-scheme: dark)"


@dataclass(frozen=True)
class PictureSource:
    """One <source> of a figure's <picture>: when it applies, and its 1x and 2x URLs."""

    media: str
    theme: str
    width_media: str  # the media without the theme, for a theme chosen by hand (theme.js)
    srcset: str
    width: int
    height: int


@dataclass(frozen=True)
class Picture:
    """A demo figure in both layouts, both themes and two pixel densities.

    url is the light, wide, 1x PNG: the demo's path and every parameter. The other figures add
    theme, layout and scale after them, in that order, only where they differ from it.
    """

    url: str
    demo: Demo[Any, Any]

    def src(self, theme: str = "light", layout: str = "wide", scale: int = 1) -> str:
        """Return the URL of one figure."""
        extra = "&theme=dark" if theme == "dark" else ""
        extra += "&layout=narrow" if layout == "narrow" else ""
        extra += f"&scale={scale}" if scale != 1 else ""
        return self.url + extra

    def srcset(self, theme: str = "light", layout: str = "wide") -> str:
        """Return a srcset of the figure at 1x and 2x."""
        return f"{self.src(theme, layout)} 1x, {self.src(theme, layout, 2)} 2x"

    def size(self, layout: str = "wide") -> tuple[int, int]:
        """Return the figure's size in CSS pixels (its 1x PNG's pixels)."""
        width, height = self.demo.panels.size("narrow" if layout == "narrow" else "wide")
        return round(width * DPI), round(height * DPI)

    @property
    def sources(self) -> list[PictureSource]:
        """Return the <source>s before the light wide <img>: narrow first, dark before light."""
        found = []
        for layout, width_media in (("narrow", NARROW_MEDIA), ("wide", "")):
            for theme in ("dark", "light"):
                if layout == "wide" and theme == "light":
                    continue  # the <img> itself
                media = " and ".join(
                    part for part in (width_media, DARK_MEDIA if theme == "dark" else "") if part
                )
                width, height = self.size(layout)
                found.append(
                    PictureSource(
                        media=media,
                        theme=theme,
                        width_media=width_media or "all",
                        srcset=self.srcset(theme, layout),
                        width=width,
                        height=height,
                    )
                )
        return found


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

    @property
    def caption(self) -> tuple[str, str]:
        """Return the caption's lead sentence and its details (the alt text, split)."""
        return split_lead(self.alt)

    @property
    def picture(self) -> Picture:
        """Return the figure in every layout, theme and density."""
        return Picture(urls.api_demo_image(self.demo.id, "png", self.query), self.demo)


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


@dataclass(frozen=True)
class Verdict:
    """The check of an answer (or a skip): right or wrong, the right answer, the true figure."""

    correct: bool | None  # None when the learner chose to see the figure without answering
    expected: str
    explanation: str
    figure_url: str
    alt: str


@dataclass(frozen=True)
class QuizPanel:
    """What the card page shows in Predict-first mode: the question, then the verdict."""

    demo: Demo[Any, Any]
    asked: Asked
    next_seed: int
    answer: str = ""
    error: str | None = None
    verdict: Verdict | None = None
    notice: str | None = None
    attempt_id: uuid.UUID = field(default_factory=uuid.uuid4)

    @property
    def picture(self) -> Picture | None:
        """Return the verdict's figure in every layout, theme and density."""
        return None if self.verdict is None else Picture(self.verdict.figure_url, self.demo)

    narrow_media = NARROW_MEDIA

    @property
    def sizes(self) -> dict[str, tuple[int, int]]:
        """Return the figure's size in each layout, for a verdict the page's script draws."""
        picture = Picture("", self.demo)
        return {"wide": picture.size("wide"), "narrow": picture.size("narrow")}

    @property
    def choices(self) -> list[tuple[str, str]]:
        """Return the choices of a choice question with their letters."""
        return list(zip(LETTERS, self.asked.question.choices, strict=False))


@dataclass(frozen=True)
class Explanation:
    """An explained answer on a card page: its text, and what it made or why it was refused."""

    text: str
    coverage: Coverage | None = None
    error: str | None = None


def predict_first(request: Request, cookies: CookiesDep) -> bool:
    """Return whether this browser asked for the demo's question before its figure."""
    name = cookie_name(PREDICT_COOKIE, secure=cookies.secure_names)
    return request.cookies.get(name) == "on"


def quiz_demo(card: Card) -> Demo[Any, Any] | None:
    """Return the card's demo if it asks questions."""
    return asking_demo(card.demo)


def fresh_seed() -> int:
    """Return a new random seed: a new variant of the question."""
    return secrets.randbelow(MAX_SEED + 1)


def read_seed(request: Request) -> int | None:
    """Return the seed in the page's query string, or answer 422 naming it."""
    values = request.query_params.getlist("seed")
    if not values:
        return None
    text = values[-1].strip()
    if len(values) > 1 or not text.isascii() or not text.isdigit() or int(text) > MAX_SEED:
        raise RequestValidationError(
            [
                {
                    "type": "int_parsing",
                    "loc": ("query", "seed"),
                    "msg": f"give a whole number from 0 to {MAX_SEED}, once",
                    "input": values[-1],
                }
            ]
        )
    return int(text)


async def draw_question(demo: Demo[Any, Any], seed: int, limiter: CapacityLimiter) -> Asked:
    """Draw the demo's question for a seed, off the event loop (compute() runs for it)."""
    return await to_thread.run_sync(ask, demo, seed, limiter=limiter)


async def question_panel(
    card: Card, limiter: CapacityLimiter, seed: int | None = None
) -> QuizPanel | None:
    """Return the card's question for a seed (a fresh one when None), or None if it asks none."""
    demo = quiz_demo(card)
    if demo is None:
        return None
    asked = await draw_question(demo, fresh_seed() if seed is None else seed, limiter)
    return QuizPanel(demo=demo, asked=asked, next_seed=fresh_seed())


async def summary_of(
    demo: Demo[Any, Any],
    params: DemoParams,
    cache: RenderCache,
    client: str,
    limiter: CapacityLimiter,
) -> str:
    """Return the demo's summary of a variant (the figure's alt text), drawing the figure."""
    try:
        return (await cache.render_async(demo, params, "png", "light", client=client)).alt
    except RenderBusy:  # too many figures at once: the words alone are cheap
        return await to_thread.run_sync(lambda: demo.summary(demo.compute(params)), limiter=limiter)


def check_answer(asked: Asked, answer: str) -> tuple[bool | None, str | None]:
    """Return whether a typed answer is right, or an error naming the field and what to send."""
    try:
        return asked.question.is_right(asked.question.read(answer)), None
    except UnreadableAnswer as exc:
        return None, f"answer: {exc}, or press Show"


def expected_text(asked: Asked) -> str:
    """Return the right answer as the page states it: the letter and its text, or the number."""
    question = asked.question
    if question.kind == "choice":
        return f"{question.expected}. {question.choices[question.answer]}"
    unit = f" {question.unit}" if question.unit else ""
    return f"{question.expected}{unit} (within ±{question.tolerance:g})"


async def card_page(
    request: Request,
    page: Page,
    deck: Deck,
    card: Card,
    cache: RenderCache,
    client: str,
    *,
    predicting: bool,
    quiz: QuizPanel | None = None,
    explanation: Explanation | None = None,
    flag_error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a card's page, with its demo's figure or, when given, its question.

    With an explanation checked, the answer is shown open beside what it made and missed. A
    logged-in reader sees their state of the card with its actions (and flag_error, the reason
    an action was refused); a guest sees none of it.
    """
    before, after = deck.neighbours(card)
    context: dict[str, Any] = {"deck": deck, "card": card, "before": before, "after": after}
    user = page.user()
    status_html = None
    if user is not None:
        status = await run_in_threadpool(status_of, request, user, card)
        status_html = page.part(
            "cards/_status_panel.html",
            {
                **context,
                "request": request,
                "status": status,
                "study_url": study_url(deck, status),
                "action_labels": ACTION_LABELS,
                "flag_error": flag_error,
            },
        )
    explain_html = None
    if card.key_points:
        explain_html = page.part(
            "cards/_explain_panel.html", {**context, "explanation": explanation}
        )
    reveal_open = explanation is not None and explanation.coverage is not None
    demo_html = None
    panel = None
    if quiz is not None:
        # A logged-in reader's answers are kept: the form carries their CSRF token.
        quiz_context = {**context, "quiz": quiz, "request": request, "user": page.user()}
        demo_html = page.part("cards/_quiz_panel.html", quiz_context)
    else:
        panel = await demo_panel(request, card.demo, cache, client)
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
    switch_html = None
    if quiz_demo(card) is not None:
        # Apart from the cached demo panel: the switch's form carries this browser's CSRF token.
        switch_html = page.part(
            "cards/_predict_switch.html",
            {**context, "predicting": predicting, "request": request},
        )
    if panel is not None and panel.errors:
        status_code = 422
    return page(
        "cards/card.html",
        {
            **context,
            "card_head": page.fragment(
                "cards/_card_head.html",
                {**context, "reveal_open": reveal_open},
                ("head", deck.id, card.id, reveal_open),
            ),
            "explain_html": explain_html,
            "status_html": status_html,
            "card_tail": page.fragment(
                "cards/_card_tail.html", context, ("tail", deck.id, card.id)
            ),
            "demo_html": demo_html,
            "switch_html": switch_html,
            "predicting": quiz is not None,
            "json_url": urls.api_card(deck.id, card.id),
        },
        status_code=status_code,
    )


def status_of(request: Request, user: User, card: Card) -> CardStatus:
    """Return the user's state of a card, read in a session of its own (run in a thread)."""
    with request.app.state.sessionmaker() as session:
        return card_status(session=session, user=user, card=card, now=utcnow())


def study_url(deck: Deck, status: CardStatus) -> str:
    """Return where Study leads: this card when studying it shows it today, else its deck."""
    if status.studiable:
        return urls.study({"cards": status.card_id})
    return urls.study({"deck": deck.id})


@router.get("/decks/{deck_id}/cards/{card_id}", response_class=HTMLResponse)
async def read_card(
    request: Request,
    page: PageDep,
    deck: DeckDep,
    card: CardDep,
    cache: DemoCacheDep,
    client: ClientDep,
    limiter: ComputeLimiterDep,
    cookies: CookiesDep,
) -> HTMLResponse:
    """Show one card: question, answer behind a reveal, formula, code, pros and cons, demo."""
    predicting = predict_first(request, cookies)
    quiz = None
    if predicting and quiz_demo(card) is not None:
        quiz = await question_panel(card, limiter, read_seed(request))
    return await card_page(
        request, page, deck, card, cache, client, predicting=predicting, quiz=quiz
    )


SeedForm = Annotated[int, Form(ge=0, le=MAX_SEED, description="names the variant")]


@router.post("/decks/{deck_id}/cards/{card_id}/quiz", response_class=HTMLResponse)
async def submit_quiz(
    request: Request,
    page: PageDep,
    deck: DeckDep,
    card: CardDep,
    cache: DemoCacheDep,
    client: ClientDep,
    limiter: ComputeLimiterDep,
    cookies: CookiesDep,
    user: OptionalUser,
    session: SessionDep,
    seed: SeedForm,
    answer: Annotated[str, Form(max_length=MAX_ANSWER_LENGTH)] = "",
    show: Annotated[Literal["", "1"], Form()] = "",
    attempt_id: Annotated[uuid.UUID | None, Form()] = None,
    duration_ms: Annotated[int | None, Form(ge=0, le=MAX_DURATION_MS)] = None,
    csrf_token: Annotated[str | None, Form(max_length=200)] = None,
) -> HTMLResponse:
    """Check an answer to the card's question (or skip it), then show the true figure.

    A logged-in reader's answer is stored as an attempt when the form carries their CSRF token
    (the page's form does); without it the answer is checked and stored nowhere, as a guest's.
    """
    demo = quiz_demo(card)
    if demo is None:
        raise HTTPException(404, f"Card '{card.id}' has no question: its demo asks none.")
    # Drawn again from the seed: the form carries nothing else worth trusting.
    asked = await draw_question(demo, seed, limiter)
    correct, error = (None, None) if show else check_answer(asked, answer)
    predicting = predict_first(request, cookies)
    if error is not None:
        quiz = QuizPanel(
            demo=demo,
            asked=asked,
            answer=answer,
            error=error,
            next_seed=fresh_seed(),
        )
        return await card_page(
            request,
            page,
            deck,
            card,
            cache,
            client,
            predicting=predicting,
            quiz=quiz,
            status_code=422,
        )
    notice, status_code = None, 200
    if correct is not None and user is not None and csrf_token is not None:
        await require_csrf(request, user, cookies)
        try:
            await run_in_threadpool(
                record_attempt,
                session=session,
                user=user,
                card=card,
                asked=asked,
                answer=answer,
                correct=correct,
                duration_ms=duration_ms,
                attempt_id=attempt_id or uuid.uuid4(),
                now=utcnow(),
            )
        except (Conflict, InvalidAttempt) as exc:
            notice = f"Checked, but not saved to your progress: {exc}"
            status_code = exc.status
    figure_url = urls.api_demo_image(demo.id, "png", urlencode(query_of(asked.params)))
    verdict = Verdict(
        correct=correct,
        expected=expected_text(asked),
        explanation=asked.question.explanation,
        figure_url=figure_url,
        alt=await summary_of(demo, asked.params, cache, client, limiter),
    )
    quiz = QuizPanel(
        demo=demo,
        asked=asked,
        answer=answer,
        verdict=verdict,
        notice=notice,
        next_seed=fresh_seed(),
    )
    return await card_page(
        request,
        page,
        deck,
        card,
        cache,
        client,
        predicting=predicting,
        quiz=quiz,
        status_code=status_code,
    )


@router.post("/decks/{deck_id}/cards/{card_id}/explain", response_class=HTMLResponse)
async def submit_explanation(
    request: Request,
    page: PageDep,
    deck: DeckDep,
    card: CardDep,
    cache: DemoCacheDep,
    client: ClientDep,
    limiter: ComputeLimiterDep,
    cookies: CookiesDep,
    text: Annotated[str, Form(max_length=MAX_TEXT)] = "",
) -> HTMLResponse:
    """Check an explained answer against the card's key points; show them beside the answer.

    Nothing is stored. The card's demo shows as on a visit (its question, in Predict first).
    """
    if not card.key_points:
        raise HTTPException(404, f"Card '{card.id}' has no key points to explain it against.")
    predicting = predict_first(request, cookies)
    quiz = await question_panel(card, limiter) if predicting else None
    status_code = 200
    if not text.strip():
        explanation = Explanation(text, error="text: type your explanation first")
        status_code = 422
    else:
        try:
            explanation = Explanation(text, coverage=explain(card, text))
        except BadExplanation as exc:
            explanation, status_code = Explanation(text, error=str(exc)), exc.status
    return await card_page(
        request,
        page,
        deck,
        card,
        cache,
        client,
        predicting=predicting,
        quiz=quiz,
        explanation=explanation,
        status_code=status_code,
    )


@router.post(
    "/decks/{deck_id}/cards/{card_id}/predict-first",
    dependencies=[CsrfProtected],
    response_class=RedirectResponse,
)
async def switch_predict_first(
    deck: DeckDep,
    card: CardDep,
    cookies: CookiesDep,
    request: Request,
    on: Annotated[Literal["0", "1"], Form()],
) -> RedirectResponse:
    """Turn Predict first on or off for this browser, then show the card again."""
    response = RedirectResponse(urls.card(deck.id, card.id, fragment="demo"), status_code=303)
    name = cookie_name(PREDICT_COOKIE, secure=cookies.secure_names)
    if on == "1":
        response.set_cookie(
            name,
            "on",
            max_age=PREDICT_MAX_AGE,
            samesite="lax",
            httponly=True,
            secure=cookies.secure_names or request.url.scheme == "https",
        )
    else:
        response.delete_cookie(name, samesite="lax", httponly=True, secure=cookies.secure_names)
    return response


@router.post(
    "/decks/{deck_id}/cards/{card_id}/flag",
    dependencies=[CsrfProtected],
    response_class=HTMLResponse,
)
async def submit_card_flag(
    request: Request,
    page: PageDep,
    deck: DeckDep,
    card: CardDep,
    user: CurrentUser,
    session: SessionDep,
    library: LibraryDep,
    cache: DemoCacheDep,
    client: ClientDep,
    limiter: ComputeLimiterDep,
    cookies: CookiesDep,
    action: Annotated[Action, Form()],
    next: Annotated[str, Form(max_length=urls.MAX_NEXT)] = "",
) -> Response:
    """Bury, unbury, suspend or unsuspend this card for the user, then go to `next` (a path on
    this site; else the card page). A refused change shows the card page with the reason (409).
    """
    try:
        await run_in_threadpool(
            change_flag,
            session=session,
            user=user,
            library=library,
            card_id=card.id,
            action=action,
            now=utcnow(),
        )
    except Conflict as exc:
        predicting = predict_first(request, cookies)
        quiz = await question_panel(card, limiter) if predicting else None
        return await card_page(
            request,
            page,
            deck,
            card,
            cache,
            client,
            predicting=predicting,
            quiz=quiz,
            flag_error=str(exc),
            status_code=exc.status,
        )
    target = urls.same_site_path(next, urls.card(deck.id, card.id, fragment="status"))
    return RedirectResponse(target, status_code=303)
