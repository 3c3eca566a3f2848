"""Fuzzed scans: whatever a scanner, a keyboard or a paste delivers gets a message, never an
exception — through the parser (10,000 cases) and through the live scan screen."""

from __future__ import annotations

import string
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NonInteractiveExampleWarning
from textual import events

from kiosk.services.plant.stations import (
    BadgeScan,
    PlainCode,
    ScanError,
    StationScan,
    make_payload,
    parse_scan,
)
from screens.station import StationScreen
from tests.helpers.app import SIZE, make_app, settle, sign_in, text_of

KEY = b"k" * 32
VALID = make_payload("S", "L1-S01", KEY)

escape_sequences = st.sampled_from(
    ["\x1b[31m", "\x1b[0m", "\x1b]0;title\x07", "\x1b[2J", "\x1bP1;2|x\x1b\\", "\x9b31m", "\x1b"]
)
near_valid = st.builds(
    lambda cut, junk, upper: (
        (VALID[:cut] + junk + VALID[cut + len(junk) :]) if upper else (VALID[:cut] + junk).lower()
    ),
    st.integers(0, len(VALID)),
    st.text(min_size=0, max_size=4),
    st.booleans(),
)
scans = st.one_of(
    st.text(max_size=80),
    st.binary(max_size=80).map(lambda b: b.decode("utf-8", errors="replace")),
    st.text(alphabet=string.printable + "\x00\x07\x7f\u200b\ufeff", max_size=60),
    st.lists(st.one_of(escape_sequences, st.text(max_size=8)), max_size=10).map("".join),
    st.integers(0, 20_000).map(lambda n: "Q" * n),
    near_valid,
    st.just(VALID),
)

RESULT_TYPES = (StationScan, BadgeScan, PlainCode, ScanError)


@pytest.mark.slow  # 10,000 examples
@settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck))
@given(scans)
def test_ten_thousand_scans_through_the_parser(raw):
    result = parse_scan(raw, KEY)
    assert isinstance(result, RESULT_TYPES)
    if isinstance(result, ScanError):
        assert result.message.strip()
        assert "\x1b" not in result.message and "\x00" not in result.message
        assert len(result.message) < 400
    if isinstance(result, StationScan | BadgeScan):
        assert raw.strip().upper().startswith("QK1:")


@pytest.mark.slow  # 150 scans typed at a live screen
async def test_fuzzed_scans_through_the_scan_screen(demo_plant, clock):
    """A few hundred generated scans, typed as key events and pasted, at the live screen."""
    with warnings.catch_warnings():  # .example() outside @given is fine for plain data
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        cases = [scans.example() for _ in range(150)]
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        screen = app.screen
        assert isinstance(screen, StationScreen)
        scan_input = screen.query_one("#station-scan")
        for number, raw in enumerate(cases):
            text = raw.replace("\r", " ").replace("\n", " ")
            if number % 2:
                scan_input.post_message(events.Paste(text + "\n"))
            else:
                for character in text[:200]:
                    if character.isprintable():
                        app.post_message(events.Key(character, character))
                app.post_message(events.Key("enter", "\r"))
            if number % 25 == 24:
                await settle(pilot)
                assert app.screen is screen and app.is_running
                assert text_of(app, "#message").strip()
        await settle(pilot)
        assert app.screen is screen and app.is_running
        # still working after the storm: a real scan shows its station
        scan_input.post_message(events.Paste("L2-S03\n"))
        await settle(pilot)
        assert "Station L2-S03" in text_of(app, "#station-card")
