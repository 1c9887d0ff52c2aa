"""The fsrs command group: fit users' FSRS parameters now, in this process."""

import click
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.accounts.commands import named_user
from app.cli_common import command_settings, shown
from app.db import make_engine, make_sessionmaker
from app.db_commands import upgrade_database
from app.models import FsrsFit, User
from app.study.fit_jobs import claim, request_fit, run_job


@click.group("fsrs")
def fsrs_group() -> None:
    """Fit FSRS parameters to users' review logs."""


@fsrs_group.command("optimize")
@click.option("--user", "username", help="Fit this user's parameters.")
@click.option("--all", "every", is_flag=True, help="Fit every user's parameters.")
def optimize_command(username: str | None, every: bool) -> None:
    """Fit parameters now (one line per user); adopt them where they predict better."""
    if every == (username is not None):
        raise click.UsageError("give either --user NAME or --all")
    settings = command_settings()
    upgrade_database(settings)
    engine = make_engine(settings)
    try:
        factory = make_sessionmaker(engine)
        with factory() as session:
            chosen = (
                list(session.scalars(select(User).order_by(User.username)))
                if every
                else [named_user(session, username or "")]
            )
            users = [(user.id, user.username) for user in chosen]
        for user_id, name in users:
            click.echo(f"{shown(name)}: {_fit_one(factory, user_id)}")
    finally:
        engine.dispose()


def _fit_one(factory: sessionmaker[Session], user_id: int) -> str:
    with factory() as session:
        user = session.get(User, user_id)
        assert user is not None
        fit = request_fit(session, user, "schedule")
        job = claim(session, fit.id)
    if job is None:
        return f"a fit is already {fit.status} elsewhere (fit {fit.id})"
    run_job(factory, job)
    with factory() as session:
        done = session.get(FsrsFit, fit.id)
        assert done is not None
        return describe(done)


def describe(fit: FsrsFit) -> str:
    """Return one line about a finished fit."""
    line = fit.status
    if fit.current_log_loss is not None and fit.fitted_log_loss is not None:
        line += (
            f" ({fit.review_count} reviews; log loss {fit.current_log_loss:.4f} -> "
            f"{fit.fitted_log_loss:.4f}, RMSE {fit.current_rmse:.4f} -> {fit.fitted_rmse:.4f})"
        )
    elif fit.message:
        line += f" ({fit.message})"
    return line
