"""PostgreSQL databases for the tests, when PREPDECK_TEST_POSTGRES_URL names a server.

.ci/run sets it when PostgreSQL answers at 127.0.0.1:5432; elsewhere these tests are skipped.
"""

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

ENV = "PREPDECK_TEST_POSTGRES_URL"


def postgres_server() -> str:
    """Return the configured server's URL, or skip the test when there is none."""
    server = os.environ.get(ENV)
    if not server:
        pytest.skip(f"PostgreSQL tests need {ENV} (set by .ci/run when a server is reachable)")
    return server


def _url(server: str, name: str) -> str:
    return make_url(server).set(database=name).render_as_string(hide_password=False)


class PostgresDatabases:
    """Creates databases on the configured server and drops them, a drop in the background.

    A test's database is a copy of a template (PostgreSQL copies it in a few tens of
    milliseconds); its drop, which waits on the server's disk, runs beside the next tests.
    """

    def __init__(self, server: str) -> None:
        self.server = server
        self.admin: Engine = create_engine(server, isolation_level="AUTOCOMMIT")
        self.dropper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-database")
        self.drops: list[Future[None]] = []

    def create(self, template: str | None = None) -> str:
        """Create a new database (a copy of template, when given) and return its name."""
        name = f"prepdeck_test_{uuid.uuid4().hex[:12]}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        return name

    def url(self, name: str) -> str:
        """Return the URL of database name on the server."""
        return _url(self.server, name)

    def drop(self, name: str) -> None:
        """Drop database name now, whoever is still connected to it."""
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def drop_later(self, name: str) -> None:
        """Drop database name in the background; close() waits for it."""
        self.drops.append(self.dropper.submit(self.drop, name))

    def close(self) -> None:
        """Finish every drop (raising the first that failed) and close the connections."""
        self.dropper.shutdown(wait=True)
        try:
            for drop in self.drops:
                drop.result()
        finally:
            self.admin.dispose()


@contextmanager
def postgres_database_url() -> Iterator[str]:
    """Create an empty database on the configured server, yield its URL, and drop it afterwards."""
    databases = PostgresDatabases(postgres_server())
    try:
        name = databases.create()
        try:
            yield databases.url(name)
        finally:
            databases.drop(name)
    finally:
        databases.close()
