"""What a new user found at 80x24 (issue 13), driven by the Pilot on both engines: chart
legends that fit and cover nothing, the board's targets, keys offered only where they work,
form summaries, quiz wording, counters only where they count, singular and plural."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual.widgets import DataTable, Input
from textual_plotext import PlotextPlot

from kiosk.app import KioskApp
from kiosk.caller import Caller
from kiosk.config import Settings
from kiosk.services.platform import ledger
from kiosk.services.platform.ledger import team_totals
from kiosk.services.reports import kpis, reports
from models import AuditEntry, Campaign, Choice, Defect, Team, db
from screens.action_form import ActionForm
from screens.anomalies import AnomaliesScreen
from screens.defect_report import DefectReportScreen
from screens.proposals import ProposalsScreen
from screens.widgets.chart_legend import ChartLegend
from tests.helpers.app import (
    check_layout,
    error_of,
    key_help,
    make_app,
    message,
    post_keys,
    settle,
    sign_in,
    text_of,
)
from tests.helpers.incoming import seed_incoming
from tests.helpers.training import current_item, five_items

SIZE = (80, 24)


async def go_to(pilot, badge: str, pin: str | None, *keys: str) -> None:
    """Sign in, then press each key and let what it opens show."""
    await sign_in(pilot, badge, pin=pin)
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def board(url: str, clock, language: str = "en") -> KioskApp:
    settings = Settings(database_url=url, terminal_id="WALL", language=language)
    return KioskApp(settings, clock=clock, board_only=True)


def shown_whole(widget) -> bool:
    """The widget's text fits its width on every line (nothing elided off the end)."""
    lines = str(widget.content).split("\n")
    return widget.region.area > 0 and all(
        cell_len(line) <= widget.content_region.width for line in lines
    )


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_board_tiles_keep_their_targets_and_a_board_terminal_offers_no_back(
    demo_plant, clock, language
):
    summary = kpis.board_summary(Caller.system(clock))
    app = board(demo_plant, clock, language)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lines = {w.parent.id: w for w in app.screen.query(".tile-line")}
        goals = {
            "tile-coverage": f"≥{summary.target_coverage}",
            "tile-correction": f"≥{summary.target_correction_rate}",
            "tile-fpy": f"≥{summary.target_fpy}",
            "tile-suppliers": f"≤{summary.target_high_risk_suppliers}",
        }
        for tile, goal in goals.items():
            assert str(lines[tile].content).endswith(goal), (tile, str(lines[tile].content))
            assert shown_whole(lines[tile]), str(lines[tile].content)
        assert "Back" not in key_help(app) and "返回" not in key_help(app)
        await pilot.press("escape")  # nothing to go back to: still the board
        await settle(pilot)
        assert app.screen.query(".tile-line")


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_board_points_chart_legend_sits_under_the_chart(demo_plant, clock, language):
    app = board(demo_plant, clock, language)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        chart = app.screen.query_one("#chart-points", PlotextPlot)
        legend = app.screen.query_one("#points-legend", ChartLegend)
        teams = kpis.daily_series(Caller.system(clock)).team_points
        said = str(legend.content)
        assert "Line 1" in said and "Line 2" in said and said.count("━") == len(teams)
        assert shown_whole(legend) and not legend.region.overlaps(chart.region)
        assert chart.region.height >= 8  # the lines still have room
        assert "Line 1" not in str(chart.render())  # no legend drawn over the lines


async def test_a_plant_of_many_teams_charts_the_eight_best_and_counts_the_rest(demo_plant, clock):
    """Fourteen line teams: the chart reads and draws the eight best-ranked (a colour
    each), and its legend says how many more the ranking holds."""
    with db.connection():
        campaign = Campaign.get(Campaign.active).id
        extra = [Team.create(code=f"TX{n}", name=f"Extra {n}", kind="line").id for n in range(8)]
    for n, team_id in enumerate(extra):
        ledger.award(
            ledger.Award(
                team_id=team_id,
                amount=3 * n - 6,
                reason="test",
                cause_type="test",
                cause_id=str(n),
                idempotency_key=f"test:{n}",
                campaign_id=campaign,
            ),
            clock=clock,
        )
    ranked = team_totals(campaign)
    series = kpis.daily_series(Caller.system(clock))
    assert [name for name, _points in series.team_points] == [t.team_name for t in ranked[:8]]
    assert [points[-1] for _name, points in series.team_points] == [t.points for t in ranked[:8]]
    assert series.teams_not_charted == len(ranked) - 8 >= 6
    app = board(demo_plant, clock, "en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        said = str(app.screen.query_one("#points-legend", ChartLegend).content)
        assert said.count("━") == 8
        assert f"+{len(ranked) - 8} more teams in the ranking" in said


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_pareto_legend_is_under_the_bars_and_the_message_in_view(demo_plant, clock, language):
    words = {"en": "cumulative % (right axis)", "zh_CN": "累计 %（右轴）"}[language]
    app = make_app(demo_plant, clock, language)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, "E4002", "1234", "ctrl+a")
        assert isinstance(app.screen, AnomaliesScreen)
        chart = app.screen.query_one("#anomalies-chart", PlotextPlot)
        legend = app.screen.query_one("#anomalies-legend", ChartLegend)
        assert words in str(legend.content) and shown_whole(legend)
        assert not legend.region.overlaps(chart.region)
        drawn = str(chart.render())
        assert "cumulative" not in drawn and "累计" not in drawn and "count" not in drawn
        check_layout(app)  # the message and the keys are on screen


def chart_lines(app: KioskApp, selector: str) -> str:
    chart = app.screen.query_one(selector, PlotextPlot)
    assert chart.size.height, f"{selector} is not shown"
    return "\n".join(chart.render_line(y).text for y in range(chart.size.height))


# plotext hands an axis's ticks back in the order of a set (plotext._utility.brush), and a
# set of labels comes out in the order of their string hashes, which Python seeds anew in
# each process. Two orders another process may have: as given, and reversed.
TICK_ORDERS = {
    "as given": lambda items: list(dict.fromkeys(items)),
    "reversed": lambda items: list(dict.fromkeys(items))[::-1],
}


async def test_the_charts_put_their_labels_in_the_same_cells_in_every_process(
    demo_plant, clock, monkeypatch
):
    """The Pareto's categories and the board's dates sat a cell or more apart, or other
    dates were left out, from one kiosk start to the next (the labels are written one by
    one, each moved aside where one written before is in the way)."""
    import plotext._utility as plotext_utility

    drawn: dict[str, tuple[str, str]] = {}
    for order, no_duplicates in TICK_ORDERS.items():
        monkeypatch.setattr(plotext_utility, "no_duplicates", no_duplicates)
        app = make_app(demo_plant, clock)
        async with app.run_test(size=SIZE) as pilot:
            await go_to(pilot, "E4002", "1234", "ctrl+a")
            assert isinstance(app.screen, AnomaliesScreen)
            pareto = chart_lines(app, "#anomalies-chart")
        app = board(demo_plant, clock)
        async with app.run_test(size=(120, 40)) as pilot:  # room for the charts
            await settle(pilot)
            await pilot.press("3")
            await settle(pilot)
            drawn[order] = (pareto, chart_lines(app, "#chart-defects"))
    pareto, defects = drawn["as given"]
    assert "Measurement" in pareto and "Environment" in pareto
    assert "09-01" in defects  # the campaign's days under the bars, from its first
    assert drawn["reversed"] == drawn["as given"]


def under_ticks(chart: str) -> list[str]:
    """What the bottom line of a chart shows in the cells of the x axis's ticks (┬)."""
    *_, axis, labels = chart.split("\n")
    cells = [character for character in labels for _ in range(cell_len(character))]
    return [cells[n] for n, mark in enumerate(axis) if mark == "┬"]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_chinese_pareto_categories_sit_under_their_bars(demo_plant, clock, size):
    """plotext gives each character one cell: a Chinese one, two cells wide, pushed every
    label after it a cell further right (the last under no bar at all)."""
    app = make_app(demo_plant, clock, "zh_CN")
    async with app.run_test(size=size) as pilot:
        await go_to(pilot, "E4002", "1234", "ctrl+a")
        chart = chart_lines(app, "#anomalies-chart")
        table = app.screen.query_one("#anomalies-table", DataTable)
        categories = [str(table.get_row_at(row)[0]) for row in range(table.row_count)]
    assert len(categories) == 6
    assert under_ticks(chart) == categories


def greyed(app: KioskApp, description: str) -> bool:
    """The key help shows this key struck through (offered greyed, not hidden)."""
    from screens.widgets.key_help import KeyHelp

    content = app.screen.query_one(KeyHelp).content
    start = content.plain.find(description)
    assert start >= 0, f"{description!r} is not in the key help"
    return any(
        span.start <= start < span.end and "strike" in str(span.style) for span in content.spans
    )


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_an_operator_sees_review_keys_greyed_and_is_told_at_once(demo_plant, clock, language):
    words = {
        "en": ("Accept", "Reject", "Accept: only a supervisor or above may use this key.", "New"),
        "zh_CN": ("采纳", "驳回", "采纳：只有主管及以上才能使用此键。", "新提案"),
    }[language]
    app = make_app(demo_plant, clock, language)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, "E1002", None, "f11")
        assert isinstance(app.screen, ProposalsScreen)
        assert greyed(app, words[0]) and greyed(app, words[1])
        assert not greyed(app, words[3])
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ProposalsScreen)  # nothing to fill in and be refused on
        assert message(app) == words[2]
        await pilot.press("j")
        await settle(pilot)
        with db.connection():
            refusals = [
                (entry.action, entry.target)
                for entry in AuditEntry.select().where(~AuditEntry.allowed).order_by(AuditEntry.id)
            ]
        assert refusals == [("key_refused", "proposal_accept"), ("key_refused", "proposal_reject")]
        check_layout(app)
    app = make_app(demo_plant, clock, language)
    async with app.run_test(size=SIZE) as pilot:  # a supervisor: offered, and the form opens
        await go_to(pilot, "E4002", "1234", "f11")
        assert not greyed(app, words[0]) and not greyed(app, words[1])
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ActionForm)


def right_and_wrong(question_id: int) -> tuple[Choice, Choice]:
    with db.connection():
        right = Choice.get((Choice.question == question_id) & Choice.correct)
        wrong = Choice.get((Choice.question == question_id) & ~Choice.correct)
    return right, wrong


QUIZ_WORDS = {
    "en": ("Chosen: {}. Press Enter", "You chose {}.", "The answer is {}.", "Right answer: {}"),
    "zh_CN": ("已选 {}。按 Enter", "您选的是 {}。", "正确答案是 {}。", "正确答案：{}"),
}


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_quiz_and_assessment_name_an_answer_by_its_letter_and_text(
    demo_plant, clock, language
):
    chosen, you_chose, the_answer, right_answer = QUIZ_WORDS[language]
    five_items()
    app = make_app(demo_plant, clock, language)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, "E1002", None, "f3")
        right, wrong = right_and_wrong(app.screen.question.id)
        letter = "abcdef"[wrong.position - 1]
        await pilot.press(letter)
        await settle(pilot)
        assert message(app).startswith(chosen.format(f"{letter.upper()}: {wrong.text}"))
        await pilot.press("enter")
        await settle(pilot)
        feedback = text_of(app, "#feedback")
        assert you_chose.format(f"{letter.upper()}: {wrong.text}") in feedback
        assert the_answer.format(f"{'ABCDEF'[right.position - 1]}: {right.text}") in feedback
        await pilot.press("escape", "f8")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        first = current_item(app)
        right, wrong = right_and_wrong(first.question_id)
        for _item in range(5):  # every item answered wrong
            _right, wrong_now = right_and_wrong(current_item(app).question_id)
            await pilot.press("abcdef"[wrong_now.position - 1])
            await settle(pilot)
            if _item == 0:
                said = chosen.format(f"{'ABCDEF'[wrong.position - 1]}: {wrong.text}")
                assert message(app).startswith(said)
            await pilot.press("enter")
            await settle(pilot)
        missed = text_of(app, "#missed")
        assert right_answer.format(f"{'ABCDEF'[right.position - 1]}: {right.text}") in missed
        assert f"{'ABCDEF'[wrong.position - 1]}: {wrong.text}" in missed


def counter(app: KioskApp, field: str) -> str:
    return str(app.screen.query_one(f"#field-{field}", Input).border_subtitle or "")


async def test_dates_numbers_and_codes_show_no_length_counter_free_text_does(demo_plant, clock):
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, "E4002", "1234", "f12", "p")
        assert isinstance(app.screen, ActionForm)
        assert counter(app, "day") == counter(app, "produced") == ""
        await pilot.press("escape", "e")
        await settle(pilot)
        assert counter(app, "period_start") == counter(app, "period_end") == ""
        assert counter(app, "note") == "0/1000"  # free text: its limit is counted
        await pilot.press("escape", "escape")
        await settle(pilot)
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, "E4001", "1234", "ctrl+k", "n")
        assert counter(app, "starts_on") == counter(app, "ends_on") == ""
        assert counter(app, "phase_1_starts_on") == ""
        assert counter(app, "name").startswith("0/")


SUMMARY = {
    "en": "3 fields need attention: Title, What do you propose, Expected benefit.",
    "zh_CN": "3 个栏目需要处理：标题、您的改善建议是什么、预期效果。",
}


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_a_refused_form_names_its_fields_at_the_top_and_focuses_the_first(
    demo_plant, clock, language
):
    app = make_app(demo_plant, clock, language)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, "E1002", None, "f11", "n")
        assert isinstance(app.screen, ActionForm)
        app.screen.query_one("#field-problem", Input).value = "Bins look alike on line 2"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ActionForm)  # still open, with what was typed
        said = message(app)
        assert said.startswith(SUMMARY[language]), said
        for field in ("title", "proposal", "benefit"):
            assert error_of(app, field), field  # and each problem beside its field
        assert error_of(app, "problem") == ""
        assert app.focused is app.screen.query_one("#field-title", Input)
        summary = app.screen.query_one("#message")
        fields = app.screen.query_one("#form-fields")
        assert summary.region.y < fields.region.y  # at the top, above the fields
        assert summary.region.bottom <= SIZE[1]


async def test_counts_of_one_are_singular(demo_plant, clock):
    seed_incoming()  # SUP-CN01 has 4 incoming-material defects, the fourth supplier 1
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await go_to(pilot, "E4002", "1234", "ctrl+u")
        assert ": 4 defects, 40.0 %" in text_of(app, "#supplier-detail")
        await pilot.press("down", "down", "down")  # the supplier with one defect
        await settle(pilot)
        detail = text_of(app, "#supplier-detail")
        assert ": 1 defect, 10.0 %" in detail and "(s)" not in detail
        assert "(s)" not in text_of(app, "#suppliers-summary")
        await pilot.press("escape", "f7")
        await settle(pilot)
        overdue = reports.red_black(Caller.system(clock)).overdue_total
        said = message(app)
        assert said.endswith(f"{overdue} overdue defect{'' if overdue == 1 else 's'}.")


async def test_keys_typed_right_after_f2_land_in_the_report(demo_plant, clock):
    """F2 opens the report at once (its choices were read when the station was scanned):
    a quick hand's category digit and description are not lost to the scan box."""
    app = make_app(demo_plant, clock)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E1002")
        post_keys(app, "L1-S02\n")
        await settle(pilot)
        app.screen.action_report_defect()  # F2
        assert isinstance(app.screen_stack[-1], DefectReportScreen)  # at once: nothing to read
        await settle(pilot)
        for key in ["2", *"Torque tool reads low", "enter"]:
            await pilot.press(key)
        await settle(pilot)
        assert "reported" in message(app)
    with db.connection():
        latest = Defect.select().order_by(Defect.reported_at.desc()).first()
        assert latest.description == "Torque tool reads low", latest.description


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_the_defect_report_says_what_is_missing_above_the_form(demo_plant, clock, language):
    words = {
        "en": "2 fields need attention: 5M1E category, What is wrong.",
        "zh_CN": "2 个栏目需要处理：5M1E 类别、有什么问题。",
    }[language]
    app = make_app(demo_plant, clock, language)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E1002")
        post_keys(app, "L1-S01\n")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert message(app) == words
        said = app.screen.query_one("#message")
        category = app.screen.query_one("#category")
        assert said.region.bottom <= category.region.y and said.region.y >= 1  # on screen
        assert app.focused is category
        check_layout(app)
