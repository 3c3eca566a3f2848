"""The screens changed for issue 13 at 80x24 in English and Chinese: status bar, message,
key help and the focused widget on screen; the new prompts readable."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from kiosk.caller import Caller
from kiosk.services.defects import lifecycle
from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.platform import auth
from kiosk.services.training import contests
from screens.inspection import InspectionScreen
from screens.team_ledger import TeamLedgerScreen
from screens.worklist import WorklistScreen
from tests.helpers.app import check_layout, key_help, make_app, post_keys, settle, sign_in, text_of

SIZE = (80, 24)
WORDS = {
    "en": ("Yes, change it", "is recorded as pass. Press y", "Reverse points", "Find (/)"),
    "zh_CN": ("是，更改", "已记录为合格。按 y", "冲销积分", "查找 (/)"),
}


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_new_prompts_fit_80x24(demo_plant, clock, language):
    words = WORDS[language]
    app = make_app(demo_plant, clock, language)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E4002", pin="1234")  # a supervisor: every key is offered
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, InspectionScreen)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("p", "up", "n")  # 5S-01 pass, back on it, n/a: confirm first
        await settle(pilot)
        check_layout(app)
        assert words[0] in key_help(app) and words[1] in text_of(app, "#message")
        await pilot.press("escape", "escape", "escape")
        await settle(pilot)

        app.push_screen(TeamLedgerScreen(auth.identify_badge("E1001").team_id, "Line 1", None))
        await settle(pilot)
        check_layout(app)
        assert words[2] in key_help(app)
        assert app.screen.query_one(DataTable).row_count > 0
        app.pop_screen()
        await settle(pilot)

        app.push_screen(WorklistScreen())
        await settle(pilot)
        await pilot.press("slash")
        post_keys(app, "L1")
        await settle(pilot)
        check_layout(app)  # the search box has focus and is on screen
        assert words[3] in text_of(app, "#worklist-find-label")


async def test_contest_host_sees_the_members_to_pick(demo_plant, clock):
    host = auth.identify_badge("E1001")
    eagles, builders = contests.contest_teams()
    contest = contests.create_contest(Caller.of(host, clock), "Noon", [eagles.code, builders.code])
    contests.draw_item(Caller.of(host, clock), contest.id, after=0)
    app = make_app(demo_plant, clock, "zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E1001", pin="1234")
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # the running contest
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        pending = text_of(app, "#pending")
        assert "队员：" in pending and f"1 {eagles.members[0].name}" in pending
        check_layout(app)


async def test_worklist_closed_filter_is_counted_in_chinese(demo_plant, clock):
    receipt = report_defect(
        Caller.of(auth.identify_badge("E4004"), clock),
        DefectDraft("L1-S04", "measurement", "major", "inspection", "探针磨损"),
    )
    lifecycle.mark_fixed(Caller.of(auth.identify_badge("E1004"), clock), receipt.id, "done")
    lifecycle.verify(Caller.of(auth.identify_badge("E4003"), clock), receipt.id, "ok")
    app = make_app(demo_plant, clock, "zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E1001", pin="1234")
        await pilot.press("f5", "s", "s")  # fixed (awaiting verification), then verified
        await settle(pilot)
        assert "已验证" in text_of(app, "#worklist-title")
        table = app.screen.query_one("#worklist", DataTable)
        assert f"{table.row_count} 个缺陷。回车打开。" in text_of(app, "#message")
        assert receipt.short_id in {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        check_layout(app)
