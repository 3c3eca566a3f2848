"""Start-up: the first screen before the database layer; then the database, or a clear stop.

`kiosk run` draws the sign-in screen before it loads the rules and opens the database
(kiosk/app.py). A badge scanned in that moment is handled once they are loaded; a
database that does not answer lets the kiosk start offline; a database it cannot use
(no tables, an old schema) stops it with a message and it carries on once IT fixed it.
"""

from __future__ import annotations

import subprocess
import sys

from kiosk.config import Settings
from kiosk.services.platform import database
from models import db
from screens.signin import SignInScreen
from screens.start_problem import StartProblemScreen
from screens.station import StationScreen
from tests.helpers.app import SIZE, make_app, post_keys, settle, text_of

FIRST_SCREEN_IMPORTS = """
import sys
import kiosk.cli
kiosk.cli.build_parser()
import kiosk.app, screens.signin
print(sorted(m for m in sys.modules if m.split(".")[0] in ("peewee", "playhouse", "psycopg")
             or m.startswith(("models", "kiosk.services"))))
"""


def test_the_first_screen_loads_no_database_code() -> None:
    """What `kiosk run` imports before its first screen is drawn: no Peewee, no tables."""
    result = subprocess.run(
        [sys.executable, "-c", FIRST_SCREEN_IMPORTS], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


async def test_a_badge_scanned_the_moment_the_kiosk_starts_is_signed_in(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        post_keys(app, "E1002\n")  # before the start-up thread has finished
        await settle(pilot)
        assert app.services_started.is_set()
        assert isinstance(app.screen, StationScreen)
        assert app.user is not None and app.user.name == "Li Na"


async def test_a_database_that_does_not_answer_starts_the_kiosk_offline(demo_plant, clock):
    dead = "postgresql://qk@127.0.0.1:1/gone"
    app = make_app(dead, clock)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, SignInScreen)
            assert "DB unreachable" in app.status_line()
            await pilot.press(*"E3003", "enter")
            await settle(pilot)
            assert isinstance(app.screen, SignInScreen)
            assert "has not signed in on this kiosk before" in text_of(app, "#message")
            # the answer came from the kept roster: the database is still away
            assert "DB unreachable" in app.status_line()
    finally:
        db.bind(demo_plant)


async def test_an_old_schema_stops_the_kiosk_until_it_is_upgraded(db_url, clock):
    """An empty database: the kiosk says what to do, then carries on by itself."""
    app = make_app(db_url, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, StartProblemScreen)
        problem = text_of(app, "#start-problem-text")
        # no SQLite file yet (a kiosk never makes one) / a PostgreSQL database with no tables
        empty = "There is no database at" if db_url.startswith("sqlite") else "no Quality Kiosk"
        assert empty in problem and "kiosk db upgrade" in problem
        assert "DB not usable" in app.status_line() and "online" not in app.status_line()
        # the sign-in screen waits underneath; nothing can be done until the schema is right
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, StartProblemScreen)
        # IT upgrades the database from another terminal
        database.open_database(db_url)
        database.upgrade(clock)
        await pilot.press("r")
        await settle(pilot, rounds=8)
        assert isinstance(app.screen, SignInScreen)
        assert app.start_problem is None and app.services_started.is_set()
        assert "DB online" in app.status_line()


async def test_a_database_url_that_is_not_valid_is_shown_not_raised(tmp_path, clock):
    settings = Settings(database_url="mysql://nobody@somewhere/db", terminal_id="TEST-1")
    from kiosk.app import KioskApp

    app = KioskApp(settings, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, StartProblemScreen)
        assert "The database URL is not valid" in text_of(app, "#start-problem-text")
