"""The weekly inspection through the real screens with the Pilot, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual import events
from textual.widgets import DataTable, Input, OptionList

from kiosk.caller import Caller
from models import AuditEntry, Defect, Inspection, InspectionResult, db
from screens.inspection import InspectionScreen
from screens.station import StationScreen
from tests.helpers.app import SIZE, key_help, make_app, post_keys, settle, sign_in, text_of


def cells(app) -> dict[str, list[str]]:
    """What the checklist table shows, by item code."""
    table = app.screen.query_one("#checklist", DataTable)
    return {
        str(row.key.value): [str(cell) for cell in table.get_row(row.key)]
        for row in table.ordered_rows
    }


def post_key_names(app, *names: str) -> None:
    """Keys queued all at once, as a fast typist sends them (no waiting in between)."""
    for name in names:
        app.post_message(events.Key(name, name if len(name) == 1 else None))


async def open_line(pilot, line_index: int = 0) -> None:
    await pilot.press("f6")
    await settle(pilot)
    assert isinstance(pilot.app.screen, InspectionScreen)
    for _ in range(line_index):
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)


@pytest.mark.slow  # a long Pilot walk-through
async def test_leader_inspects_line_fails_an_item_raises_a_defect_and_completes(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E1001", pin="1234")
        assert isinstance(app.screen, StationScreen)
        await pilot.press("f6")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InspectionScreen)
        lines = screen.query_one("#lines", OptionList)
        assert lines.option_count == 3
        assert "not inspected this week" in str(lines.get_option_at_index(0).prompt)
        assert "3 of 3 lines still to inspect" in text_of(app, "#progress")
        await pilot.press("enter")  # L1 is highlighted first
        await settle(pilot)

        table = screen.query_one("#checklist", DataTable)
        assert table.has_focus and table.row_count == 13
        assert "Line L1 AC Charger Assembly" in text_of(app, "#inspection-title")
        assert "0 of 13 items checked" in text_of(app, "#progress")

        await pilot.press("p")  # 5S-01 pass; the next item is highlighted
        await settle(pilot)
        assert table.cursor_row == 1
        assert cells(app)["5S-01"][3] == "pass"
        assert "1 of 13 items checked" in text_of(app, "#progress")

        await pilot.press("f")  # 5S-02 fails: a note is asked for
        await settle(pilot)
        note = screen.query_one("#note", Input)
        assert note.has_focus
        await pilot.press("enter")  # an empty note is refused, the note stays open
        await settle(pilot)
        assert "needs a note" in text_of(app, "#message") and note.has_focus
        post_keys(app, "Screwdrivers left on bench\n")
        await settle(pilot)
        assert table.has_focus and table.cursor_row == 2  # the cursor walks on
        assert cells(app)["5S-02"][3] == "FAIL"
        shown = cells(app)["5S-02"][4]  # elided to fit; the panel below shows it whole
        assert shown.rstrip("…") and "Screwdrivers left on bench".startswith(shown.rstrip("…"))
        assert screen.view.item("5S-02").note == "Screwdrivers left on bench"
        assert "Press d to raise a defect" in text_of(app, "#message")

        await pilot.press("d")  # which station? the first is highlighted
        await settle(pilot)
        stations = screen.query_one("#stations", OptionList)
        assert stations.has_focus and stations.highlighted == 0
        assert stations.get_option_at_index(0).id == "L1-S01"
        await pilot.press("down", "enter")  # L1-S02
        await settle(pilot)
        message = text_of(app, "#message")
        assert message.startswith("Defect ") and "reported for 5S-02 at L1-S02" in message
        short_id = message.split()[1]
        assert cells(app)["5S-02"][5] == short_id
        assert table.cursor_row == 2

        await pilot.press("c")  # too early: the message names what is missing
        await settle(pilot)
        assert "11 of 13 items are not checked yet: 5S-03" in text_of(app, "#message")

        post_key_names(app, *["p"] * 10, "n")  # 5S-03 ... SO-03 pass, SO-04 n/a
        await settle(pilot)
        assert table.cursor_row == 12
        assert cells(app)["SO-04"][3] == "n/a"
        assert "13 of 13 items checked" in text_of(app, "#progress")
        await pilot.press("c")
        await settle(pilot)
        assert "completed: 11 pass, 1 fail, 1 n/a" in text_of(app, "#message")
        shown = cells(app)

        with db.connection():
            inspection = Inspection.get()
            assert inspection.line.code == "L1" and inspection.week == "2025-W37"
            assert inspection.inspector.badge_code == "E1001"
            assert inspection.completed_at == clock.now()
            results = {
                r.item.code: r
                for r in InspectionResult.select().where(InspectionResult.inspection == inspection)
            }
            stored = {code: r.outcome for code, r in results.items()}
            assert stored == {
                code: {"pass": "pass", "FAIL": "fail", "n/a": "n/a"}[row[3]]
                for code, row in shown.items()
            }
            defect = Defect.get_by_id(results["5S-02"].defect_id)
            assert str(defect.id).startswith(short_id)
            assert defect.station.code == "L1-S02" and defect.team.code == "T1"
            assert defect.source == "inspection" and defect.severity == "minor"
            assert defect.category == "method"
            assert defect.description.endswith("Screwdrivers left on bench")
            assert defect.due_at == clock.now() + timedelta(hours=48)
            assert defect.terminal == "TEST-1"

        await pilot.press("escape")  # back to the lines: L1 is done
        await settle(pilot)
        assert "completed" in str(
            screen.query_one("#lines", OptionList).get_option_at_index(0).prompt
        )
        assert "2 of 3 lines still to inspect" in text_of(app, "#progress")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)


async def test_operator_is_told_only_a_leader_may_inspect(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E1002")
        assert "Inspection" not in key_help(app)  # not offered to an operator
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)  # told at once, before any form
        assert text_of(app, "#message") == (
            "Inspection: only a team leader or above may use this key."
        )
        with db.connection():
            assert Inspection.select().count() == 0
            refusal = AuditEntry.get(AuditEntry.action == "key_refused")
            assert refusal.actor.badge_code == "E1002" and refusal.allowed is False
            assert (refusal.target, refusal.terminal) == ("inspection", "TEST-1")


@pytest.mark.slow  # a long Pilot walk-through
async def test_failed_item_with_a_defect_stays_failed_and_a_change_is_confirmed(demo_plant, clock):
    """Issue 13: E1001, F6, Enter, p p p, f + note, d, p used to flip FAIL to pass."""
    app = make_app(demo_plant, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "E1001", pin="1234")
        await open_line(pilot)
        screen = app.screen
        table = screen.query_one("#checklist", DataTable)
        await pilot.press("p", "p", "p", "f")
        await settle(pilot)
        post_keys(app, "Apron torn\n")
        await settle(pilot)
        assert cells(app)["5S-04"][3] == "FAIL" and table.cursor_row == 4
        await pilot.press("d")  # raises for 5S-04, the item just failed
        await settle(pilot)
        await pilot.press("enter")  # the first station
        await settle(pilot)
        assert "reported for 5S-04 at L1-S01" in text_of(app, "#message")
        await pilot.press("p")  # 5S-05 passes, 5S-04 stays FAIL
        await settle(pilot)
        shown = cells(app)
        assert shown["5S-04"][3] == "FAIL" and shown["5S-04"][4] == "Apron torn"
        assert shown["5S-05"][3] == "pass" and table.cursor_row == 5

        await pilot.press("up", "up", "p")  # back on 5S-04: a defect was raised from it
        await settle(pilot)
        assert "5S-04 stays FAIL: defect" in text_of(app, "#message")
        assert cells(app)["5S-04"][3] == "FAIL"

        await pilot.press("up", "n")  # 5S-03 pass -> n/a asks first; Esc keeps it
        await settle(pilot)
        assert "5S-03 is recorded as pass. Press y" in text_of(app, "#message")
        await pilot.press("escape")
        await settle(pilot)
        assert cells(app)["5S-03"][3] == "pass"
        await pilot.press("n", "y")  # confirmed: changed, audited, the cursor walks on
        await settle(pilot)
        assert cells(app)["5S-03"][3] == "n/a" and table.cursor_row == 3

        post_key_names(app, "down", "down", *["p"] * 8)  # 5S-06 ... SO-04 pass
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert "completed: 11 pass, 1 fail, 1 n/a" in text_of(app, "#message")

    from kiosk.services.reports import exports

    table = exports.inspections_table()
    outcome = table.headers.index("outcome")
    rows = {row[table.headers.index("item")]: row for row in table.rows}
    assert rows["5S-04"][outcome] == "fail" and rows["5S-04"][-1]
    assert rows["5S-03"][outcome] == "n/a"
    with db.connection():
        [change] = list(AuditEntry.select().where(AuditEntry.action == "change_inspection_result"))
        assert change.actor.badge_code == "E1001" and change.target.endswith("5S-03")
        assert change.detail.startswith("pass -> n/a")


def _complete_l1_with_a_fail(clock) -> str:
    from kiosk.services.lines import inspections
    from kiosk.services.platform import auth

    leader = auth.identify_badge("E1001")
    view = inspections.start_inspection(Caller.of(leader, clock), "L1")
    for number, item in enumerate(view.items):
        outcome = "fail" if number == 1 else "pass"
        note = "Screwdrivers left on bench" if outcome == "fail" else ""
        inspections.record_result(Caller.of(leader, clock), view.id, item.code, outcome, note)
    receipt = inspections.raise_defect_from_failure(
        Caller.of(leader, clock), view.id, view.items[1].code, "L1-S02"
    )
    inspections.complete_inspection(Caller.of(leader, clock), view.id)
    return receipt.short_id


async def test_a_line_inspected_this_week_opens_read_only_and_starts_again_on_confirm(
    demo_plant, clock
):
    short_id = _complete_l1_with_a_fail(clock)
    app = make_app(demo_plant, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "E1001", pin="1234")
        await open_line(pilot)  # L1, completed this week
        shown = cells(app)
        assert shown["5S-02"][3] == "FAIL" and shown["5S-02"][5] == short_id
        assert "13 of 13 items checked" in text_of(app, "#progress")
        said = text_of(app, "#message")
        assert "Line L1 was inspected this week: completed" in said
        assert "12 pass, 1 fail, 0 n/a (read-only)" in said and "s starts another" in said
        assert "Start another" in key_help(app) and "Pass" not in key_help(app)
        await pilot.press("f")  # read-only: nothing changes
        await settle(pilot)
        assert cells(app) == shown
        await pilot.press("s")
        await settle(pilot)
        assert "Start another inspection of line L1 this week? Press y" in text_of(app, "#message")
        await pilot.press("escape")  # keeps the completed one
        await settle(pilot)
        assert cells(app) == shown
        await pilot.press("s", "y")
        await settle(pilot)
        assert "Inspection of line L1 started." in text_of(app, "#message")
        assert "0 of 13 items checked" in text_of(app, "#progress")
    with db.connection():
        assert Inspection.select().count() == 2
        audit = AuditEntry.get(AuditEntry.action == "start_inspection_again")
        assert audit.allowed and audit.target.startswith("line L1 ")
