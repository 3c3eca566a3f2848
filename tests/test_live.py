"""The change feed: a write on another connection reaches a listener within a second."""

from __future__ import annotations

import threading
import time

from kiosk.services import auth
from kiosk.services.defects import DefectDraft, report_defect
from kiosk.services.live import ChangeFeed


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
