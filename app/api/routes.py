"""The routers of the JSON API.

Each router starts its own prefix with urls.API (/api/v1) rather than being included in one
/api/v1 router: FastAPI keeps an enclosing router's prefix out of the route's path, and the
metrics label requests by that path.
"""

from app.api import (
    accounts,
    admin,
    browse,
    cards,
    decks,
    demos,
    explain,
    fsrs,
    interviews,
    plan,
    progress,
    quiz,
    settings,
    study,
)

ROUTERS = (
    decks.router,
    cards.router,
    quiz.router,
    explain.router,
    interviews.router,
    demos.router,
    accounts.router,
    study.router,
    progress.router,
    plan.router,
    settings.router,
    browse.router,
    fsrs.router,
    admin.router,
)
