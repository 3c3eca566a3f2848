"""The supervisor board: the campaign live on a wall screen.

KPI tiles on top; below, tabs with the team point table and first-pass yield,
the Red-Black List, and charts. Everything refreshes on the change feed (a
write on any terminal shows within a second); rows update in place, and a team
whose rank changed is marked for a moment. Unattended, the tabs rotate.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Digits, Static, TabbedContent, TabPane
from textual_plotext import PlotextPlot

from kiosk.clock import format_local
from kiosk.i18n import _
from kiosk.services import kpis, reports
from screens.base import DataChanged, KioskScreen, Message
from screens.widgets.key_help import KeyHelp
from screens.widgets.red_black_panel import RedBlackPanel
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import fill_rows

REFRESH_SECONDS = 30.0  # the change feed refreshes at once; this is a safety net
ROTATE_SECONDS = 20.0
RANK_MARK_SECONDS = 8.0
TABS = ("teams", "red-black", "charts")


class Tile(Vertical):
    """A KPI: a label and a big value."""

    def __init__(self, label: str, id: str) -> None:
        super().__init__(id=id, classes="tile")
        self.label = label

    def compose(self) -> ComposeResult:
        yield Static(self.label, classes="tile-label")
        yield Digits("–", classes="tile-value")
        yield Static("", classes="tile-note", markup=False)

    def set(self, value: str, note: str = "", level: str = "") -> None:
        self.query_one(Digits).update(value)
        self.query_one(".tile-note", Static).update(note)
        self.set_classes(f"tile {level}".strip())


class BoardScreen(KioskScreen):
    CSS_PATH = "board.tcss"
    BINDINGS = [
        Binding("1", "tab('teams')", "Teams"),
        Binding("2", "tab('red-black')", "Red-Black"),
        Binding("3", "tab('charts')", "Charts"),
        Binding("a", "toggle_rotate", "Auto-rotate"),
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, rotate: bool = False) -> None:
        super().__init__()
        self.rotate = rotate
        self.previous_ranks: dict[int, int] = {}
        self.rank_marks: dict[int, str] = {}

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static("", id="campaign-line", markup=False)
        with Horizontal(id="tiles"):
            yield Tile(_("Training coverage %"), id="tile-coverage")
            yield Tile(_("Corrected on time %"), id="tile-correction")
            yield Tile(_("Open / overdue"), id="tile-open")
            yield Tile(_("Critical issues solved"), id="tile-critical")
            with Vertical(id="tile-flag", classes="tile"):
                yield Static(_("Quality Mobile Flag"), classes="tile-label")
                yield Static("", id="flag-holder", markup=False)
        with TabbedContent(initial="teams", id="tabs"):
            with TabPane(_("Teams & lines"), id="teams"), Horizontal():
                yield DataTable(id="board-teams", cursor_type="row", zebra_stripes=True)
                yield DataTable(id="board-fpy", cursor_type="row", show_cursor=False)
            with TabPane(_("Red-Black List"), id="red-black"):
                yield RedBlackPanel()
            with TabPane(_("Charts"), id="charts"), Horizontal():
                yield PlotextPlot(id="chart-points")
                yield PlotextPlot(id="chart-defects")
        yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        teams = self.query_one("#board-teams", DataTable)
        for key, label in (
            ("rank", _("Rank")),
            ("move", ""),
            ("team", _("Team")),
            (
                "points",
                _("Points"),
            ),
        ):
            teams.add_column(label, key=key)
        fpy = self.query_one("#board-fpy", DataTable)
        for key, label in (("line", _("Line")), ("produced", _("Produced")), ("fpy", _("FPY"))):
            fpy.add_column(label, key=key)
        self.action_refresh()
        self.set_interval(REFRESH_SECONDS, self.action_refresh)
        self.set_interval(ROTATE_SECONDS, self._rotate)

    # -- data ------------------------------------------------------------------------

    def action_refresh(self) -> None:
        clock = self.app.clock  # type: ignore[attr-defined]
        self.call_service(
            kpis.board_summary,
            clock=clock,
            on_done=self.show_summary,
            group="summary",
            latest_only=True,
        )
        self.call_service(
            reports.red_black,
            clock=clock,
            on_done=self.query_one(RedBlackPanel).show,
            group="red-black",
            latest_only=True,
        )
        self.call_service(
            kpis.daily_series,
            clock=clock,
            on_done=self.show_charts,
            group="charts",
            latest_only=True,
        )

    def on_data_changed(self, _message: DataChanged) -> None:
        self.action_refresh()

    def show_summary(self, summary: kpis.BoardSummary) -> None:
        phase = " · ".join(summary.phases_today) or _("outside the campaign's phases")
        days = (
            _(" · {days_left} days left", days_left=summary.days_left)
            if summary.days_left is not None
            else ""
        )
        self.query_one("#campaign-line", Static).update(f"{summary.campaign_name} · {phase}{days}")
        coverage = summary.coverage_percent
        self.query_one("#tile-coverage", Tile).set(
            f"{coverage}",
            _(
                "{coverage_passed} of {coverage_total} passed (target 100 %)",
                coverage_passed=summary.coverage_passed,
                coverage_total=summary.coverage_total,
            ),
            "good" if coverage == 100 else "warn",
        )
        rate = summary.correction_rate_percent
        self.query_one("#tile-correction", Tile).set(
            "–" if rate is None else f"{rate}",
            _(
                "{verified_on_time} of {due} due defects",
                verified_on_time=summary.verified_on_time,
                due=summary.due,
            ),
            "" if rate is None else ("good" if rate >= 90 else "warn"),
        )
        self.query_one("#tile-open", Tile).set(
            f"{summary.open_defects}/{summary.overdue_defects}",
            _("open / past their window"),
            "bad" if summary.overdue_defects else "good",
        )
        self.query_one("#tile-critical", Tile).set(
            f"{summary.critical_resolved}/{summary.critical_target}",
            _("critical defects closed of the target"),
            "good" if summary.critical_resolved >= summary.critical_target else "",
        )
        self.query_one("#flag-holder", Static).update(
            Text(f"⚑ {summary.flag_line}", style="bold yellow")
            if summary.flag_line
            else Text(_("No line evaluation yet"), style="dim")
        )
        self._show_teams(summary)
        fill_rows(
            self.query_one("#board-fpy", DataTable),
            [
                (
                    y.line_code,
                    (
                        Text(f"{y.line_code} {y.line_name}"),
                        f"{y.produced:,}",
                        "–" if y.fpy_percent is None else f"{y.fpy_percent:.1f} %",
                    ),
                )
                for y in summary.line_yields
            ],
        )
        self.say(
            _(
                "Live · updated {time} · first-pass yield and charts: {period}",
                time=format_local(summary.generated_at, "%H:%M:%S"),
                period=summary.period,
            )
        )

    def _show_teams(self, summary: kpis.BoardSummary) -> None:
        for total in summary.team_totals:
            before = self.previous_ranks.get(total.team_id)
            if before is not None and before != total.rank:
                self.rank_marks[total.team_id] = "▲" if total.rank < before else "▼"
                self.set_timer(RANK_MARK_SECONDS, lambda t=total.team_id: self._unmark(t))
            self.previous_ranks[total.team_id] = total.rank
        rows = []
        for total in summary.team_totals:
            mark = self.rank_marks.get(total.team_id, "")
            style = "bold reverse" if mark else ""
            rows.append(
                (
                    str(total.team_id),
                    (
                        Text(str(total.rank), style=style),
                        Text(mark, style="bold green" if mark == "▲" else "bold red"),
                        Text(total.team_name, style=style),
                        Text(f"{total.points:+d}", style=style, justify="right"),
                    ),
                )
            )
        table = self.query_one("#board-teams", DataTable)
        selected = None
        if table.row_count:
            selected = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        fill_rows(table, rows)
        table.sort("rank", key=lambda cell: int(cell.plain))
        if selected is not None and selected in table.rows:
            table.move_cursor(row=table.get_row_index(selected), animate=False)

    def _unmark(self, team_id: int) -> None:
        if self.rank_marks.pop(team_id, None) is not None:
            self.action_refresh()

    def show_charts(self, series: kpis.DailySeries) -> None:
        x = list(range(1, len(series.days) + 1))
        points = self.query_one("#chart-points", PlotextPlot)
        plt = points.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(_("Team points over the month"))
        for name, values in series.team_points:
            plt.plot(x, list(values), label=name[:18])
        plt.xticks(x[:: max(len(x) // 6, 1)], list(series.days)[:: max(len(x) // 6, 1)])
        points.refresh()
        defects = self.query_one("#chart-defects", PlotextPlot)
        plt = defects.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(_("Defects reported per day"))
        plt.bar(list(series.days), list(series.defects_reported))
        defects.refresh()

    # -- tabs ------------------------------------------------------------------------

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_toggle_rotate(self) -> None:
        self.rotate = not self.rotate
        self.say(_("Tabs rotate every 20 s.") if self.rotate else _("Tabs stay put."))

    def _rotate(self) -> None:
        if not self.rotate:
            return
        tabs = self.query_one(TabbedContent)
        tabs.active = TABS[(TABS.index(tabs.active) + 1) % len(TABS)]

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.dismiss()
