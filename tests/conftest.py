"""Fixtures: a fresh database per test on SQLite and on PostgreSQL, a frozen clock, a demo plant.

Lanes: `pytest` (what CI runs) runs every test on both engines; `pytest --engines sqlite -m
"not slow and not env and not screens"` is the fast lane for a developer (SQLite only, no
load tests, no sshd/Chromium/OCR, no Pilot tests). With CI set only the full lane may run.
"""

from __future__ import annotations

import inspect
import itertools
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.clock import FrozenClock
from kiosk.services.platform import database as database_service
from models import db
from tests.helpers.pg import admin_execute, database_url, scratch_database, server
from tests.helpers.plant import START, build

ENGINES = ("sqlite", "postgresql")
_database_numbers = itertools.count(1)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--engines",
        default=",".join(ENGINES),
        help="database engines to test on, comma-separated (default: sqlite,postgresql; "
        "--engines sqlite is the fast lane's, refused when CI is set)",
    )


def _engines(config: pytest.Config) -> list[str]:
    chosen = [e.strip() for e in config.getoption("--engines").split(",") if e.strip()]
    unknown = sorted(set(chosen) - set(ENGINES))
    if unknown or not chosen:
        raise pytest.UsageError(f"--engines takes sqlite and/or postgresql, not {unknown}")
    if os.environ.get("CI") and set(chosen) != set(ENGINES):
        raise pytest.UsageError("CI runs every test on both engines: drop --engines")
    return chosen


def pytest_configure(config: pytest.Config) -> None:
    _engines(config)  # a bad or CI-forbidden choice stops the run before anything is collected


def _needs(item: pytest.Item) -> str | None:
    """The engine a test runs on: its `sqlite`/`postgresql` parameter, else a PostgreSQL
    server it asks for (None: no database engine)."""
    engine = _engine_of(item.nodeid)
    if engine is None and {"pg_server", "pg_demo_plant"} & set(getattr(item, "fixturenames", ())):
        return "postgresql"
    return engine


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests that drive the app through the Pilot (`screens`: the async ones);
    deselect (never skip) the tests of the engines left out by --engines."""
    for item in items:
        if inspect.iscoroutinefunction(getattr(item, "function", None)):
            item.add_marker(pytest.mark.screens)
    engines = _engines(config)
    if len(engines) == len(ENGINES):
        return
    kept, left_out = [], []
    for item in items:
        needs = _needs(item)
        (left_out if needs is not None and needs not in engines else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A PostgreSQL server URL: QK_TEST_PG_URL, else a throwaway cluster. Never skips."""
    with server(os.environ.get("QK_TEST_PG_URL")) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """The URL of an empty database of each engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kiosk.db'}"
        db.close_all()
        return
    server = request.getfixturevalue("pg_server")
    name = f"qk_test_{os.getpid()}_{next(_database_numbers)}"
    # a database made as a copy of a template (the `database` fixture) exists already
    with scratch_database(server, name, create="database" not in request.fixturenames) as url:
        yield url


@pytest.fixture(autouse=True)
def kiosk_outbox(tmp_path_factory, monkeypatch) -> None:
    """Each test's apps keep their offline outbox in a file of their own."""
    path = tmp_path_factory.mktemp("outbox") / "outbox.db"
    monkeypatch.setenv("QK_OUTBOX_PATH", str(path))


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


# -- templates: each test gets a copy of a database migrated (and seeded) once per process --
#
# Migrating and seeding the demo plant for every test cost about 0.8 s a test on
# PostgreSQL; a copy (CREATE DATABASE ... TEMPLATE, or a file copy on SQLite) costs a
# fraction of that. The copies are made exactly as the tests made them before: the
# migrations, then seed_demo_plant at START (then grow_plant for the grown plants:
# tests/helpers/plant.py). Each template is built the first time a test of the process
# asks for it.


class _Templates(dict):
    """One engine's template databases in this process, each built on first use."""

    def __init__(self, make: Callable[[str], object]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, step: str) -> object:
        self[step] = self._make(step)
        return self[step]


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory) -> _Templates:
    folder = tmp_path_factory.mktemp("templates")

    def make(step: str) -> Path:
        path = folder / f"{step}.db"
        build(f"sqlite:///{path}", step)
        with sqlite3.connect(path) as connection:  # everything into the main file
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return path

    return _Templates(make)


@pytest.fixture(scope="session")
def pg_templates(pg_server: str) -> Iterator[_Templates]:
    def make(step: str) -> str:
        name = f"qk_template_{step}_{os.getpid()}"
        admin_execute(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin_execute(pg_server, f'CREATE DATABASE "{name}"')
        build(database_url(pg_server, name), step)
        return name

    templates = _Templates(make)
    try:
        yield templates
    finally:
        for name in templates.values():
            admin_execute(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _copy_of(request: pytest.FixtureRequest, url: str, step: str) -> str:
    """Make the test's database at `url` a copy of the template `step`; bind it."""
    db.close_all()
    if url.startswith("sqlite:"):
        path = Path(url.removeprefix("sqlite:///"))
        for leftover in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(request.getfixturevalue("sqlite_templates")[step], path)
    else:
        server = request.getfixturevalue("pg_server")
        template = request.getfixturevalue("pg_templates")[step]
        name = url.rpartition("/")[2]
        admin_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        # FILE_COPY: a file copy of the small template, much faster than the WAL-logged copy
        admin_execute(server, f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    database_service.open_database(url)
    return url


@pytest.fixture
def database(request: pytest.FixtureRequest, db_url: str) -> str:
    """An empty, migrated database bound to the shared proxy; returns its URL.

    For a test that asks for the demo plant it is the demo plant's copy straight away.
    """
    step = "demo" if "demo_plant" in request.fixturenames else "migrated"
    return _copy_of(request, db_url, step)


@pytest.fixture
def copy_of_template(request: pytest.FixtureRequest, database: str) -> Callable[[str], str]:
    """`copy_of_template(step)` makes the test's database a copy of the template `step`
    instead (a grown plant: tests/helpers/plant.py STEPS), bound; returns its URL."""
    return lambda step: _copy_of(request, database, step)


@pytest.fixture
def pg_demo_plant(request: pytest.FixtureRequest, pg_server: str) -> Iterator[tuple[str, str]]:
    """A demo plant on PostgreSQL only (for server faults and load): (URL, database name)."""
    name = f"qk_pg_plant_{os.getpid()}_{next(_database_numbers)}"
    url = _copy_of(request, database_url(pg_server, name), "demo")
    try:
        yield url, name
    finally:
        db.close_all()
        admin_execute(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def demo_plant(database: str) -> str:
    """The demo plant (seeded at START) in the test's own database; returns its URL."""
    return database  # `database` made it a copy of the demo template


def _engine_of(nodeid: str) -> str | None:
    parameters = nodeid.partition("[")[2].removesuffix("]").split("-")
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
    engines = _engines(terminalreporter.config)
    if len(engines) < len(ENGINES):
        terminalreporter.write_line(
            f"only {', '.join(engines)} (--engines): a developer's lane, not what CI runs",
            yellow=True,
            bold=True,
        )
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


@pytest.fixture
def two_roles(pg_server):
    """A plant database owned by an owner role, used by an application role."""
    suffix = os.getpid()
    owner, app, name = f"qk_owner_{suffix}", f"qk_app_{suffix}", f"qk_roles_{suffix}"
    admin_execute(pg_server, f"CREATE ROLE {owner} LOGIN")
    admin_execute(pg_server, f"CREATE ROLE {app} LOGIN")
    admin_execute(pg_server, f"CREATE DATABASE {name} OWNER {owner}")
    base = database_url(pg_server, name)
    owner_url = base.replace("postgresql://qk@", f"postgresql://{owner}@")
    app_url = base.replace("postgresql://qk@", f"postgresql://{app}@")
    try:
        yield owner_url, app_url, app
    finally:
        db.close_all()
        admin_execute(pg_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin_execute(pg_server, f"DROP ROLE IF EXISTS {app}")
        admin_execute(pg_server, f"DROP ROLE IF EXISTS {owner}")
