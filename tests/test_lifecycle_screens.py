"""The defect lifecycle as people use it: worklist, detail actions, the Red-Black List board."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable, Input

from kiosk.app import KioskApp
from kiosk.caller import Caller
from kiosk.services.defects import deadlines, lifecycle
from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.platform import auth
from kiosk.services.platform.ledger import team_totals
from models import Defect, LedgerEntry, db
from screens.action_form import ActionForm
from screens.board import BoardScreen
from screens.defect_detail import DefectDetailScreen
from screens.red_black import RedBlackScreen
from tests.helpers.app import (
    SIZE,
    fill_form,
    key_help,
    make_app,
    open_defect_from_worklist,
    settle,
    sign_in,
    table_rows,
    text_of,
)


def points(team_code: str) -> int:
    return next(t.points for t in team_totals() if t.team_code == team_code)


@pytest.mark.slow  # a long Pilot walk-through
async def test_team_corrects_and_another_leader_verifies_for_two_points(demo_plant, clock):
    draft = DefectDraft("L1-S04", "measurement", "major", "inspection", "Tester probe worn")
    receipt = report_defect(Caller.of(auth.identify_badge("E4004"), clock), draft)
    before = points("T1")

    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E1004")
        await open_defect_from_worklist(pilot, app, receipt.short_id)
        assert "Tester probe worn" in text_of(app, "#summary")
        await fill_form(pilot, app, "p", progress="Probe replaced, checking gauge R&R")
        assert isinstance(app.screen, DefectDetailScreen)
        team = "Line 1 Team (AC chargers)"
        short = receipt.short_id
        assert text_of(app, "#message") == f"Progress saved on defect {short} ({team})."
        assert "IN PROGRESS" in text_of(app, "#summary")
        await fill_form(pilot, app, "x", note="New probe, 10 units retested")
        assert "FIXED" in text_of(app, "#summary")
        assert text_of(app, "#message") == (
            f"Defect {short} marked fixed: it now waits for verification ({team})."
        )
        # the fixer is an operator: verify is not allowed for them
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, DefectDetailScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)

        clock.advance(timedelta(hours=20))
        await sign_in(pilot, "E2001", pin="1234")  # a leader from outside Line 1
        await open_defect_from_worklist(pilot, app, receipt.short_id, all_teams=True)
        await fill_form(pilot, app, "v", note="Retest sample OK")
        assert "VERIFIED" in text_of(app, "#summary")
        assert text_of(app, "#message") == f"Defect {short} verified on time: +2 to {team}."
        ledger_rows = table_rows(app, "#ledger")
        assert len(ledger_rows) == 1 and ledger_rows[0][2] == "+2"
        history = [row[2] for row in table_rows(app, "#history")]
        assert "progress: Probe replaced, checking gauge R&R" in history
        assert any("→ verified: Retest sample OK" in what for what in history)

        await fill_form(pilot, app, "c", factor="machine", cause="", action="")
        assert isinstance(app.screen, ActionForm)
        assert "Write the root cause" in text_of(app, "#error-cause")
        assert app.focused is app.screen.query_one("#field-cause")  # the field to correct
        app.screen.query_one("#field-cause", Input).value = "Probe past its cycle limit"
        app.screen.query_one("#field-action", Input).value = "Probe counter with hard stop"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DefectDetailScreen)
        assert "CLOSED" in text_of(app, "#summary")
        assert "Probe past its cycle limit" in text_of(app, "#summary")
        assert text_of(app, "#message") == (
            f"Defect {short} closed with its root cause and corrective action."
        )

    assert points("T1") == before + 2
    with db.connection():
        defect = Defect.get_by_id(receipt.id)
        assert (defect.status, defect.fixed_by.badge_code, defect.verified_by.badge_code) == (
            "closed",
            "E1004",
            "E2001",
        )
        assert LedgerEntry.select().where(LedgerEntry.cause_id == receipt.id).count() == 1


async def test_a_supervisor_marks_a_closed_defect_typical_and_is_told_the_effect(demo_plant, clock):
    draft = DefectDraft("L3-S02", "machine", "major", "inspection", "Nozzle clogged")
    receipt = report_defect(Caller.of(auth.identify_badge("E4004"), clock), draft)
    lifecycle.mark_fixed(Caller.of(auth.identify_badge("E3002"), clock), receipt.id)
    lifecycle.verify(Caller.of(auth.identify_badge("E1001"), clock), receipt.id)
    lifecycle.close(
        Caller.of(auth.identify_badge("E3001"), clock),
        receipt.id,
        lifecycle.RootCause("machine", "No cleaning cycle", "Cleaning every shift"),
    )
    app = make_app(demo_plant, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "E4002", pin="1234")
        app.push_screen(DefectDetailScreen(receipt.id))
        await settle(pilot)
        await fill_form(pilot, app, "t")
        assert isinstance(app.screen, DefectDetailScreen)
        assert text_of(app, "#message") == (
            f"Defect {receipt.short_id} marked typical — it will appear in the handbook."
        )


async def test_overdue_defect_shows_on_the_black_side_without_sign_in(demo_plant, clock):
    draft = DefectDraft("L3-S02", "method", "critical", "on_site_anomaly", "Feeder mix-up")
    receipt = report_defect(Caller.of(auth.identify_badge("E3002"), clock), draft)
    clock.advance(timedelta(days=2, hours=3))
    deadlines.sweep(Caller.system(clock))

    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f7")  # from the sign-in screen: nobody signed in
        await settle(pilot)
        assert isinstance(app.screen, RedBlackScreen)
        assert app.user is None
        overdue = {row[1]: row for row in table_rows(app, "#overdue")}
        assert overdue[receipt.short_id][0] == "0 d 03 h"
        assert overdue[receipt.short_id][3] == "critical"
        late = {row[0][:11]: row for row in table_rows(app, "#late-teams")}  # names elided
        # this defect and the demo's paste defect at L3-S01 both passed their window
        assert late["Line 3 Team"][1:] == ["2", "-4"]
        # at this width long names are elided and the less telling columns left out
        missing = {row[0][:5]: row[-1] for row in table_rows(app, "#missing-inspections")}
        assert missing == {
            "L1 AC": "not inspected",
            "L2 DC": "not inspected",
            "L3 Ch": "not inspected",
        }
        on_time = {row[0][:11] for row in table_rows(app, "#on-time")}
        assert "Line 1 Team" in on_time
        # the cursor stays on its row when the board refreshes
        table = app.screen.query_one("#overdue", DataTable)
        table.move_cursor(row=table.row_count - 1)
        cursor_before = table.cursor_row
        app.screen.action_refresh()
        await settle(pilot)
        assert table.cursor_row == cursor_before


async def test_board_mode_starts_on_the_supervisor_board(demo_plant, clock):
    from kiosk.config import Settings

    app = KioskApp(
        Settings(database_url=demo_plant, terminal_id="BOARD"), clock=clock, board_only=True
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        await pilot.press("escape")  # nowhere to go back to on a board
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)


async def test_close_form_keeps_save_in_view_and_picks_the_factor_by_digit(demo_plant, clock):
    draft = DefectDraft("L1-S04", "measurement", "major", "inspection", "Tester probe worn")
    receipt = report_defect(Caller.of(auth.identify_badge("E4004"), clock), draft)
    lifecycle.mark_fixed(Caller.of(auth.identify_badge("E1004"), clock), receipt.id, "New probe")
    clock.advance(timedelta(hours=2))
    lifecycle.verify(Caller.of(auth.identify_badge("E2001"), clock), receipt.id, "Retest OK")
    app = make_app(demo_plant, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "E2001", pin="1234")
        await open_defect_from_worklist(pilot, app, receipt.short_id, all_teams=True)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ActionForm)
        for part in ("#form-submit", "#form-cancel", "#form-hint"):
            region = app.screen.query_one(part).region
            assert region.height > 0 and region.y >= 0 and region.bottom <= 24, part
        await pilot.press("3")  # the third 5M1E factor: Material
        await settle(pilot)
        assert app.screen.query_one("#field-factor").value == "material"
        app.screen.query_one("#field-action").focus()  # the last field: scrolled into view
        await settle(pilot)
        region = app.screen.query_one("#field-action").region
        assert region.height > 0 and region.bottom <= 24


async def test_the_defect_keys_are_listed_in_the_order_of_the_work(demo_plant, clock):
    """Footer keys in workflow order (progress, fixed, verify, reject, close, typical,
    reassign), not by letter; the app's own keys after them."""
    draft = DefectDraft("L3-S02", "machine", "minor", "inspection", "Label peeling")
    receipt = report_defect(Caller.of(auth.identify_badge("E4004"), clock), draft)
    app = make_app(demo_plant, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "E3001", pin="1234")
        app.push_screen(DefectDetailScreen(receipt.id))
        await settle(pilot)
        keys = key_help(app)
        words = ["Progress", "Fixed", "Verify", "Reject fix", "Close", "Typical", "Reassign"]
        places = [keys.index(word) for word in words]
        assert places == sorted(places), keys
        assert keys.index("Back") > places[-1] and keys.index("中文/English") > places[-1]
