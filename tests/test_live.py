"""The change feed: a write on another connection reaches a listener within a second."""

from __future__ import annotations

import threading
import time

from kiosk.caller import Caller
from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.platform import auth
from kiosk.services.platform.live import ChangeFeed
from tests.helpers.app import quiet


def test_a_write_elsewhere_reaches_the_listener_with_its_topic(demo_plant, clock):
    heard: list[float] = []
    topics_heard: list[frozenset[str]] = []
    event = threading.Event()

    def on_change(topics: frozenset[str]) -> None:
        heard.append(time.monotonic())
        topics_heard.append(topics)
        event.set()

    feed = ChangeFeed(demo_plant, on_change).start()
    try:
        assert feed.connected.wait(5)
        time.sleep(0.5)  # let the PostgreSQL listener's catch-up call pass
        event.clear()
        heard.clear()
        topics_heard.clear()
        written_at: list[float] = []

        def write() -> None:
            draft = DefectDraft("L1-S01", "machine", "minor", "inspection", "Live feed check")
            report_defect(Caller.of(auth.identify_badge("E1002"), clock), draft)
            written_at.append(time.monotonic())

        writer = threading.Thread(target=write)
        writer.start()
        writer.join()
        assert event.wait(10), "no change heard"  # (how fast: bench/live.py)
        assert written_at and heard
        assert "defects" in topics_heard[0]  # it says what kind of data changed
        assert "training" not in topics_heard[0]
        # a read does not wake boards
        event.clear()
        auth.identify_badge("E1002")
        assert not event.wait(0.6)
    finally:
        feed.stop()


def test_the_first_write_of_a_burst_is_heard_at_once_and_the_rest_once_after(
    demo_plant, clock, monkeypatch
):
    """A burst: one call at once (a lone write is not held back), the rest merged into one
    more call after the gap, which is the last (nothing is lost, nothing repeats)."""
    from kiosk.services.platform import ledger
    from kiosk.services.platform import live as live_service
    from models import Campaign, Team, db

    monkeypatch.setattr(live_service, "GAP_SECONDS", 1.5)
    with db.connection():
        team = Team.get(Team.code == "T6").id
        campaign = Campaign.get(Campaign.active).id
    heard: list[tuple[float, frozenset[str]]] = []
    feed = ChangeFeed(demo_plant, lambda topics: heard.append((time.monotonic(), topics)))
    feed.start()
    try:
        assert feed.connected.wait(5)
        time.sleep(2.0)  # the PostgreSQL listener's catch-up call and its gap pass
        heard.clear()

        def award(n: int) -> None:
            entry = ledger.Award(team, 1, "gap", "test", str(n), f"gap:{n}", campaign_id=campaign)
            ledger.award(entry, clock=clock)

        award(0)
        first_written = time.monotonic()
        end = first_written + 1.0
        while not heard and time.monotonic() < end:
            time.sleep(0.01)
        assert heard, "the first write of a burst waited for the burst to end"
        assert heard[0][0] - first_written < 1.0
        for n in range(1, 6):
            award(n)
        time.sleep(3.5)  # the gap ends and the rest is announced; then nothing more
        assert len(heard) == 2, heard
        assert all("points" in topics for _at, topics in heard)
        assert heard[1][0] - heard[0][0] >= 1.4  # merged: one call after the gap, not five
    finally:
        feed.stop()


def test_listener_survives_and_stops(database):
    feed = ChangeFeed(database, lambda _topics: None).start()
    assert feed.connected.wait(5)
    feed.stop()
    assert feed._thread is not None and not feed._thread.is_alive()


async def test_board_shows_a_write_from_another_thread_by_itself(demo_plant, clock):
    """The change feed brings the write to the board: no key pressed, long before its
    30 s safety refresh (how fast is bench/board_live.py's business, not a test's)."""
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
        await pilot.press("2")  # the Red-Black List in sight (a hidden tab is read when shown)
        await settle(pilot)
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
        shown = False
        while not shown and time.monotonic() - written < 10:
            await pilot.pause(0.05)
            names = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
            shown = "Incoming Material Team" in names
        assert shown, f"the board never showed the write: {names}"


def _counting(monkeypatch, module, name: str) -> list[int]:
    """Count the calls of a service the board reads a panel with (the board looks it up
    on the module at each read)."""
    calls: list[int] = []
    original = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


async def _live_board(demo_plant, clock):
    from kiosk.app import KioskApp
    from kiosk.config import Settings

    return KioskApp(
        Settings(database_url=demo_plant, terminal_id="BOARD"), clock=clock, board_only=True
    )


async def test_a_burst_of_writes_refreshes_the_board_once_and_shows_the_last(
    demo_plant, clock, monkeypatch
):
    from kiosk.services.platform import ledger, ledger_check
    from kiosk.services.platform import live as live_service
    from kiosk.services.reports import kpis
    from models import Campaign, Team, db

    # the burst must fit in one feed gap on a slow, shared machine
    monkeypatch.setattr(live_service, "GAP_SECONDS", 2.0)
    with db.connection():
        t6 = Team.get(Team.code == "T6").id
        campaign = Campaign.get(Campaign.active).id
    app = await _live_board(demo_plant, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await quiet(pilot, 0.3)
        assert app.change_feed is not None and app.change_feed.connected.wait(5)
        await quiet(pilot, 1.0)  # the feed's catch-up refresh after connecting has passed
        charts = _counting(monkeypatch, kpis, "daily_series")
        summaries = _counting(monkeypatch, kpis, "board_summary")
        teams = _counting(monkeypatch, kpis, "board_teams")
        checks = _counting(monkeypatch, ledger_check, "last_check")
        table = app.screen.query_one("#board-teams")
        before = int(table.get_row(str(t6))[3].plain)

        def burst() -> None:
            for n in range(10):
                award = ledger.Award(
                    t6, 7, "burst", "test", str(n), f"burst:{n}", campaign_id=campaign
                )
                ledger.award(award, clock=clock)

        writer = threading.Thread(target=burst)
        writer.start()
        writer.join()
        shown = None
        end = time.monotonic() + 5
        while time.monotonic() < end:
            await pilot.pause(0.05)
            shown = int(table.get_row(str(t6))[3].plain)
            if shown == before + 70:
                break
        assert shown == before + 70, "the board does not show the last write of the burst"
        await quiet(pilot, 2.5)  # anything late would come now (the feed's gap is 2 s here)
        assert 1 <= len(teams) <= 2, f"the team points were read {len(teams)} times"
        # awards change points only: the tiles (defects, coverage, yield...) are not re-read
        assert summaries == [], "the KPI tiles were read again for a burst of awards"
        assert checks == [], "the ledger check panel was read again, though no check ran"
        assert charts == [], "the charts were read while their tab was not shown"
        # their tab shown: read once, with the last write
        await pilot.press("3")
        await quiet(pilot, 1.0)
        assert len(charts) == 1, f"the charts were read {len(charts)} times for one burst"
        name = str(table.get_row(str(t6))[2])
        assert dict(app.screen.series.team_points)[name][-1] == before + 70


async def test_board_refreshes_leave_nothing_behind(demo_plant, clock):
    """A wall board refreshed all week: its rendered rows do not pile up (issue 16)."""
    import gc

    from textual.strip import Strip

    from screens.base import DataChanged

    def strips() -> int:
        gc.collect()
        return sum(1 for thing in gc.get_objects() if type(thing) is Strip)

    app = await _live_board(demo_plant, clock)
    async with app.run_test(size=(160, 40)) as pilot:
        await quiet(pilot, 0.3)
        screen = app.screen
        screen.rotate = False  # the same tab throughout: a rotation would draw other tables

        async def refreshes(count: int) -> None:
            for _ in range(count):
                # new points every time: the team table changes and is sorted again
                screen.post_message(DataChanged(frozenset({"training"})))
                await pilot.pause()
                while screen.in_flight("summary"):
                    await pilot.pause(0.01)
                await pilot.pause()

        await refreshes(20)
        after_few = strips()
        await refreshes(120)
        after_many = strips()
    assert after_many - after_few < 150, (after_few, after_many)
