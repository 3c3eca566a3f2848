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
def demo_plant(database: str, clock: FrozenClock) -> str:
    seed_demo_plant(clock)
    return database
