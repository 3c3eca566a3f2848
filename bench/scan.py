"""Scan bursts: 40 key events and Enter with no pauses, until the station screen shows it.

1,000 bursts at the real app (SQLite demo plant, headless): the time from the first key
to the station card showing the scanned station, and whether any scan merged with
another or was dropped.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from textual import events
from textual.widgets import Static

from bench import Result
from bench.board import _plant
from kiosk.app import KioskApp
from kiosk.config import Settings
from kiosk.services.plant import plant
from kiosk.services.plant.stations import make_payload
from models import Station, db
from screens.station import StationScreen
from screens.widgets.scan_input import ScanInput

BURSTS = 1_000
KEYS = 40


async def _bursts(url: str) -> tuple[list[float], int, int]:
    with db.connection():
        codes = [s.code for s in Station.select().order_by(Station.code)]
    key = plant.signing_key()
    scanned: list[str] = []
    original = StationScreen.on_scan_input_scanned

    def record(screen: StationScreen, event: ScanInput.Scanned) -> None:
        scanned.append(event.text)
        original(screen, event)

    # the bench wraps the screen's handler to see each scan (a StationScreen's only)
    StationScreen.on_scan_input_scanned = record  # type: ignore[method-assign,assignment]
    app = KioskApp(Settings(database_url=url, terminal_id="bench"))
    times: list[float] = []
    sent: list[str] = []
    try:
        async with app.run_test(size=(100, 40)) as pilot:
            await pilot.pause(0.3)
            for character in "E1002":
                app.post_message(events.Key(character, character))
            app.post_message(events.Key("enter", "\r"))
            while not isinstance(app.screen, StationScreen):
                await pilot.pause(0.01)
            card = app.screen.query_one("#station-card", Static)
            for n in range(BURSTS):
                code = codes[n % len(codes)]
                text = make_payload("S", code, key).ljust(KEYS)  # trailing spaces are trimmed
                sent.append(text)
                start = time.perf_counter()
                for character in text:
                    app.post_message(events.Key(character, character))
                app.post_message(events.Key("enter", "\r"))
                while f"Station {code} " not in str(card.content):
                    await asyncio.sleep(0.001)
                times.append(time.perf_counter() - start)
    finally:
        StationScreen.on_scan_input_scanned = original  # type: ignore[method-assign]
    merged = sum(1 for text in scanned if len(text) > KEYS)
    differing = sum(1 for a, b in zip(sent, scanned, strict=False) if a != b)
    dropped = max(len(sent) - len(scanned), 0) + differing
    return times, merged, dropped


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'scan.db'}"
        _plant(url)
        times, merged, dropped = asyncio.run(_bursts(url))
        db.close_all()
    median = statistics.median(times)
    worst = sorted(times)[int(len(times) * 0.99) - 1]
    return [
        Result(
            "scan burst → station screen",
            f"{len(times)} bursts of {KEYS} keys + Enter: median {median * 1e3:.1f} ms, "
            f"p99 {worst * 1e3:.1f} ms; {merged} merged, {dropped} dropped",
            worst,
            0.1,
            unit="s",
        ),
        Result(
            "scan bursts merged or dropped",
            f"{merged} merged, {dropped} dropped of {len(times)}",
            float(merged + dropped),
            0.0,
            unit="",
        ),
    ]
