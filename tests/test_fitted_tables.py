"""Tables choose which columns to keep at 80x24 and show everything at 200x60."""

from __future__ import annotations

from textual.widgets import DataTable

from screens.red_black import RedBlackScreen
from screens.widgets.tables import Col, FittedTable, choose_columns
from tests.helpers.app import make_app, settle


def test_the_lowest_priority_columns_go_first_and_long_text_is_elided_before():
    columns = [
        Col("id", "Defect"),
        Col("team", "Team", 2, flex=True, min_width=6),
        Col("where", "Station", 1),
        Col("points", "Points"),
    ]
    rows = [("d1", "Line 1 Team (AC chargers)", "L1-S01", "+2")]
    kept, hidden = choose_columns(columns, rows, 200)
    assert [c.key for _n, c, _w in kept] == ["id", "team", "where", "points"] and not hidden
    kept, hidden = choose_columns(columns, rows, 40)  # the team's name is elided to fit
    assert dict((c.key, w) for _n, c, w in kept)["team"] < len(rows[0][1])
    assert sum(w + 2 for _n, _c, w in kept) <= 40 and not hidden
    kept, hidden = choose_columns(columns, rows, 26)  # then the team goes, never the points
    assert [c.key for _n, c, _w in kept] == ["id", "where", "points"]
    assert [c.key for c in hidden] == ["team"]
    kept, hidden = choose_columns(columns, rows, 5)  # never fewer than the priority-0 ones
    assert [c.key for _n, c, _w in kept] == ["id", "points"]


def headers(table: DataTable) -> list[str]:
    return [str(column.label) for column in table.columns.values()]


async def test_the_red_black_list_shows_the_points_at_80x24_and_all_at_200x60(demo_plant, clock):
    for size in ((80, 24), (200, 60)):
        app = make_app(demo_plant, clock)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await pilot.press("f7")  # from the sign-in screen
            await settle(pilot)
            assert isinstance(app.screen, RedBlackScreen)
            # each list keeps the column it is ranked by
            for selector, ranked_by in (
                ("#on-time", "On time"),
                ("#top-teams", "Points"),
                ("#top-people", "Points"),
            ):
                table = app.screen.query_one(selector, FittedTable)
                assert ranked_by in headers(table), f"{size} {selector}: {headers(table)}"
                last = table.region.right
                assert last <= size[0]
            top = app.screen.query_one("#top-teams", FittedTable)
            points = [str(top.get_row_at(n)[-1]) for n in range(top.row_count)]
            assert points and all(p.startswith(("+", "-")) for p in points)
            overdue = app.screen.query_one("#overdue", FittedTable)
            if size == (200, 60):
                assert headers(overdue) == ["Overdue", "Defect", "Station", "Severity", "Team"]
                assert overdue.hidden_labels == ()
            else:
                assert headers(overdue)[0] == "Overdue"
                assert overdue.border_subtitle == "hidden: " + ", ".join(overdue.hidden_labels)


async def test_the_contest_round_at_80x24_shows_every_standing_above_the_message(demo_plant, clock):
    from kiosk.services.training import contests
    from screens.widgets.key_help import KeyHelp
    from tests.helpers.app import sign_in, text_of
    from tests.helpers.contest import first_item_answered_right, open_host_screen

    contests.contest_teams()
    app = make_app(demo_plant, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "E1001", "1234")
        await open_host_screen(pilot, app)
        await first_item_answered_right(pilot, app)
        assert "RIGHT, +2" in text_of(app, "#message")
        standings = app.screen.query_one("#standings", DataTable)
        message = app.screen.query_one("#message")
        keys = app.screen.query_one(KeyHelp)
        assert standings.row_count == 2
        # header and both rows drawn, nothing over them: the message and the keys below
        assert standings.region.height >= 3
        assert standings.region.bottom <= message.region.y <= keys.region.y
        assert message.region.bottom <= keys.region.y


async def test_lists_keep_their_important_column_at_80x24_and_show_all_at_200x60(demo_plant, clock):
    from screens.coverage import CoverageScreen
    from screens.lines import LinesScreen
    from screens.proposals import ProposalsScreen
    from screens.suppliers import SuppliersScreen
    from screens.team_points import TeamPointsScreen
    from screens.worklist import WorklistScreen
    from tests.helpers.app import post_keys, sign_in

    for size in ((80, 24), (200, 60)):
        wide = size == (200, 60)
        app = make_app(demo_plant, clock)
        async with app.run_test(size=size) as pilot:
            await sign_in(pilot, "E4002", "1234")  # a supervisor: every list
            post_keys(app, "L2-S04\n")
            await settle(pilot)
            station = app.screen.query_one("#open-defects", FittedTable)
            assert station.row_count >= 1
            assert {"Defect", "Due", "Description"} <= set(headers(station))
            assert wide == (
                headers(station)
                == ["Defect", "Category", "Severity", "Status", "Due", "Description"]
            )
            for screen, selector, needed in (
                (WorklistScreen(), "#worklist", {"Defect", "Station", "Time left"}),
                (TeamPointsScreen(), "#team-table", {"Team", "Points"}),
                (ProposalsScreen(), "#queue", {"By", "Title"}),
                (SuppliersScreen(), "#supplier-table", {"Supplier", "Defects", "Risk"}),
                (LinesScreen(), "#fpy", {"Line", "FPY"}),
                (CoverageScreen(), "#missing", {"Name", "Badge"}),
            ):
                app.push_screen(screen)
                await settle(pilot)
                table = app.screen.query_one(selector, FittedTable)
                shown = set(headers(table))
                assert needed <= shown, f"{size} {selector}: {headers(table)}"
                assert table.region.right <= size[0]
                if wide:
                    assert table.hidden_labels == (), f"{selector}: {table.hidden_labels}"
                app.pop_screen()
                await settle(pilot)


def test_chart_legends_shorten_team_names_on_a_narrow_chart():
    from screens.board import legend_label

    assert legend_label("Quality Inspection Team", 120) == "Quality Inspection Team"
    assert legend_label("Line 1 Team (AC chargers)", 120) == "Line 1"
    assert legend_label("Line 1 Team (AC chargers)", 38) == "Line 1"
    assert legend_label("Quality Inspection Team", 38) == "Quality"


async def test_the_board_charts_on_a_narrow_board_have_legends_that_fit(demo_plant, clock):
    from textual_plotext import PlotextPlot

    from kiosk.app import KioskApp
    from kiosk.config import Settings

    app = KioskApp(
        Settings(database_url=demo_plant, terminal_id="WALL"), clock=clock, board_only=True
    )
    async with app.run_test(size=(100, 40)) as pilot:  # at 80x24 a chart has no room for one
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        chart = app.screen.query_one("#chart-points", PlotextPlot)
        drawn = str(app.screen.query_one("#points-legend").content)  # under the chart
        assert chart.size.width < 60
        assert "Line 1" in drawn and "Line 1 Team (AC" not in drawn
