"""The change feed: a write on another connection reaches a listener within a second."""

from __future__ import annotations

import threading
import time

from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.platform import auth
from kiosk.services.platform.live import ChangeFeed


def test_a_write_elsewhere_reaches_the_listener_within_a_second(demo_plant, clock):
    heard: list[float] = []
    event = threading.Event()

    def on_change() -> None:
        heard.append(time.monotonic())
        event.set()

    feed = ChangeFeed(demo_plant, on_change).start()
    try:
        assert feed.connected.wait(5)
        time.sleep(0.5)  # let the PostgreSQL listener's catch-up call pass
        event.clear()
        heard.clear()
        written_at: list[float] = []

        def write() -> None:
            draft = DefectDraft("L1-S01", "machine", "minor", "inspection", "Live feed check")
            report_defect(auth.identify_badge("E1002"), draft, clock=clock)
            written_at.append(time.monotonic())

        writer = threading.Thread(target=write)
        writer.start()
        writer.join()
        assert event.wait(2), "no change heard"
        assert heard[0] - written_at[0] < 1.0
        # a read does not wake boards
        event.clear()
        auth.identify_badge("E1002")
        assert not event.wait(0.6)
    finally:
        feed.stop()


def test_listener_survives_and_stops(database):
    feed = ChangeFeed(database, lambda: None).start()
    assert feed.connected.wait(5)
    feed.stop()
    assert feed._thread is not None and not feed._thread.is_alive()


async def test_board_shows_a_write_from_another_thread_within_a_second(demo_plant, clock):
    from textual.widgets import DataTable

    from kiosk.app import KioskApp
    from kiosk.config import Settings
    from kiosk.services.platform import ledger
    from models import Campaign, Team, db
    from screens.board import BoardScreen
    from tests.helpers.app import settle

    with db.connection():
        t6 = Team.get(Team.code == "T6").id
        campaign = Campaign.get(Campaign.active).id
    app = KioskApp(
        Settings(database_url=demo_plant, terminal_id="BOARD"), clock=clock, board_only=True
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        assert app.change_feed is not None and app.change_feed.connected.wait(5)
        table = app.screen.query_one("#top-teams", DataTable)
        names = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert "Incoming Material Team" not in names

        def write() -> None:
            award = ledger.Award(t6, 10, "live test", "test", "1", "live:1", campaign_id=campaign)
            ledger.award(award, clock=clock)

        writer = threading.Thread(target=write)
        writer.start()
        writer.join()
        written = time.monotonic()
        seen = None
        while time.monotonic() - written < 3:
            await pilot.pause(0.05)
            names = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
            if "Incoming Material Team" in names:
                seen = time.monotonic() - written
                break
        assert seen is not None, f"the board never showed the write: {names}"
        assert seen < 1.0
