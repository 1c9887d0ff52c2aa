"""The user commands: create, set-password and list."""

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.service import (
    AccountError,
    check_username,
    create_user,
    get_user,
    set_password,
)
from app.cli_common import command_settings, shown
from app.db_commands import open_session
from app.models import User


def named_user(session: Session, username: str) -> User:
    """Return the user called username, or fail pointing to `prepdeck user list`."""
    try:
        check_username(username)
    except AccountError:
        user = None  # no such name can exist; asking the database could fail on a NUL
    else:
        user = get_user(session, username)
    if user is None:
        raise click.ClickException(f"no user '{shown(username)}': see `prepdeck user list`")
    return user


def _password(value: str | None) -> str:
    if value is not None:
        return value
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.group("user")
def user_group() -> None:
    """Manage users."""


@user_group.command("create")
@click.argument("username")
@click.option("--password", help="The password (asked for when left out).")
@click.option("--admin/--no-admin", default=None, help="Make an admin (default: the first user).")
def user_create(username: str, password: str | None, admin: bool | None) -> None:
    """Create a user."""
    with open_session(command_settings()) as session:
        try:
            user = create_user(
                session=session, username=username, password=_password(password), is_admin=admin
            )
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        role = "admin" if user.is_admin else "user"
        click.echo(f"created {role} '{user.username}'")


@user_group.command("set-password")
@click.argument("username")
@click.option("--password", help="The new password (asked for when left out).")
def user_set_password(username: str, password: str | None) -> None:
    """Set a user's password and end their sessions."""
    with open_session(command_settings()) as session:
        user = named_user(session, username)
        try:
            set_password(session=session, user=user, password=_password(password))
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"password of '{user.username}' changed; their sessions are ended")


@user_group.command("list")
def user_list() -> None:
    """List the users."""
    with open_session(command_settings()) as session:
        users = session.scalars(select(User).order_by(User.username)).all()
        if not users:
            click.echo("no users yet: `prepdeck user create NAME`")
        for user in users:
            role = "admin" if user.is_admin else "user"
            click.echo(f"{user.username}\t{role}\tcreated {user.created_at:%Y-%m-%d}")
