"""Scan parsing (pure, no database) and station lookup on the demo plant."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from kiosk.caller import Caller
from kiosk.errors import NotFound, ValidationFailed
from kiosk.services.plant.stations import (
    MAX_RAW_LENGTH,
    BadgeScan,
    PlainCode,
    ScanError,
    StationScan,
    lookup_station,
    make_payload,
    parse_scan,
)

KEY = bytes.fromhex("5a" * 32)
OTHER_KEY = bytes.fromhex("a5" * 32)


# --- signed payloads ---------------------------------------------------------


@pytest.mark.parametrize("code", ["L1-S01", "L3-S05", "A", "X.Y_Z-9"])
def test_signed_station_label_round_trips(code):
    assert parse_scan(make_payload("S", code, KEY), KEY) == StationScan(code, True)


@pytest.mark.parametrize("code", ["E1001", "E9001"])
def test_signed_badge_round_trips(code):
    assert parse_scan(make_payload("B", code, KEY), KEY) == BadgeScan(code, True)


def test_payload_made_from_lowercase_code_reads_back_uppercase():
    payload = make_payload("S", " l2-s04 ", KEY)
    assert payload.startswith("QK1:S:L2-S04:")
    assert parse_scan(payload, KEY) == StationScan("L2-S04", True)


def test_signed_payload_typed_in_lowercase_still_reads():
    payload = make_payload("S", "L1-S01", KEY)
    assert parse_scan(payload.lower(), KEY) == StationScan("L1-S01", True)


def test_signed_payload_with_scanner_cr_lf_reads():
    payload = make_payload("B", "E1002", KEY)
    assert parse_scan(payload + "\r\n", KEY) == BadgeScan("E1002", True)


# --- plain codes typed by hand --------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("L1-S03", "L1-S03"),
        ("l1-s03", "L1-S03"),
        ("  e1001  ", "E1001"),
        ("E1001\n", "E1001"),
        ("\tl3-s02\r\n", "L3-S02"),
    ],
)
def test_plain_codes_typed_by_hand(raw, code):
    assert parse_scan(raw, KEY) == PlainCode(code)


# --- refusals -----------------------------------------------------------------------


def _error(result) -> str:
    assert isinstance(result, ScanError), result
    return result.message


def test_label_signed_with_another_key_is_refused():
    message = _error(parse_scan(make_payload("S", "L1-S01", OTHER_KEY), KEY))
    assert "L1-S01" in message
    assert "signature" in message


def test_altered_signature_is_refused():
    payload = make_payload("S", "L1-S01", KEY)
    last = payload[-1]
    forged = payload[:-1] + ("A" if last != "A" else "B")
    assert "invalid signature" in _error(parse_scan(forged, KEY))


def test_code_swapped_under_a_genuine_signature_is_refused():
    genuine = make_payload("S", "L1-S01", KEY)
    signature = genuine.rsplit(":", 1)[1]
    message = _error(parse_scan(f"QK1:S:L1-S02:{signature}", KEY))
    assert "L1-S02" in message and "signature" in message


def test_badge_signature_does_not_pass_as_station():
    genuine = make_payload("B", "E1001", KEY)
    as_station = genuine.replace("QK1:B:", "QK1:S:", 1)
    assert "signature" in _error(parse_scan(as_station, KEY))


def test_truncated_signature_is_refused():
    payload = make_payload("S", "L1-S01", KEY)
    assert "signature" in _error(parse_scan(payload[:-3], KEY))


@pytest.mark.parametrize("signature", ["ÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉ", "\ufffd\ufffd", "ABC\u00e9"])
def test_non_ascii_signature_is_refused_not_raised(signature):
    message = _error(parse_scan(f"QK1:S:L1-S01:{signature}", KEY))
    assert "signature" in message


def test_wrong_version_is_named():
    message = _error(parse_scan("QK9:S:L1-S01:ABCDEFGHIJKLMNOP", KEY))
    assert "QK9" in message
    assert "does not read" in message


@pytest.mark.parametrize(
    "raw",
    [
        "QK1:S:L1-S01",  # no signature
        "QK1:X:L1-S01:ABCDEFGHIJKLMNOP",  # unknown kind
        "QK1:S::ABCDEFGHIJKLMNOP",  # empty code
        "QK1:S:L1-S01:ABC:DEF",  # too many parts
        "QK1:S:L1 S01:ABCDEFGHIJKLMNOP",  # space in code
    ],
)
def test_damaged_payload_is_explained(raw):
    assert "damaged or incomplete" in _error(parse_scan(raw, KEY))


def test_ten_thousand_character_paste_says_how_long():
    message = _error(parse_scan("L" * 10_000, KEY))
    assert "10,000 characters" in message
    assert "LLLLLLLLLL" not in message


def test_paste_just_over_the_limit_is_refused_and_at_the_limit_is_read():
    assert "513 characters" in _error(parse_scan("x" * (MAX_RAW_LENGTH + 1), KEY))
    at_limit = parse_scan(" " * (MAX_RAW_LENGTH - 6) + "L1-S01", KEY)
    assert at_limit == PlainCode("L1-S01")


@pytest.mark.parametrize(
    "raw",
    [
        "\x1b[31mL1-S01\x1b[0m",
        "L1-\x00S01",
        "\x1b]0;title\x07L1-S01",
        "L1\u200b-S01",
        "\ufeffL1-S01\x7f",
        "L1-S01\x1b[K",
    ],
)
def test_control_characters_and_escape_sequences_are_stripped(raw):
    assert parse_scan(raw, KEY) == PlainCode("L1-S01")


def test_escape_sequences_inside_a_signed_payload_are_stripped():
    payload = make_payload("S", "L2-S03", KEY)
    dirty = "\x1b[1m" + payload[:8] + "\x00" + payload[8:] + "\x1b[0m"
    assert parse_scan(dirty, KEY) == StationScan("L2-S03", True)


@pytest.mark.parametrize("raw", ["", "   ", "\t\r\n", "\x1b[0m", "\x00\x01\x02"])
def test_empty_scan_says_nothing_was_scanned(raw):
    assert "Nothing was scanned" in _error(parse_scan(raw, KEY))


@pytest.mark.parametrize("raw", ["%%%", "L1/S01", "hello world", "-L1", "é"])
def test_garbage_is_not_a_code(raw):
    message = _error(parse_scan(raw, KEY))
    assert "is not a Quality Kiosk code" in message
    assert raw in message


def test_long_garbage_is_shortened_in_the_message():
    raw = "%" * 300
    message = _error(parse_scan(raw, KEY))
    assert "%" * 39 + "…" in message
    assert "%" * 41 not in message


def test_garbage_with_escape_sequences_is_quoted_clean():
    message = _error(parse_scan("\x1b[31m%%%\x1b[0m", KEY))
    assert "“%%%”" in message
    assert "\x1b" not in message


def _random_inputs() -> list[str]:
    rng = random.Random(20250910)
    alphabet = "QKqk1:SB-_.%é\x00\x1b[m\u200b\ufffd ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    samples: list[str] = []
    for _ in range(150):
        samples.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))))
    for _ in range(150):
        size = rng.choice([0, 1, 5, 20, 64, 511, 512, 513, 2000])
        samples.append(rng.randbytes(size).decode("utf-8", errors="replace"))
    for _ in range(100):
        samples.append("".join(chr(rng.randint(0, 0x2FFF)) for _ in range(rng.randint(1, 30))))
    payload = make_payload("S", "L1-S01", KEY)
    for _ in range(100):
        chars = list(payload)
        position = rng.randrange(len(chars))
        chars[position] = rng.choice("ABCXYZ0123:-\x00\x1b")
        samples.append("".join(chars))
    return samples


def test_never_raises_on_random_input():
    results = [parse_scan(raw, KEY) for raw in _random_inputs()]
    assert len(results) == 500
    for result in results:
        assert isinstance(result, StationScan | BadgeScan | PlainCode | ScanError)
        if isinstance(result, ScanError):
            assert result.message
            assert "\x00" not in result.message and "\x1b" not in result.message
        else:
            assert result.code == result.code.upper()


def test_never_raises_on_label_shaped_random_input():
    rng = random.Random(7)
    for _ in range(200):
        tail = rng.randbytes(rng.randint(1, 24)).decode("utf-8", errors="replace")
        result = parse_scan("QK1:S:L1-S01:" + tail.replace(":", ""), KEY)
        assert isinstance(result, StationScan | ScanError)


# --- station lookup on the demo plant -------------------------------------------


def test_lookup_station_shows_line_team_and_open_defects(demo_plant, clock):
    view = lookup_station(Caller.of(None, clock), "L1-S01")
    assert (view.code, view.name) == ("L1-S01", "Cable harness crimping")
    assert (view.line_code, view.line_name) == ("L1", "AC Charger Assembly")
    assert view.team_name == "Line 1 Team (AC chargers)"
    assert len(view.open_defects) == 1
    defect = view.open_defects[0]
    assert defect.description.startswith("Crimp height out of tolerance")
    assert (defect.category, defect.severity, defect.status) == ("machine", "major", "reported")
    assert defect.due_at == clock.now() - timedelta(hours=5) + timedelta(hours=48)
    assert defect.overdue is False
    assert defect.short_id == defect.id[:8]

    # Typed by hand, in lowercase with spaces.
    assert lookup_station(Caller.of(None, clock), "  l3-s03 ").name == "Reflow oven"
    # L1-S03's only demo defect is already verified: nothing open.
    assert lookup_station(Caller.of(None, clock), "L1-S03").open_defects == ()
    # L2-S04's demo defect was reported 3 days 4 hours ago: already overdue.
    late = lookup_station(Caller.of(None, clock), "L2-S04")
    assert late.team_name == "Line 2 Team (DC fast chargers)"
    assert [(d.severity, d.overdue) for d in late.open_defects] == [("critical", True)]


def test_open_defect_becomes_overdue_after_its_due_time(demo_plant, clock):
    due = lookup_station(Caller.of(None, clock), "L1-S01").open_defects[0].due_at
    clock.set(due)
    assert lookup_station(Caller.of(None, clock), "L1-S01").open_defects[0].overdue is False
    clock.set(due + timedelta(minutes=1))
    assert lookup_station(Caller.of(None, clock), "L1-S01").open_defects[0].overdue is True


def test_unknown_station_is_not_found(demo_plant, clock):
    with pytest.raises(NotFound) as caught:
        lookup_station(Caller.of(None, clock), "L9-S99")
    assert "Station L9-S99 is not known" in caught.value.message
    assert "quality office" in caught.value.message


def test_rotated_key_keeps_old_labels_valid_for_the_grace_period(demo_plant, clock):
    from datetime import timedelta

    from kiosk.services.plant import plant
    from kiosk.services.plant.stations import StationScan, interpret_scan, make_payload

    old_label = make_payload("S", "L1-S01", plant.signing_key())
    rotation = plant.rotate_signing_key(Caller.system(clock), 7)
    assert rotation.previous_valid_until == clock.now() + timedelta(days=7)
    new_label = make_payload("S", "L1-S01", plant.signing_key())
    assert new_label != old_label
    assert interpret_scan(Caller.of(None, clock), new_label) == StationScan("L1-S01", True)
    assert interpret_scan(Caller.of(None, clock), old_label) == StationScan("L1-S01", True)
    clock.advance(timedelta(days=7, seconds=1))
    result = interpret_scan(Caller.of(None, clock), old_label)
    assert "invalid signature" in result.message
    assert interpret_scan(Caller.of(None, clock), new_label) == StationScan("L1-S01", True)
    with pytest.raises(ValidationFailed):
        plant.rotate_signing_key(Caller.system(clock), 400)


def test_keys_rotate_command(demo_plant, capsys):
    from kiosk.cli import main

    assert main(["keys", "rotate", "--grace-days", "14", "--db", demo_plant]) == 0
    assert "Labels printed before stay valid until" in capsys.readouterr().out
