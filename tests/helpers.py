"""Helpers shared by the tests."""

import httpx2
from bs4 import BeautifulSoup, Tag
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.models import User


def soup(response: httpx2.Response) -> BeautifulSoup:
    """Parse an HTML response for CSS-selector checks."""
    assert response.headers["content-type"].startswith("text/html")
    return BeautifulSoup(response.text, "html.parser")


def text_of(page: Tag, selector: str) -> str:
    """Return the whitespace-normalized text of the one element matching selector."""
    element = page.select_one(selector)
    assert element is not None, f"no element matches {selector!r}"
    return " ".join(element.get_text(" ").split())


def attr(page: Tag, selector: str, name: str) -> str:
    """Return one attribute of the one element matching selector."""
    element = page.select_one(selector)
    assert element is not None, f"no element matches {selector!r}"
    value = element.get(name)
    assert isinstance(value, str), f"{selector!r} has no {name!r} attribute"
    return value


def urls_of(page: Tag, selector: str) -> list[str]:
    """Return the src or href of every element matching selector."""
    urls = []
    for element in page.select(selector):
        url = element.get("src") or element.get("href")
        assert isinstance(url, str), element
        urls.append(url)
    return urls


def add_user(session: Session, username: str = "ada", **settings: object) -> User:
    """Add a user quickly (a placeholder hash instead of argon2) with some study settings."""
    user = User(username=username, password_hash="unused", is_admin=False, **settings)
    session.add(user)
    session.commit()
    return user


PASSWORD = "correct horse battery"  # long enough for the password rule


def refuse_writes(session: Session, event: str, table: str, card_id: str) -> None:
    """Make the database refuse an INSERT or UPDATE of one card's rows (a write failing midway)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            text(
                f"CREATE TRIGGER refuse BEFORE {event} ON {table} "
                f"WHEN NEW.card_id = '{card_id}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        )
    else:
        session.execute(
            text(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.card_id = '{card_id}' THEN RAISE EXCEPTION 'refused'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
        )
        session.execute(
            text(
                f"CREATE TRIGGER refuse BEFORE {event} ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
        )
    session.commit()
