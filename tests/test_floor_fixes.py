"""What a new user found at 80x24 (issue 13), driven by the Pilot on both engines: chart
legends that fit and cover nothing, the board's targets, keys offered only where they work,
form summaries, quiz wording, counters only where they count, singular and plural."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual_plotext import PlotextPlot

from kiosk.app import KioskApp
from kiosk.config import Settings
from kiosk.services.reports import kpis
from screens.anomalies import AnomaliesScreen
from screens.widgets.chart_legend import ChartLegend
from tests.helpers.app import check_layout, key_help, make_app, settle, sign_in

SIZE = (80, 24)


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
    summary = kpis.board_summary(clock=clock)
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
        teams = kpis.daily_series(clock=clock).team_points
        said = str(legend.content)
        assert "Line 1" in said and "Line 2" in said and said.count("━") == len(teams)
        assert shown_whole(legend) and not legend.region.overlaps(chart.region)
        assert chart.region.height >= 8  # the lines still have room
        assert "Line 1" not in str(chart.render())  # no legend drawn over the lines


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_pareto_legend_is_under_the_bars_and_the_message_in_view(demo_plant, clock, language):
    words = {"en": "cumulative % (right axis)", "zh_CN": "累计 %（右轴）"}[language]
    app = make_app(demo_plant, clock, language)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "E4002", pin="1234")
        await pilot.press("ctrl+a")
        await settle(pilot)
        assert isinstance(app.screen, AnomaliesScreen)
        chart = app.screen.query_one("#anomalies-chart", PlotextPlot)
        legend = app.screen.query_one("#anomalies-legend", ChartLegend)
        assert words in str(legend.content) and shown_whole(legend)
        assert not legend.region.overlaps(chart.region)
        drawn = str(chart.render())
        assert "cumulative" not in drawn and "累计" not in drawn and "count" not in drawn
        check_layout(app)  # the message and the keys are on screen
