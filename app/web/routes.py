"""The routers of the HTML pages, in the order they are matched."""

from app.web import (
    accounts,
    admin,
    assets,
    browse,
    cards,
    decks,
    interviews,
    plan,
    progress,
    settings,
    study,
)

ROUTERS = (
    decks.router,
    cards.router,
    accounts.router,
    study.router,
    interviews.router,
    progress.router,
    browse.router,
    plan.router,
    settings.router,
    admin.router,
    assets.router,
)
