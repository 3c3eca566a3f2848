"""Point reversal from a team's points detail (F4, Enter on a team): a supervisor reverses a
ledger row with a reason (a new opposite row, audited); not offered below supervisor."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import DataTable

from kiosk.caller import Caller
from kiosk.services.platform import ledger
from kiosk.services.platform.ledger import Award
from models import AuditEntry, LedgerEntry, Team, db
from screens.action_form import ActionForm
from screens.team_ledger import TeamLedgerScreen
from screens.team_points import TeamPointsScreen
from tests.helpers.app import check_layout, key_help, make_app, post_keys, settle, sign_in, text_of


def _t1() -> int:
    with db.connection():
        return Team.get(Team.code == "T1").id


def _award(clock, amount: int = 5) -> int:
    from kiosk.services.plant import campaigns

    team, campaign = _t1(), campaigns.active_campaign().id
    award = Award(team, amount, "test award", "manual", "t-1", "test:reversal")
    return ledger.award(replace(award, campaign_id=campaign), clock=clock).entry_id


def test_team_ledger_pages_and_shows_reversals(demo_plant, clock):
    from kiosk.services.platform import auth

    entry = _award(clock)
    team = _t1()
    with db.connection():
        count = LedgerEntry.select().where(LedgerEntry.team == team).count()
    page = ledger.team_ledger(team, limit=3)
    assert page.total == count and len(page.rows) == min(3, count)
    assert page.rows[0].id == entry and page.rows[0].reversible
    ledger.reverse_entry(Caller.of(auth.identify_badge("E4002"), clock), entry, "entered twice")
    rows = {row.id: row for row in ledger.team_ledger(team).rows}
    assert rows[entry].reversed_by_id is not None and not rows[entry].reversible
    reversal = rows[rows[entry].reversed_by_id]
    assert reversal.reverses_id == entry and reversal.amount == -5
    assert ledger.team_ledger(team).total == count + 1


async def _open_t1_ledger(pilot, app) -> TeamLedgerScreen:
    await pilot.press("f4")
    await settle(pilot)
    assert isinstance(app.screen, TeamPointsScreen)
    table = app.screen.query_one("#team-table", DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(str(_t1())))
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, TeamLedgerScreen)
    return app.screen


async def test_supervisor_reverses_a_row_with_a_reason_at_80x24(demo_plant, clock):
    entry = _award(clock)
    app = make_app(demo_plant, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "E4002", pin="1234")
        screen = await _open_t1_ledger(pilot, app)
        check_layout(app)
        assert "Reverse points" in key_help(app)
        table = screen.query_one("#ledger-rows", DataTable)
        assert str(table.get_row_at(0)[0]) == str(entry) and table.cursor_row == 0
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ActionForm)
        await pilot.press("ctrl+s")  # no reason: refused, the form stays
        await settle(pilot)
        # the field's problem under it, and at the top which field needs attention
        assert "Say why these points are reversed." in text_of(app, "#error-reason")
        assert "1 field needs attention: Why are these points reversed" in text_of(app, "#message")
        post_keys(app, "Entered twice by mistake")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TeamLedgerScreen)
        assert f"Row {entry} reversed by the new row" in text_of(app, "#message")
        assert "-5 to Line 1 Team" in text_of(app, "#message")
        await settle(pilot)
        assert "[reversed by row" in str(table.get_row_at(1)[4])
        await pilot.press("down", "x")  # the reversed row again: refused at once, no form
        await settle(pilot)
        assert isinstance(app.screen, TeamLedgerScreen)
        assert "was already reversed" in text_of(app, "#message")
    with db.connection():
        reversal = LedgerEntry.get(LedgerEntry.reverses == entry)
        assert reversal.amount == -5 and reversal.created_by.badge_code == "E4002"
        assert "Entered twice by mistake" in reversal.reason
        audit = AuditEntry.get(AuditEntry.action == "ledger_reverse")
        assert audit.allowed and audit.target == str(entry) and audit.terminal == "TEST-1"


async def test_reversal_is_not_offered_below_supervisor(demo_plant, clock):
    _award(clock)
    app = make_app(demo_plant, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "E1001", pin="1234")  # a team leader
        await _open_t1_ledger(pilot, app)
        assert "Reverse points" not in key_help(app)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, TeamLedgerScreen)
    with db.connection():
        assert not LedgerEntry.select().where(LedgerEntry.reverses.is_null(False)).exists()


def _in_view(app, selector: str) -> bool:
    region = app.screen.query_one(selector).region
    return region.height > 0 and region.bottom <= 24 and region.y >= 0


async def test_reverse_dialog_keeps_its_buttons_in_view_and_its_quotes_closed(demo_plant, clock):
    team, reason = _t1(), 'improvement proposal 4d8491d8 accepted: "Nitrogen flow alarm '
    reason += 'keeps tripping on the reflow oven during the night shift"'
    from kiosk.services.plant import campaigns

    award = Award(team, 7, reason, "manual", "t-2", "test:quote")
    entry = ledger.award(replace(award, campaign_id=campaigns.active_campaign().id), clock=clock)
    app = make_app(demo_plant, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "E4002", pin="1234")
        await _open_t1_ledger(pilot, app)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ActionForm)
        title = text_of(app, "#form-title")
        assert f"Reverse row {entry.entry_id}" in title
        assert title.count('"') % 2 == 0 and '"Nitrogen flow alar…"' in title
        for part in ("#form-submit", "#form-cancel", "#form-hint", "#field-reason"):
            assert _in_view(app, part), part
        assert "Ctrl+S saves · Esc cancels" in text_of(app, "#form-hint")
