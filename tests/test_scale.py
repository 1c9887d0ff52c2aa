"""Scale: the study and progress requests run a fixed number of SQL statements (no N+1),
however many users and reviews the database holds, and every statement finds its rows
through an index (no full scan of a table that grows with users).

The time it takes at 10,000 users and 1,000,000 reviews is measured by bench/scale.py.
"""

import json
import logging
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from bench.profile import summarize
from bench.scale import deck_cards, seed_history, seed_population, sign_up

ROOT = Path(__file__).resolve().parent.parent
# The SQL statements each request runs: who is asking (1), then the request's own work.
QUERIES = {
    # token; today's reviews by deck and kind with the interview dates; card states
    "GET /api/v1/study/next": 3,
    # token; state; log insert; update; import running? (a repeated review id is found when
    # its insert fails; the id of the scheduler configuration in force is known after the
    # process's first review under it)
    "POST /api/v1/reviews": 5,
    # token; last review; last bury or suspend; the review's card state; delete; restore;
    # import running?
    "POST /api/v1/reviews/undo": 7,
    "GET /study": 3,
    # token; card states; the year's reviews; total reviews; the predictions: the last weeks'
    # answers, each card's totals, each card's last answers
    "GET /progress": 7,
    "GET /api/v1/progress": 7,
}
STATUSES = dict.fromkeys(QUERIES, 200) | {"POST /api/v1/reviews": 201}
GROWING_TABLES = ("users", "auth_tokens", "card_states", "review_logs", "throttles")


@contextmanager
def access_log(caplog: pytest.LogCaptureFixture) -> Iterator[list[dict[str, Any]]]:
    """Collect the access-log entries written meanwhile."""
    entries: list[dict[str, Any]] = []
    with caplog.at_level(logging.INFO, logger="prepdeck.access"):
        start = len(caplog.records)
        yield entries
        entries.extend(
            json.loads(record.getMessage())
            for record in caplog.records[start:]
            if record.name == "prepdeck.access"
        )


def study_user(client: TestClient, name: str) -> tuple[int, dict[str, str]]:
    """Sign a user up; return their id and the header that authenticates them."""
    user_id, token = sign_up(client, name)
    return user_id, {"Authorization": f"Bearer {token}"}


def requests_of(client: TestClient, headers: dict[str, str]) -> dict[str, int]:
    """Make each measured request once; return the status of each."""
    statuses = {}
    card = client.get("/api/v1/study/next", headers=headers).json()["card"]
    review = {"card_id": card["id"], "rating": 3, "review_id": str(uuid.uuid4())}
    for key in QUERIES:
        method, url = key.split(" ")
        body = review if url == "/api/v1/reviews" else None
        statuses[key] = client.request(method, url, headers=headers, json=body).status_code
    return statuses


def queries_per_request(
    client: TestClient, headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> dict[str, int]:
    with access_log(caplog) as entries:
        statuses = requests_of(client, headers)
    assert statuses == STATUSES
    return {
        f"{entry['method']} {entry['path']}": entry["db_queries"]
        for entry in entries
        if f"{entry['method']} {entry['path']}" in QUERIES
    }


def test_query_counts_do_not_grow_with_the_database(
    app: FastAPI, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    engine: Engine = app.state.engine
    now = datetime.now(UTC)
    # The first review under a scheduler configuration the process has not met yet runs one
    # statement more (the upsert of its schedulers row); from then on its id is known.
    _first_id, first = study_user(client, "first")
    review = "POST /api/v1/reviews"
    assert queries_per_request(client, first, caplog) == QUERIES | {review: QUERIES[review] + 1}
    _fresh_id, fresh = study_user(client, "fresh")
    assert queries_per_request(client, fresh, caplog) == QUERIES

    veteran_id, veteran = study_user(client, "veteran")
    seed_history(
        engine, [veteran_id], reviews=500, cards=deck_cards(client), now=now, seed=1, prefix="v"
    )
    assert queries_per_request(client, veteran, caplog) == QUERIES

    seed_population(engine, users=300, reviews=30_000, cards=deck_cards(client), now=now)
    assert queries_per_request(client, veteran, caplog) == QUERIES


def _plans(engine: Engine, statement: str, parameters: Any) -> list[str]:
    """Return the lines of the database's plan for one statement."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            lines = [str(row[3]) for row in cursor.fetchall()]
        else:
            # With sequential scans priced out, the plan still shows one where no index serves.
            cursor.execute("SET enable_seqscan = off")
            cursor.execute(f"EXPLAIN {statement}", parameters)
            lines = [str(row[0]) for row in cursor.fetchall()]
        cursor.close()
    finally:
        raw.rollback()
        raw.close()
    return lines


def test_every_statement_finds_its_rows_through_an_index(app: FastAPI, client: TestClient) -> None:
    engine: Engine = app.state.engine
    now = datetime.now(UTC)
    seed_population(engine, users=50, reviews=5_000, cards=deck_cards(client), now=now)
    user_id, headers = study_user(client, "veteran")
    seed_history(
        engine, [user_id], reviews=200, cards=deck_cards(client), now=now, seed=1, prefix="v"
    )
    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE")):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert requests_of(client, headers) == STATUSES
    finally:
        event.remove(engine, "before_cursor_execute", record)

    tables = "|".join(GROWING_TABLES)
    full_scan = (
        re.compile(rf"^SCAN ({tables})\b")
        if engine.dialect.name == "sqlite"
        else re.compile(rf"Seq Scan on ({tables})\b")
    )
    assert len(statements) >= len(QUERIES)
    for statement, parameters in statements:
        plan = _plans(engine, statement, parameters)
        assert not [line for line in plan if full_scan.search(line.strip())], (statement, plan)


def test_scale_benchmark_runs_and_reports_each_request() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.scale",
            "--users",
            "40",
            "--reviews",
            "2000",
            "--requests",
            "5",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("sqlite: 40 users, 2,0")  # 2,000 seeded + the reviews made
    rows = {line.split()[0]: line.split() for line in lines[2:] if line.strip()}
    assert set(rows) == {"study/next", "POST", "progress"}
    assert "3 / 3" in " ".join(rows["study/next"])
    assert "7 / 7" in " ".join(rows["progress"])


def test_profile_summary_sums_busy_samples_by_layer(tmp_path: Path) -> None:
    samples = tmp_path / "samples.txt"
    root = "run (uvicorn/main.py:1);ObservabilityMiddleware.__call__ (app/observability.py:9)"
    samples.write_text(
        f"{root};read_next (app/api/study.py:80);build_queue (app/study/queue.py:9);"
        "do_execute (sqlalchemy/engine/default.py:1) 6\n"
        f"{root};read_next (app/api/study.py:80);dumps (json/__init__.py:1) 2\n"
        f"{root};solve_dependencies (fastapi/dependencies/utils.py:5) 2\n"
        "run (threading.py:1);Queue.get (queue.py:171);Condition.wait (threading.py:327) 90\n",
        encoding="utf-8",
    )
    assert summarize(samples).splitlines() == [
        "  time by layer: database 60%, other 20%, framework 20%",
        "   80.0%  read_next (api/study.py)",
        "   60.0%  build_queue (study/queue.py)",
    ]
