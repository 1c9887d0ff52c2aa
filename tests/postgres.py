"""A fresh PostgreSQL database per test, when PREPDECK_TEST_POSTGRES_URL names a server.

.ci/run sets it when PostgreSQL answers at 127.0.0.1:5432; elsewhere these tests are skipped.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ENV = "PREPDECK_TEST_POSTGRES_URL"


@contextmanager
def postgres_database_url() -> Iterator[str]:
    """Create a database on the configured server, yield its URL, and drop it afterwards."""
    server = os.environ.get(ENV)
    if not server:
        pytest.skip(f"PostgreSQL tests need {ENV} (set by .ci/run when a server is reachable)")
    name = f"prepdeck_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
