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

# Matched before the pages: FastAPI tries the routes in order, and the study routes run for
# every card studied (trying every page's route first cost a third of study/next).
FIRST = (study.router,)
ROUTERS = (
    decks.router,
    cards.router,
    quiz.router,
    explain.router,
    interviews.router,
    demos.router,
    accounts.router,
    progress.router,
    plan.router,
    settings.router,
    browse.router,
    fsrs.router,
    admin.router,
)
