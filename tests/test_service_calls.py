"""The screens' one service-call helper (screens/base.py `call_service`): an answer that
comes back after its screen was closed is dropped, and a write a person started is made
once however often they press its key while it is on its way.

To keep the first call on its way for as long as the test needs, another connection holds
the defect table's write lock (as another terminal in the middle of a write would).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Iterator

from textual.widgets import Input, Select

from models import Defect, DefectProgress, db
from screens.action_form import ActionForm
from screens.defect_detail import DefectDetailScreen
from screens.defect_report import DefectReportScreen
from screens.station import StationScreen
from tests.helpers.app import (
    SMALL,
    make_app,
    message,
    open_defect_from_worklist,
    open_defect_report,
    set_fields,
    settle,
    sign_in,
)

STILL_WORKING = "Still working on it: one press is enough."


@contextlib.contextmanager
def defects_locked(url: str) -> Iterator[None]:
    """Another terminal holds the write lock on the defects until the block ends: a write
    to them waits (SQLite: the database's write lock; PostgreSQL: the table's)."""
    if url.startswith("sqlite:"):
        other = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    import psycopg

    with psycopg.connect(url) as server:
        server.execute(f'LOCK TABLE "{Defect._meta.table_name}" IN EXCLUSIVE MODE')
        yield
        server.rollback()


async def until_answered(pilot, screen, group: str) -> None:
    """Wait until the screen's call of `group` has delivered (or dropped) its answer."""
    for _ in range(600):  # a bound, so a lost answer fails the test instead of hanging it
        if not screen.in_flight(group):
            break
        await pilot.pause(0.05)
    assert not screen.in_flight(group), "the answer never came back"
    await settle(pilot)


def _short_id(description: str) -> str:
    with db.connection():
        return str(Defect.get(Defect.description.startswith(description)).id)[:8]


async def test_a_double_save_while_the_first_is_on_its_way_writes_once_and_says_so(
    demo_plant, clock
):
    short_id = _short_id("Crimp height out of tolerance")
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot, "E1004")
        await open_defect_from_worklist(pilot, app, short_id)
        await pilot.press("p")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ActionForm)
        await set_fields(pilot, app, progress="Crimp die replaced, 5 pulls tested")
        with defects_locked(demo_plant):
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert message(app) == "Saving…"
            assert form.has_class("-busy")
            await pilot.press("ctrl+s")  # impatient: the first is still on its way
            await pilot.pause()
            assert app.screen is form
            assert message(app) == STILL_WORKING
        await until_answered(pilot, form, "submit")
        assert isinstance(app.screen, DefectDetailScreen)
        assert message(app).startswith(f"Progress saved on defect {short_id}")
        assert not form.has_class("-busy")
    with db.connection():
        posts = DefectProgress.select().where(
            DefectProgress.text == "Crimp die replaced, 5 pulls tested"
        )
        assert posts.count() == 1


async def test_an_answer_for_a_closed_screen_leaves_the_screen_now_shown_alone(
    demo_plant, clock, caplog
):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SMALL) as pilot:
        await sign_in(pilot)
        await open_defect_report(pilot)
        report = app.screen
        assert isinstance(report, DefectReportScreen)
        report.query_one("#category", Select).value = "machine"
        report.query_one("#description", Input).value = "Label printer smudges the QR"
        await pilot.pause()
        with caplog.at_level(logging.DEBUG, logger="kiosk.screens"):
            with defects_locked(demo_plant):
                await pilot.press("ctrl+s")
                await pilot.pause()
                assert message(app) == "Saving…"
                await pilot.press("escape")  # the person walks away before the answer
                await pilot.pause()
                await pilot.pause()
                assert isinstance(app.screen, StationScreen)
                shown = message(app)
            await until_answered(pilot, report, "submit")
        # the report was saved (the write went ahead), but its answer touched nothing here
        assert isinstance(app.screen, StationScreen)
        assert message(app) == shown
        assert "reported" not in shown
        assert "answered after its screen" in caplog.text
    with db.connection():
        saved = Defect.select().where(Defect.description == "Label printer smudges the QR")
        assert saved.count() == 1
