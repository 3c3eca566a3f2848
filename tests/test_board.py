"""The supervisor board: KPI figures equal hand-computed values; the board shows them live."""

from __future__ import annotations

from datetime import timedelta

from rich.cells import cell_len
from textual.widgets import DataTable, Digits, Static

from kiosk.app import KioskApp
from kiosk.caller import Caller
from kiosk.config import Settings
from kiosk.services.defects import deadlines, lifecycle
from kiosk.services.defects.defects import DefectDraft, report_defect
from kiosk.services.defects.lifecycle import RootCause
from kiosk.services.lines import lines
from kiosk.services.platform import auth
from kiosk.services.platform.ledger import team_totals
from kiosk.services.reports import kpis
from models.defects import CATEGORIES_5M1E
from screens.board import BoardScreen, Tile
from tests.helpers.app import make_app, message, settle, sign_in


def person(badge: str) -> auth.EmployeeView:
    return auth.identify_badge(badge)


def test_kpis_on_the_seeded_month(demo_plant, clock):
    # The demo: 2 defects verified on time, 1 charged late (critical, still open), 3 open ones
    # inside their window. Add: one critical defect fixed, verified and closed on time, and one
    # that passes its window.
    closed = report_defect(
        Caller.of(person("E4004"), clock),
        DefectDraft("L2-S01", "machine", "critical", "inspection", "Arc flash"),
    ).id
    lifecycle.mark_fixed(Caller.of(person("E2003"), clock), closed)
    lifecycle.verify(Caller.of(person("E3001"), clock), closed)  # a leader outside Line 2
    lifecycle.close(
        Caller.of(person("E2001"), clock),
        closed,
        RootCause("machine", "Worn contactor", "PM every month"),
    )
    report_defect(
        Caller.of(person("E4004"), clock),
        DefectDraft("L3-S02", "method", "minor", "inspection", "Feeder label"),
    )
    lines.record_production(Caller.of(person("E1001"), clock), "L1", "2025-09-09", 400, 380)
    clock.advance(timedelta(hours=49))  # every demo defect and the feeder one are now past due
    deadlines.sweep(Caller.system(clock))
    summary = kpis.board_summary(Caller.system(clock))
    # due: 2 demo on time + 1 demo late + 3 demo open (now late) + closed one + feeder = 8
    assert (summary.verified_on_time, summary.due) == (3, 8)
    assert summary.correction_rate_percent == 37
    # open: demo late + 3 demo open + feeder = 5, all past their window
    assert (summary.open_defects, summary.overdue_defects) == (5, 5)
    assert (summary.critical_resolved, summary.critical_target) == (1, 3)
    assert (summary.coverage_passed, summary.coverage_total) == (0, 40)
    assert summary.phases_today == ("Implementation & problem-solving", "Culture integration")
    assert summary.days_left == 18
    yields = {y.line_code: y.fpy_percent for y in summary.line_yields}
    assert yields == {"L1": 95.0, "L2": None, "L3": None}
    assert summary.flag_line is None
    series = kpis.daily_series(Caller.system(clock))
    assert series.days[0] == "09-01" and series.days[-1] == "09-12"
    assert sum(series.defects_reported) == 8
    t2 = dict(series.team_points)["Line 2 Team (DC fast chargers)"]
    assert t2[-1] == next(t.points for t in summary.team_totals if t.team_code == "T2")


async def test_board_tiles_ranks_and_flag_follow_writes(demo_plant, clock):
    app = KioskApp(
        Settings(database_url=demo_plant, terminal_id="WALL"), clock=clock, board_only=True
    )
    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        screen = app.screen
        open_tile = screen.query_one("#tile-open", Tile)
        assert open_tile.query_one(Digits).value == "4/1"
        assert "No line evaluation yet" in str(screen.query_one("#flag-holder", Static).content)
        teams = screen.query_one("#board-teams", DataTable)
        ranks = {
            str(teams.get_row_at(i)[2]): str(teams.get_row_at(i)[0]) for i in range(teams.row_count)
        }
        assert ranks["Line 2 Team (DC fast chargers)"] == "6"
        teams.move_cursor(row=0)
        cursor_team = str(teams.get_row_at(0)[2])

        # Line 2 corrects two defects on time: +4 lifts it past the others
        for station in ("L2-S01", "L2-S02"):
            defect = report_defect(
                Caller.of(person("E4004"), clock),
                DefectDraft(station, "method", "minor", "inspection", "Loose label"),
            ).id
            lifecycle.mark_fixed(Caller.of(person("E2003"), clock), defect)
            lifecycle.verify(Caller.of(person("E3001"), clock), defect)
        for code in ("L1", "L2", "L3"):  # every line has counts: a missing FPY is not 0 %
            lines.record_production(Caller.of(person("E4002"), clock), code, "2025-09-08", 100, 95)
        lines.evaluate_lines(
            Caller.of(person("E4002"), clock),
            "2025-09-01",
            "2025-09-09",
            {"L1": (80, 80), "L2": (95, 90), "L3": (70, 70)},
        )
        for _ in range(30):
            await pilot.pause(0.1)
            ranks = {
                str(teams.get_row_at(i)[2]): (
                    str(teams.get_row_at(i)[0]),
                    str(teams.get_row_at(i)[1]),
                )
                for i in range(teams.row_count)
            }
            if ranks["Line 2 Team (DC fast chargers)"][0] != "6":
                break
        expected = next(t.rank for t in team_totals(None) if t.team_code == "T2")
        # (team_totals over all campaigns equals the board's: the demo has one campaign)
        assert expected < 6
        assert ranks["Line 2 Team (DC fast chargers)"] == (str(expected), "▲")
        assert str(teams.get_row_at(teams.cursor_row)[2]) == cursor_team
        flag = str(screen.query_one("#flag-holder", Static).content)
        assert "L2 DC Fast Charger Assembly" in flag


def test_the_board_team_points_read_alone_are_the_summary_s_rows(demo_plant, clock):
    """The board re-reads its team points alone after an award (kpis.board_teams): the same
    rows as with the tiles, and the ledger's sums per team (a slow reference)."""
    from models import Campaign, LedgerEntry, Team, db

    summary = kpis.board_summary(Caller.system(clock))
    teams = kpis.board_teams(Caller.system(clock))
    assert teams.team_totals == summary.team_totals
    with db.connection():
        campaign = Campaign.get(Campaign.active).id
        line_teams = {t.id: t.name for t in Team.select().where(Team.active, Team.kind == "line")}
        sums = dict.fromkeys(line_teams, 0)
        for entry in LedgerEntry.select().where(LedgerEntry.campaign == campaign):
            if entry.team_id in sums:
                sums[entry.team_id] += entry.amount
    assert {t.team_id: t.points for t in teams.team_totals} == sums
    assert any(sums.values())  # the demo has points to compare
    ordered = sorted(sums.items(), key=lambda item: (-item[1], line_teams[item[0]]))
    assert [t.team_id for t in teams.team_totals] == [team for team, _points in ordered]
    # a campaign picked on the board: the same as its summary's
    picked = kpis.board_teams(Caller.system(clock), campaign_id=campaign)
    assert picked.team_totals == summary.team_totals


def test_the_demo_campaign_is_the_month_the_demo_is_tried_in(database):
    """Seeded on 2028-02-20, the demo's Quality Month is February 2028 (a leap year), with
    the plant's phases in it, so the board shows a live phase and the days left."""
    from datetime import UTC, datetime

    from kiosk.caller import Caller
    from kiosk.clock import FrozenClock
    from kiosk.services.plant.demo import seed_demo_plant

    clock = FrozenClock(datetime(2028, 2, 20, 9, tzinfo=UTC))
    seed_demo_plant(Caller.system(clock))
    summary = kpis.board_summary(Caller.system(clock))
    assert summary.campaign_name.startswith("2028 Quality Month")
    assert summary.phases_today == ("Implementation & problem-solving", "Culture integration")
    assert summary.days_left == 9  # 21 to 29 February
    clock.advance(timedelta(days=6))  # 26 February
    assert kpis.board_summary(Caller.system(clock)).phases_today == (
        "Culture integration",
        "Summary & standardization",
    )


async def test_board_at_80x24_shows_and_scrolls_every_red_black_list(demo_plant, clock):
    """At 80x24 the tiles are two lines of short labels and figures, each Red-Black list
    shows rows and the rest scroll into view with the keys; every table fits its width or
    says which columns it leaves out, and each keeps the column it is ranked by."""
    app = KioskApp(
        Settings(database_url=demo_plant, terminal_id="WALL"), clock=clock, board_only=True
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.query_one("#tiles").region.height <= 2
        lines = [str(w.content) for w in screen.query(".tile-line")]
        assert "On time % 66 ≥100" in lines and "Open/overdue 4/1" in lines  # and the target
        for table in screen.query(DataTable):  # the Teams tab: none runs off its side
            if table.display and table.region.area:
                assert table.virtual_size.width <= table.size.width or table.border_subtitle
        await pilot.press("2")
        await settle(pilot)
        on_time = screen.query_one("#on-time", DataTable)
        assert "on-time" in [key.value for key in on_time.columns]
        assert on_time.region.height >= 3  # the header and both teams
        assert screen.query_one("#overdue", DataTable).region.height >= 2
        side = screen.query_one("#red-side")
        assert side.has_focus
        await pilot.press("pagedown", "pagedown")
        await settle(pilot)
        people = screen.query_one("#top-people", DataTable)
        assert side.region.contains_region(people.region) and people.region.height >= 2
        await pilot.press("tab")  # the black side: its last list
        await pilot.press("end")
        await settle(pilot)
        black = screen.query_one("#black-side")
        missing = screen.query_one("#missing-inspections", DataTable)
        assert black.region.contains_region(missing.region) and missing.region.height >= 2


async def test_chinese_board_dates_and_english_station_categories(demo_plant, clock):
    """The board's footer names its period the Chinese way (9月1日 – 9月30日), and the
    station's open defects name their 5M1E category by its label, not the stored key."""
    settings = Settings(database_url=demo_plant, terminal_id="WALL", language="zh_CN")
    app = KioskApp(settings, clock=clock, board_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        said = message(app)
        assert "9月1日 – 9月30日" in said and "Sep" not in said
    app = make_app(demo_plant, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "E1002")
        await pilot.press(*"L2-S04", "enter")
        await settle(pilot)
        table = app.screen.query_one("#open-defects", DataTable)
        categories = [str(table.get_row_at(n)[1]) for n in range(table.row_count)]
        assert categories and not set(categories) & set(CATEGORIES_5M1E), categories
        assert set(categories) <= {
            "Man",
            "Machine",
            "Material",
            "Method",
            "Environment",
            "Measurement",
        }


async def test_board_tab_keys_work_after_the_red_black_list(demo_plant, clock):
    """2 puts the focus on the Red-Black List's red side; 1 and 3 still leave it (they used
    to bring it straight back: the focused side, hidden, handed its focus to the black side,
    whose tab then showed again), and so does the rotation."""
    app = KioskApp(
        Settings(database_url=demo_plant, terminal_id="WALL"), clock=clock, board_only=True
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        teams = screen.query_one("#board-teams", DataTable)
        red_side = screen.query_one("#red-side")
        charts = screen.query_one("#chart-defects")
        for key, shown in (("2", red_side), ("1", teams), ("2", red_side), ("3", charts)):
            await pilot.press(key)
            await settle(pilot)
            assert shown.region.area, f"{key} did not show its tab"
        await pilot.press("2")
        await settle(pilot)
        screen.rotate = True
        screen._rotate()  # the 20 s timer's call: the Red-Black List gives way to the charts
        await settle(pilot)
        assert charts.region.area and not red_side.region.area


async def test_board_at_80x24_keeps_the_phase_and_days_left_in_sight(demo_plant, clock):
    """The demo's campaign name alone fills 80 columns: it is elided, not the phase and the
    days left after it (they fell off the line); a wider screen shows the whole name."""
    app = KioskApp(
        Settings(database_url=demo_plant, terminal_id="WALL"), clock=clock, board_only=True
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        line = app.screen.query_one("#campaign-line", Static)
        shown = str(line.content)
        assert shown.startswith("2025") and "…" in shown
        assert shown.endswith(
            "Implementation & problem-solving · Culture integration · 20 days left"
        )
        assert cell_len(shown) <= line.content_size.width
        await pilot.resize_terminal(200, 40)
        await settle(pilot)
        assert str(line.content).startswith(
            "2025 Quality Month: Strive for Zero Defects, Fully Build Reliability · Implementation"
        )
