"""The screens in English and Simplified Chinese on an 80x24 terminal (Pilot), and Ctrl+L.

Chinese characters take two cells: the tests check that the status bar, the message line,
the key help and the focused input stay inside the screen, that no key description is cut
off, and that the input is never under the key help.
"""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Select

from models import Defect
from screens.board import BoardScreen
from screens.defect_detail import DefectDetailScreen
from screens.defect_report import DefectReportScreen
from screens.quiz import QuizScreen
from screens.red_black import RedBlackScreen
from screens.signin import SignInScreen
from screens.station import StationScreen
from screens.team_points import TeamPointsScreen
from screens.widgets.status_bar import StatusBar
from screens.worklist import WorklistScreen
from tests.helpers.app import (
    check_layout,
    key_help,
    make_app,
    plain,
    screen_text,
    settle,
    sign_in,
    text_of,
)

SIZE = (80, 24)


async def scan(pilot, code: str) -> None:
    await pilot.press(*code, "enter")
    await settle(pilot)


async def test_the_operator_loop_in_chinese_at_80x24(demo_plant, clock):
    app = make_app(demo_plant, clock, "zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        shown = screen_text(app)
        assert "质量终端" in shown and "请扫描工牌" in shown and "工牌号，例如 E1002" in shown
        assert "演示工厂：试试这些代码" in text_of(app, "#hints")
        assert "红黑榜" in key_help(app) and "中文/English" in key_help(app)
        check_layout(app)

        await sign_in(pilot, "NOPE42")  # refused by the service, in a worker thread
        assert text_of(app, "#message") == "工牌 NOPE42 未登记。请联系班组长登记。"
        await sign_in(pilot, "E1002")
        assert isinstance(app.screen, StationScreen)
        assert "欢迎，Li Na · 操作员" in text_of(app, "#greeting")
        assert "未登录" not in plain(app.screen.query_one(StatusBar).content)
        check_layout(app)

        await scan(pilot, "L1-S01")
        assert text_of(app, "#message") == "已扫描工位 L1-S01。按 F2 在此上报缺陷。"
        card = text_of(app, "#station-card")
        assert "工位 L1-S01" in card and "责任班组" in card
        shown = screen_text(app)
        assert "类别" in shown and "严重度" in shown and "期限" in shown
        help_text = key_help(app)
        for words in ("上报缺陷", "答题练习", "班组积分", "退出登录", "产线与看板", "红黑榜"):
            assert words in help_text
        assert "供应商" not in help_text  # an operator is not offered the supplier ranking
        check_layout(app)

        # a defect report with a mistake: the form says what is missing, in Chinese
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, DefectReportScreen)
        assert "5M1E 类别" in screen_text(app) and "描述缺陷" in screen_text(app)
        check_layout(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert text_of(app, "#error-category") == "请选择 5M1E 类别（人、机、料、法、环、测）。"
        assert text_of(app, "#error-description") == "请描述缺陷：哪里有什么问题。"
        assert text_of(app, "#message") == "2 个栏目需要处理：5M1E 类别、有什么问题。"
        check_layout(app)
        category = app.screen.query_one("#category", Select)
        assert ("2 机 (设备、工装)", "machine") in [  # the digit that picks it
            (plain(label), value) for label, value in category._options
        ]
        category.value = "machine"
        app.screen.query_one("#description", Input).value = "压接高度超差，3/20 件"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)
        message = text_of(app, "#message")
        assert message.startswith("缺陷 ") and "已上报" in message and "须在" in message
        saved = Defect.get(Defect.description == "压接高度超差，3/20 件")
        assert saved.category == "machine"

        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, QuizScreen)
        assert text_of(app, "#topic").startswith("主题：")
        check_layout(app)
        await pilot.press("1", "enter")
        await settle(pilot)
        assert text_of(app, "#message") == "答案已保存。按 N 做下一题，Esc 返回。"
        assert text_of(app, "#feedback").startswith(("✔ 回答正确！", "✘ 不对。您选的是 A: "))
        assert text_of(app, "#score").startswith("目前共答 1 题")
        check_layout(app)
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, TeamPointsScreen)
        assert text_of(app, "#campaign").startswith("活动：")
        assert "Line 1 Team (AC chargers)：第 " in text_of(app, "#own-team")
        shown = screen_text(app)
        assert "排名" in shown and "积分" in shown and "积分来自积分台账" in shown
        check_layout(app)


async def test_the_operator_loop_in_english_at_80x24(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        check_layout(app)
        await sign_in(pilot, "E1002")
        await scan(pilot, "L1-S01")
        assert text_of(app, "#message") == "Station L1-S01 scanned. F2 reports a defect here."
        assert "Report defect" in key_help(app) and "中文/English" in key_help(app)
        check_layout(app)
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (
            text_of(app, "#error-description") == "Describe the defect: what is wrong, and where."
        )
        check_layout(app)
        for key, screen in (("f3", QuizScreen), ("f4", TeamPointsScreen)):
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, screen)
            check_layout(app)


async def test_ctrl_l_switches_and_keeps_the_person_the_station_and_what_was_typed(
    demo_plant, clock
):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E1002")
        await scan(pilot, "L1-S01")
        english_keys = key_help(app)
        english_card = text_of(app, "#station-card")
        await pilot.press("f2")
        await settle(pilot)
        report = app.screen
        report.query_one("#severity", Select).value = "major"
        report.query_one("#description").focus()
        await pilot.press(*"loose bolt")

        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app.language == "zh_CN"
        assert app.screen is report  # the same form, still filled in
        assert report.query_one("#description", Input).value == "loose bolt"
        assert report.query_one("#severity", Select).value == "major"
        assert app.focused is report.query_one("#description")
        assert "有什么问题？（Enter 上报）" in screen_text(app)
        assert "严重" in screen_text(app)  # the chosen severity, relabelled
        assert "上报" in key_help(app) and "取消" in key_help(app)
        assert "操作员" in plain(app.screen.query_one(StatusBar).content)
        assert app.user.badge_code == "E1002" and app.station.code == "L1-S01"
        check_layout(app)

        await pilot.press("escape")  # something typed: asked first, in Chinese
        await settle(pilot)
        assert "放弃已输入的内容？" in screen_text(app)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, StationScreen)
        assert "欢迎，Li Na" in text_of(app, "#greeting")
        assert "工位 L1-S01" in text_of(app, "#station-card")
        assert "上报缺陷" in key_help(app)

        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app.language == "en"
        assert key_help(app) == english_keys  # word for word as before
        assert text_of(app, "#station-card") == english_card
        assert text_of(app, "#greeting").startswith("Welcome, Li Na · Operator")
        assert app.user.badge_code == "E1002" and app.station.code == "L1-S01"


@pytest.mark.slow  # a long Pilot walk-through
async def test_lists_boards_and_details_fit_80x24_in_both_languages(demo_plant, clock):
    app = make_app(demo_plant, clock, "zh_CN")
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E1001", "1234")
        for language, words in (
            ("zh_CN", ("的缺陷 · 未关闭", "记录", "红榜", "班组与产线")),
            ("en", ("Defects of", "History", "RED LIST", "Teams & lines")),
        ):
            if app.language != language:
                await pilot.press("ctrl+l")
                await settle(pilot)
            seen: list[str] = []
            app.push_screen(WorklistScreen())
            await settle(pilot)
            check_layout(app)
            seen.append(screen_text(app))
            table = app.screen.query_one(DataTable)
            assert table.row_count > 0
            app.push_screen(
                DefectDetailScreen(str(table.coordinate_to_cell_key((0, 0)).row_key.value))
            )
            await settle(pilot)
            check_layout(app)
            seen.append(screen_text(app))
            for screen in (RedBlackScreen(), BoardScreen(rotate=False)):
                app.push_screen(screen)
                await settle(pilot)
                check_layout(app)
                seen.append(screen_text(app))
            shown = "\n".join(seen)
            for word in words:
                assert word in shown, (language, word)
            for _ in range(4):
                app.pop_screen()
            await settle(pilot)
