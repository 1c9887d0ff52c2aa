"""The fsrs optimize command."""

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.cli import main
from app.config import Settings
from app.db import make_engine, make_sessionmaker
from app.models import FsrsFit, User
from tests.commands import assert_one_line_error, runner_with_ada
from tests.helpers import PASSWORD
from tests.study.learners import simulate, store


@pytest.fixture
def runner(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    runner = runner_with_ada(settings, monkeypatch)
    assert runner.invoke(main, ["user", "create", "bob", "--password", PASSWORD]).exit_code == 0
    engine = make_engine(settings)
    with make_sessionmaker(engine)() as session:
        ada = session.scalars(select(User).where(User.username == "ada")).one()
        store(session, ada.id, simulate(cards=300, reviews_per_card=10, seed=7))
    engine.dispose()
    return runner


def test_optimize_all_prints_a_line_per_user(runner: CliRunner, settings: Settings) -> None:
    result = runner.invoke(main, ["fsrs", "optimize", "--all"])
    assert result.exit_code == 0, result.output
    ada, bob = result.stdout.splitlines()
    assert ada.startswith("ada: adopted (3000 reviews; log loss ")
    assert bob == (
        "bob: too_few (needs 64 more reviews: a fit needs 64 reviews on a later day than "
        "the card's previous review; there are 0)"
    )
    engine = make_engine(settings)
    with make_sessionmaker(engine)() as session:
        fits = session.scalars(select(FsrsFit.trigger)).all()
        ada_parameters = session.scalars(
            select(User.fsrs_parameters).where(User.username == "ada")
        ).one()
    engine.dispose()
    assert fits == ["schedule", "schedule"]
    assert ada_parameters is not None
    again = runner.invoke(main, ["fsrs", "optimize", "--user", "ada"])
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("ada: kept (3000 reviews; log loss ")


def test_optimize_an_unknown_user_fails_clearly(runner: CliRunner) -> None:
    result = runner.invoke(main, ["fsrs", "optimize", "--user", "nobody"])
    assert_one_line_error(result, "no user 'nobody': see `prepdeck user list`")


@pytest.mark.parametrize("arguments", [[], ["--all", "--user", "ada"]], ids=["neither", "both"])
def test_optimize_needs_one_of_user_and_all(runner: CliRunner, arguments: list[str]) -> None:
    result = runner.invoke(main, ["fsrs", "optimize", *arguments])
    assert result.exit_code == 2
    assert "give either --user NAME or --all" in result.stderr
