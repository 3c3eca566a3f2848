"""Fixtures: a fresh database per test on SQLite and on PostgreSQL, a frozen clock, a demo plant."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from kiosk.clock import FrozenClock
from kiosk.services import database as database_service
from kiosk.services.demo import seed_demo_plant
from models import db
from tests.pg import Cluster, admin_execute, database_url

START = datetime(2025, 9, 10, 8, 0, tzinfo=UTC)
_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A PostgreSQL server URL: QK_TEST_PG_URL, else a throwaway cluster. Never skips."""
    given = os.environ.get("QK_TEST_PG_URL")
    if given:
        yield given
        return
    cluster = Cluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """The URL of an empty database of each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kiosk.db'}"
        db.close_all()
        return
    server = request.getfixturevalue("pg_server")
    name = f"qk_test_{os.getpid()}_{next(_database_numbers)}"
    admin_execute(server, f'CREATE DATABASE "{name}"')
    try:
        yield database_url(server, name)
    finally:
        db.close_all()
        admin_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def kiosk_outbox(tmp_path_factory, monkeypatch) -> None:
    """Each test's apps keep their offline outbox in a file of their own."""
    path = tmp_path_factory.mktemp("outbox") / "outbox.db"
    monkeypatch.setenv("QK_OUTBOX_PATH", str(path))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def database(db_url: str, clock: FrozenClock) -> str:
    """An empty, migrated database bound to the shared proxy; returns its URL."""
    database_service.open_database(db_url)
    database_service.upgrade(clock)
    return db_url


@pytest.fixture
def pg_demo_plant(pg_server: str, clock: FrozenClock) -> Iterator[tuple[str, str]]:
    """A demo plant on PostgreSQL only (for server faults and load): (URL, database name)."""
    name = f"qk_pg_plant_{os.getpid()}_{next(_database_numbers)}"
    admin_execute(pg_server, f'CREATE DATABASE "{name}"')
    url = database_url(pg_server, name)
    database_service.open_database(url)
    database_service.upgrade(clock)
    seed_demo_plant(clock)
    try:
        yield url, name
    finally:
        db.close_all()
        admin_execute(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def demo_plant(database: str, clock: FrozenClock) -> str:
    seed_demo_plant(clock)
    return database


def _engine_of(nodeid: str) -> str | None:
    parameters = nodeid.rpartition("[")[2].rstrip("]").split("-") if "[" in nodeid else []
    return next((e for e in ("sqlite", "postgresql") if e in parameters), None)


def _engine_counts(stats: dict) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in stats.get(outcome, []):
            engine = _engine_of(getattr(report, "nodeid", ""))
            if engine and (outcome != "passed" or report.when == "call"):
                counts[(engine, outcome)] = counts.get((engine, outcome), 0) + 1
    return counts


def pytest_terminal_summary(terminalreporter) -> None:
    """How many database tests ran on each engine (the PostgreSQL ones must run)."""
    counts = _engine_counts(terminalreporter.stats)
    terminalreporter.section("database engines")
    for engine in ("sqlite", "postgresql"):
        terminalreporter.write_line(
            f"{engine}: "
            + ", ".join(
                f"{counts.get((engine, outcome), 0)} {outcome}"
                for outcome in ("passed", "failed", "skipped", "error")
            )
        )


def pytest_sessionfinish(session) -> None:
    """A skipped PostgreSQL test fails the run: CI must never skip them."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter and _engine_counts(reporter.stats).get(("postgresql", "skipped")):
        session.exitstatus = 1
