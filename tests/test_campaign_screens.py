"""The quality admin's campaign screen through the Pilot at 80x24: the list, a new campaign
with its problems beside the fields (nothing typed lost), activation; a supervisor is
neither offered the key nor let in by the service (audited)."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input

from models import AuditEntry, Campaign, Employee, db
from screens.campaigns import CampaignForm, CampaignsScreen, ConfirmActivation
from screens.station import StationScreen
from tests.helpers.app import (
    check_layout,
    error_of,
    key_help,
    make_app,
    message,
    screen_text,
    settle,
    sign_in,
    type_into,
)

SIZE = (80, 24)
DEMO = "2025 Quality Month: Strive for Zero Defects, Fully Build Reliability"


def audit_rows(action: str) -> list[tuple[str | None, bool, str]]:
    with db.connection():
        rows = AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.id)
        return [
            (Employee.get_by_id(a.actor_id).badge_code if a.actor_id else None, a.allowed, a.target)
            for a in rows
        ]


def campaigns_in_db() -> list[tuple[str, bool]]:
    with db.connection():
        return [(c.name, bool(c.active)) for c in Campaign.select().order_by(Campaign.starts_on)]


@pytest.mark.slow  # a long Pilot walk-through
async def test_a_quality_admin_creates_and_activates_a_campaign(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E4001", "1234")
        assert isinstance(app.screen, StationScreen)
        assert "Campaigns" in key_help(app)
        await pilot.press("ctrl+k")
        await settle(pilot)
        assert isinstance(app.screen, CampaignsScreen)
        check_layout(app)
        table = app.screen.query_one("#campaigns", DataTable)
        assert table.row_count == 1 and DEMO in screen_text(app)
        assert "New campaign" in key_help(app) and "Activate" in key_help(app)

        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, CampaignForm)
        check_layout(app)
        # starts from the active campaign's rules
        assert app.screen.query_one("#field-correction_window_hours", Input).value == "48"
        await type_into(pilot, "name", "2026 Quality Month")
        await type_into(pilot, "starts_on", "2026-09-01")
        await type_into(pilot, "ends_on", "2026-08-30")
        await type_into(pilot, "phase_1_name", "Kick-off")
        await type_into(pilot, "phase_1_starts_on", "2026-09-01")
        await type_into(pilot, "phase_1_ends_on", "2026-09-05")
        await type_into(pilot, "weight_fpy", "35")
        await type_into(pilot, "target_fpy_percent", "95")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CampaignForm)  # refused: still open, nothing lost
        assert message(app) == (  # the fields named at the top, in the form's order
            "3 fields need attention: Last day, Phase 1, Line evaluation weights."
        )
        assert error_of(app, "ends_on") == (
            "The campaign ends (2026-08-30) before it starts (2026-09-01)."
        )
        assert "lies outside the campaign" in error_of(app, "phase_1")
        assert error_of(app, "weights") == (
            "The line-evaluation weights add up to 105 %; they must add up to 100 %."
        )
        assert error_of(app, "name") == ""
        assert app.screen.query_one("#field-name", Input).value == "2026 Quality Month"
        assert app.screen.query_one("#field-weight_fpy", Input).value == "35"
        assert app.focused is app.screen.query_one("#field-ends_on", Input)
        check_layout(app)
        assert campaigns_in_db() == [(DEMO, True)]

        await type_into(pilot, "ends_on", "2026-09-30")
        await type_into(pilot, "weight_fpy", "30")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CampaignsScreen)
        assert "Campaign 2026 Quality Month created (inactive)" in message(app)
        assert campaigns_in_db() == [(DEMO, True), ("2026 Quality Month", False)]
        with db.connection():
            created = Campaign.get(Campaign.name == "2026 Quality Month")
            assert created.target_fpy_percent == 95 and created.weight_fpy == 30
            assert '"Kick-off"' in created.phases_json
        assert audit_rows("create_campaign") == [("E4001", True, "2026 Quality Month")]

        table = app.screen.query_one("#campaigns", DataTable)
        assert table.row_count == 2
        assert table.cursor_row == 0  # newest first, and the new one is selected
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmActivation)
        assert "Activate 2026 Quality Month?" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert message(app) == "Nothing changed."
        assert campaigns_in_db()[1] == ("2026 Quality Month", False)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert message(app) == "2026 Quality Month is the active campaign now."
        assert campaigns_in_db() == [(DEMO, False), ("2026 Quality Month", True)]
        assert audit_rows("activate_campaign") == [("E4001", True, "2026 Quality Month")]


async def test_a_supervisor_is_not_offered_campaigns_and_is_refused(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E4002", "1234")
        assert isinstance(app.screen, StationScreen)
        assert "Campaigns" not in key_help(app)
        await pilot.press("ctrl+k")
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)  # the key does nothing for them
        app.push_screen(CampaignsScreen())  # as an admin menu would, by mistake
        await settle(pilot)
        assert message(app) == "Only a quality admin or above may manage campaigns."
        assert "New campaign" not in key_help(app) and "Activate" not in key_help(app)
        await pilot.press("n", "a")
        await settle(pilot)
        assert isinstance(app.screen, CampaignsScreen)
        assert app.screen.query_one("#campaigns", DataTable).row_count == 0
    assert audit_rows("manage_campaigns") == [("E4002", False, "campaigns")]
    assert campaigns_in_db() == [(DEMO, True)]


@pytest.mark.slow  # a long Pilot walk-through
async def test_the_campaign_screens_fit_80x24_in_chinese(demo_plant, clock):
    app = make_app(demo_plant, clock, "zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E4001", "1234")
        assert "活动" in key_help(app)
        await pilot.press("ctrl+k")
        await settle(pilot)
        check_layout(app)
        assert "质量月活动" in screen_text(app) and "新建活动" in key_help(app)
        await pilot.press("n")
        await settle(pilot)
        check_layout(app)
        await type_into(pilot, "name", "2026 质量月")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert message(app).startswith("2 个栏目需要处理：开始日期、结束日期")
        assert "请按 YYYY-MM-DD 填写开始日期。" in error_of(app, "starts_on")
        check_layout(app)
        assert app.screen.query_one("#field-name", Input).value == "2026 质量月"
