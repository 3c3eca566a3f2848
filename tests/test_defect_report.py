"""Reporting a defect at a station: due time, responsible team, validation.

Each PostgreSQL test costs a fresh database, so related checks share a test.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from kiosk.caller import Caller
from kiosk.errors import NotFound, ValidationFailed
from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.platform.auth import sign_in
from models import Campaign, Defect, DefectEvent, Station, db


@pytest.fixture
def operator(demo_plant, clock):
    return sign_in(Caller.of(None, clock), "E1002")


def _draft(**changes) -> DefectDraft:
    fields = {
        "station_code": "L1-S02",
        "category": "machine",
        "severity": "major",
        "source": "inspection",
        "description": "Screwdriver torque drifts low on board screws.",
    }
    fields.update(changes)
    return DefectDraft(**fields)


def _counts() -> tuple[int, int]:
    with db.connection():
        return Defect.select().count(), DefectEvent.select().count()


def _refused(operator, clock, draft) -> dict[str, str]:
    """Report a draft that must be refused; check nothing was written; return the problems."""
    before = _counts()
    with pytest.raises(ValidationFailed) as caught:
        report_defect(Caller.of(operator, clock), draft)
    assert _counts() == before
    assert caught.value.message == "; ".join(caught.value.problems.values())
    return caught.value.problems


def test_report_is_saved_with_due_time_team_and_event(operator, clock):
    before = _counts()
    receipt = report_defect(Caller.of(operator, clock, "K1"), _draft())
    assert receipt.station_code == "L1-S02"
    assert receipt.line_name == "AC Charger Assembly"
    assert receipt.team_name == "Line 1 Team (AC chargers)"
    assert receipt.reported_at == clock.now()
    assert receipt.due_at == clock.now() + timedelta(hours=48)
    assert receipt.short_id == receipt.id[:8]
    assert _counts() == (before[0] + 1, before[1] + 1)

    with db.connection():
        defect = Defect.get_by_id(receipt.id)
        station = Station.get(Station.code == "L1-S02")
        assert defect.station_id == station.id
        assert defect.line_id == station.line_id
        assert defect.team_id == station.line.team_id
        assert defect.team.code == "T1"
        assert defect.reporter_id == operator.id
        assert defect.campaign_id == Campaign.get(Campaign.active).id
        assert (defect.category, defect.severity, defect.source) == (
            "machine",
            "major",
            "inspection",
        )
        assert defect.status == "reported"
        assert defect.reported_at == clock.now()
        assert defect.due_at == defect.reported_at + timedelta(hours=48)
        assert defect.terminal == "K1"
        assert defect.supplier_id is None and defect.lot is None
        [event] = list(DefectEvent.select().where(DefectEvent.defect == defect))
        assert (event.from_status, event.to_status) == (None, "reported")
        assert event.actor_id == operator.id
        assert event.at == clock.now()
        assert "L1-S02" in event.note

    # A station on another line goes to that line's team (code typed in lowercase).
    other = report_defect(Caller.of(operator, clock), _draft(station_code=" l3-s03 "))
    assert (other.station_code, other.team_name) == ("L3-S03", "Line 3 Team (SMT & soldering)")
    with db.connection():
        assert Defect.get_by_id(other.id).team.code == "T3"


def test_changed_correction_window_is_honoured(operator, clock):
    with db.connection():
        Campaign.update(correction_window_hours=24).where(Campaign.active).execute()
    clock.advance(timedelta(days=3, minutes=17))
    receipt = report_defect(Caller.of(operator, clock), _draft())
    assert receipt.reported_at == clock.now()
    assert receipt.due_at == clock.now() + timedelta(hours=24)
    with db.connection():
        assert Defect.get_by_id(receipt.id).due_at == clock.now() + timedelta(hours=24)


def test_incoming_material_needs_a_known_supplier_and_a_lot(operator, clock):
    material = {"category": "material", "source": "incoming_material"}
    assert _refused(operator, clock, _draft(**material)) == {
        "supplier": "Incoming material: choose the supplier.",
        "lot": "Incoming material: enter the lot number from the label.",
    }
    assert _refused(
        operator, clock, _draft(**material, supplier_code="SUP-CN01", lot=" \x00 ")
    ) == {"lot": "Incoming material: enter the lot number from the label."}
    assert _refused(operator, clock, _draft(**material, supplier_code="SUP-XX99", lot="LOT-1")) == {
        "supplier": "That supplier is not known. Choose one."
    }

    receipt = report_defect(
        Caller.of(operator, clock),
        _draft(**material, supplier_code="SUP-CN01", lot="  LOT-77\x00A  "),
    )
    with db.connection():
        defect = Defect.get_by_id(receipt.id)
        assert defect.supplier.code == "SUP-CN01"
        assert defect.lot == "LOT-77A"


def test_missing_fields_are_refused_field_by_field(operator, clock):
    for description in ["", "   ", "\n\t ", "\x1b[31m\x1b[0m\x00"]:
        assert _refused(operator, clock, _draft(description=description)) == {
            "description": "Describe the defect: what is wrong, and where."
        }, repr(description)

    problems = _refused(operator, clock, _draft(category=None))
    assert list(problems) == ["category"]
    assert "5M1E" in problems["category"]

    problems = _refused(
        operator, clock, _draft(category="luck", severity=None, source="", description=" ")
    )
    assert set(problems) == {"category", "severity", "source", "description"}
    assert "minor, major or critical" in problems["severity"]


def test_ten_thousand_character_description_is_refused(operator, clock):
    assert _refused(operator, clock, _draft(description="x" * 10_000)) == {
        "description": "The description is 10,000 characters long; keep it under 2,000."
    }
    receipt = report_defect(Caller.of(operator, clock), _draft(description="y" * 2000))
    with db.connection():
        assert len(Defect.get_by_id(receipt.id).description) == 2000


def test_control_characters_are_removed_from_description(operator, clock):
    raw = "\x1b[31mLoose\x1b[0m screw\x00 on\u200b board\x07\nsecond line\t "
    receipt = report_defect(Caller.of(operator, clock), _draft(description=raw))
    with db.connection():
        assert Defect.get_by_id(receipt.id).description == "Loose screw on board\nsecond line"


def test_unknown_station_is_not_found_and_nothing_written(operator, clock):
    before = _counts()
    with pytest.raises(NotFound) as caught:
        report_defect(Caller.of(operator, clock), _draft(station_code="L9-S99"))
    assert "Station L9-S99 is not known" in caught.value.message
    assert _counts() == before
