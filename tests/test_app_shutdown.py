"""A kiosk that quits while the change feed delivers writes no traceback (issue 13)."""

from __future__ import annotations

import logging

from tests.helpers.app import make_app, settle


async def test_a_change_heard_while_quitting_is_dropped_quietly(database, clock, caplog):
    app = make_app(database, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app._data_changed()  # while running: delivered to the screen
    caplog.set_level(logging.ERROR)
    app._heard_change()  # the feed's thread, after the app stopped
    app._data_changed()  # the callback that was already queued: no screens left
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
