"""The supervisor board: the campaign live on a wall screen.

KPI tiles on top; below, tabs with the team point table and first-pass yield,
the Red-Black List, and charts. Everything refreshes on the change feed (a
write on any terminal shows within a second); rows update in place, and a team
whose rank changed is marked for a moment. Unattended, the tabs rotate.

Each KPI tile shows the campaign's target beside the actual figure. C picks a
campaign: a past (or planned) one is shown over its own dates; picking the active
one again returns to the live board.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import DataTable, Digits, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from kiosk.clock import format_local
from kiosk.errors import ServiceError
from kiosk.i18n import N_, Tr, _, ngettext
from kiosk.services.plant import campaigns
from kiosk.services.platform import ledger_check
from kiosk.services.platform.ledger import TeamTotal
from kiosk.services.reports import kpis, reports
from screens.base import DataChanged, KioskModal, KioskScreen, Message
from screens.widgets.chart import Chart
from screens.widgets.chart_legend import ChartLegend, series_colour
from screens.widgets.key_help import KeyHelp
from screens.widgets.red_black_panel import RedBlackPanel
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import Col, FittedTable, fill_rows

REFRESH_SECONDS = 30.0  # the change feed refreshes at once; this is a safety net
ROTATE_SECONDS = 20.0
RANK_MARK_SECONDS = 8.0
TABS = ("teams", "red-black", "charts")
# each panel's read and the kinds of data it shows (services.live.TOPICS): a change of
# other kinds leaves it alone; the team point table is a panel of its own, so a stream of
# awards re-reads the point totals, the Red-Black List and the charts, never the tiles
PANEL_TOPICS: dict[str, frozenset[str]] = {
    "summary": frozenset({"defects", "training", "production", "suppliers", "people", "campaign"}),
    "teams": frozenset({"points", "people", "campaign"}),
    "red-black": frozenset({"points", "defects", "production", "people", "campaign"}),
    "charts": frozenset({"points", "defects", "people", "campaign"}),
    "ledger-check": frozenset({"settings"}),
}
# the tab a panel is drawn on (the others are always in sight): after a write, a panel on a
# tab not shown is read when its tab is next shown, not at once
PANEL_TABS = {"teams": "teams", "red-black": "red-black", "charts": "charts"}
TEAM_COLUMNS = [
    Col("rank", N_("Rank")),
    Col("move", ""),
    Col("team", N_("Team"), flex=True, min_width=8),
    Col("points", N_("Points")),
]
# at 80 columns the line's name is elided, then the count produced goes (said under it)
FPY_COLUMNS = [
    Col("line", N_("Line"), flex=True, min_width=6, coded=True),
    Col("produced", N_("Produced"), 1),
    Col("fpy", N_("FPY")),
]
NARROW_WIDTH = 168  # below this (7 tiles of 24 columns) the tiles are two rows of one-line figures
LOW_HEIGHT = 36  # below this the tiles are two lines of figures, so the lists below have room


class Tile(Vertical):
    """A KPI: a label and a big value; narrow, a short label and the value with its target;
    on a low screen one line: the short label and the value."""

    def __init__(self, label: str, short: str, id: str) -> None:
        super().__init__(id=id, classes="tile")
        self.label = label
        self.short = short

    def compose(self) -> ComposeResult:
        yield Static(self.label, classes="tile-label", markup=False)
        yield Static(self.short, classes="tile-short", markup=False)
        yield Digits("–", classes="tile-value")
        yield Static("", classes="tile-small", markup=False)  # value and target, narrow
        yield Static("", classes="tile-line", markup=False)  # label and value, low
        yield Static("", classes="tile-note", markup=False)

    def set(
        self, value: str, note: str = "", level: str = "", target: str = "", goal: str = ""
    ) -> None:
        """`target` in words ("target 80 %"), `goal` in a few cells ("≥80") for one line."""
        self.query_one(Digits).update(value)
        self.query_one(".tile-small", Static).update(
            Text.assemble((value, "bold"), f"  {target}" if target else "")
        )
        self._line = (value, goal)
        self._draw_line()
        self.query_one(".tile-note", Static).update(f"{target} · {note}" if target else note)
        self.set_classes(f"tile {level}".strip())

    def on_resize(self) -> None:
        self._draw_line()

    def _draw_line(self) -> None:
        """The one-line tile: the label gives way (elided) so the value and the goal stay."""
        value, goal = getattr(self, "_line", ("", ""))
        line = self.query_one(".tile-line", Static)
        figures = Text.assemble((value, "bold"), (f" {goal}", "italic") if goal else "")
        # again in the current language (Ctrl+L reloads the figures, and so this)
        label = Text(self.short.again() if isinstance(self.short, Tr) else self.short)
        room = line.size.width - figures.cell_len - 1
        if line.size.width and label.cell_len > room:
            elide(label, room)
        line.update(Text.assemble(label, " ", figures))


def elide(label: Text, room: int) -> None:
    """Cut `label` to `room` cells, its last one "…" (in place)."""
    label.truncate(max(room - 1, 0))
    label.rstrip()  # half a wide character cut: no gap before the mark
    label.append("…")


class CampaignPicker(KioskModal):
    """The campaigns, newest first; dismisses with the id picked (None: cancelled)."""

    CSS_PATH = "board.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, shown: int | None) -> None:
        super().__init__()
        self.shown = shown

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(_("Show which campaign?"), id="picker-title")
            yield OptionList(id="picker-list")
            yield Message()

    def on_mount(self) -> None:
        self.call_service(campaigns.list_campaigns, on_done=self.show_campaigns)

    def show_campaigns(self, views: list[campaigns.CampaignView]) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        for view in views:
            mark = _("active, live") if view.active else ""
            options.add_option(
                Option(
                    Text.assemble(
                        (view.name, "bold" if view.active else ""),
                        f"  {view.starts_on} – {view.ends_on}",
                        (f"  ({mark})" if mark else "", "green"),
                    ),
                    id=str(view.id),
                )
            )
        if not views:
            self.say(_("There is no campaign yet."), "error")
            return
        ids = [str(view.id) for view in views]
        options.highlighted = ids.index(str(self.shown)) if str(self.shown) in ids else 0
        options.focus()
        self.say(_("Up/Down and Enter pick a campaign; Esc keeps the board as it is."))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option.id or 0))

    def action_cancel(self) -> None:
        self.dismiss(None)


class BoardScreen(KioskScreen):
    CSS_PATH = "board.tcss"
    BINDINGS = [
        Binding("1", "tab('teams')", "Teams"),
        Binding("2", "tab('red-black')", "Red-Black"),
        Binding("3", "tab('charts')", "Charts"),
        Binding("c", "pick_campaign", "Pick campaign"),
        Binding("a", "toggle_rotate", "Auto-rotate"),
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, rotate: bool = False) -> None:
        super().__init__()
        self.rotate = rotate
        self.previous_ranks: dict[int, int] = {}
        self.rank_marks: dict[int, str] = {}
        self.campaign_id: int | None = None  # None: the active campaign, live
        self.series: kpis.DailySeries | None = None  # the charts shown (drawn again on resize)
        self._stale_panels: set[str] = set()  # changed while being read: read again after
        self._unseen_panels: set[str] = set()  # changed on a tab not shown: read when shown
        self._summary: kpis.BoardSummary | None = None  # the last shown
        self._teams: tuple[TeamTotal, ...] = ()  # the team totals last shown (marks fade)
        self._teams_at: datetime | None = None  # when the team totals shown were read
        self._updated_at: datetime | None = None  # of the newest figures shown
        self._campaign_line = ("", "")  # the campaign's name, and what follows it

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static("", id="campaign-line", markup=False)
        yield Static("", id="ledger-warning", markup=False)  # the last ledger check failed
        with Grid(id="tiles"):
            yield Tile(_("Training coverage %"), _("Trained %"), id="tile-coverage")
            yield Tile(_("Corrected on time %"), _("On time %"), id="tile-correction")
            yield Tile(_("Open / overdue"), _("Open/overdue"), id="tile-open")
            yield Tile(_("Critical issues solved"), _("Critical solved"), id="tile-critical")
            yield Tile(_("First-pass yield %"), _("First-pass %"), id="tile-fpy")
            yield Tile(_("High-risk suppliers %"), _("High-risk %"), id="tile-suppliers")
            with Vertical(id="tile-flag", classes="tile"):
                yield Static(_("Quality Mobile Flag"), classes="tile-label")
                yield Static(_("Mobile Flag"), classes="tile-short")
                yield Static("", id="flag-holder", markup=False)
        with TabbedContent(initial="teams", id="tabs"):
            with TabPane(_("Teams & lines"), id="teams"), Horizontal():
                yield FittedTable(id="board-teams", cursor_type="row", zebra_stripes=True)
                yield FittedTable(id="board-fpy", cursor_type="row", show_cursor=False)
            with TabPane(_("Red-Black List"), id="red-black"):
                yield RedBlackPanel()
            with TabPane(_("Charts"), id="charts"), Horizontal():
                with Vertical():  # the legend under the chart: it never covers the lines
                    yield Chart(id="chart-points")
                    yield ChartLegend(id="points-legend")
                yield Chart(id="chart-defects")
        yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        self.query_one("#board-teams", FittedTable).set_columns(TEAM_COLUMNS)
        self.query_one("#board-fpy", FittedTable).set_columns(FPY_COLUMNS)
        self.action_refresh()
        self.set_interval(REFRESH_SECONDS, self.action_refresh)
        self.set_interval(ROTATE_SECONDS, self._rotate)

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW_WIDTH, "narrow")
        self.set_class(self.size.height < LOW_HEIGHT, "low")
        self.call_after_refresh(self._draw_campaign_line)  # the name elided to the new width
        if self.series is not None:
            self.call_after_refresh(self.show_charts, self.series)  # the legend fits again

    # -- data ------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.refresh_panels(PANEL_TOPICS)

    def on_data_changed(self, message: DataChanged) -> None:
        """Writes somewhere (one message per burst): re-read only the panels that show
        the kinds of data they changed, and of those only the ones in sight now (the
        others when their tab is shown)."""
        changed = [panel for panel, kinds in PANEL_TOPICS.items() if message.touches(kinds)]
        shown = self.query_one(TabbedContent).active
        unseen = {panel for panel in changed if PANEL_TABS.get(panel, shown) != shown}
        self._unseen_panels |= unseen
        self.refresh_panels([panel for panel in changed if panel not in unseen])

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """A tab comes into sight: its panels changed while it was hidden are read now."""
        due = {panel for panel in self._unseen_panels if PANEL_TABS.get(panel) == event.pane.id}
        if due:
            self.refresh_panels(due)

    def refresh_panels(self, panels: Iterable[str]) -> None:
        """Read these panels again. A panel still being read is read once more when that
        read is done (however many changes came meanwhile): a stream of writes costs one
        read at a time per panel, and the last write is always shown. The tiles' read
        brings the team points too: with it, the team points are not read on their own."""
        wanted = set(panels)
        self._unseen_panels -= wanted
        if "summary" in wanted:
            wanted.discard("teams")
            self._unseen_panels.discard("teams")
        for panel in (panel for panel in PANEL_TOPICS if panel in wanted):
            if self.in_flight(panel):
                self._stale_panels.add(panel)
            else:
                self._read_panel(panel)

    def _read_panel(self, panel: str) -> None:
        caller = self.caller
        chosen = self.campaign_id
        panels: dict[str, tuple[Callable[..., object], Callable[[Any], None], dict[str, Any]]]
        panels = {
            "summary": (
                kpis.board_summary,
                self.show_summary,
                {"campaign_id": chosen, "caller": caller},
            ),
            "teams": (
                kpis.board_teams,
                self.show_teams,
                {"campaign_id": chosen, "caller": caller},
            ),
            "red-black": (
                reports.red_black,
                self.query_one(RedBlackPanel).show,
                {"campaign_id": chosen, "caller": caller},
            ),
            "charts": (
                kpis.daily_series,
                self.show_charts,
                {"campaign_id": chosen, "caller": caller},
            ),
            "ledger-check": (ledger_check.last_check, self.show_ledger_check, {}),
        }
        function, show, arguments = panels[panel]

        def shown(value: object) -> None:
            show(value)
            self._read_again_if_stale(panel)

        def failed(error: ServiceError) -> None:
            self.show_error(error)
            self._read_again_if_stale(panel)

        self.call_service(
            function, on_done=shown, on_error=failed, group=panel, latest_only=True, **arguments
        )

    def _read_again_if_stale(self, panel: str) -> None:
        if panel in self._stale_panels:
            self._stale_panels.discard(panel)
            self._read_panel(panel)

    def show_ledger_check(self, check: ledger_check.LedgerCheck | None) -> None:
        """The warning stays on the board while the latest `kiosk ledger verify` failed."""
        warning = self.query_one("#ledger-warning", Static)
        failed = check is not None and not check.ok
        warning.update(ledger_check.warning_text(check) if check is not None and failed else "")
        warning.display = failed

    def show_summary(self, summary: kpis.BoardSummary) -> None:
        self._summary = summary
        if summary.live:
            phase = " · ".join(summary.phases_today) or _("outside the campaign's phases")
            days = (
                ngettext(" · {count} day left", " · {count} days left", summary.days_left)
                if summary.days_left is not None
                else ""
            )
            self._campaign_line = (summary.campaign_name, f" · {phase}{days}")
        else:
            line = _(
                "{name} ({dates}) · not the active campaign · C: pick another",
                name=summary.campaign_name,
                dates=summary.campaign_dates,
            )
            self._campaign_line = ("", line)
        self._draw_campaign_line()
        if summary.live:
            self.campaign_id = None  # the active one picked: back to following whatever is active
        self.set_class(not summary.live, "past")
        self._show_tiles(summary)
        self.query_one("#flag-holder", Static).update(
            Text(f"⚑ {summary.flag_line}", style="bold yellow")
            if summary.flag_line
            else Text(_("No line evaluation yet"), style="dim")
        )
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
        self.show_teams(kpis.BoardTeams(summary.generated_at, summary.team_totals))
        self._say_updated(summary.generated_at)

    def _draw_campaign_line(self) -> None:
        """The campaign's name gives way (elided) so the phase and the days left stay: at 80
        columns the demo's name alone fills the line."""
        name, rest = self._campaign_line
        line = self.query_one("#campaign-line", Static)
        label, tail = Text(name), Text(rest)
        room = line.content_size.width - tail.cell_len
        if name and line.content_size.width and label.cell_len > room:
            elide(label, max(room, 2))
        line.update(Text.assemble(label, tail))

    def _say_updated(self, generated_at: datetime) -> None:
        """When the board last read its figures (the tiles, or the team points since)."""
        if self._updated_at is not None and generated_at < self._updated_at:
            generated_at = self._updated_at  # an older read that finished later
        self._updated_at = generated_at
        summary = self._summary
        if summary is None:
            return  # the tiles come with their own line
        self.say(
            _(
                "Live · updated {time} · first-pass yield and charts: {period}",
                time=format_local(generated_at, "%H:%M:%S"),
                period=summary.period,
            )
            if summary.live
            else _(
                "Campaign {name} · updated {time} · its figures over {period}",
                name=summary.campaign_name,
                time=format_local(generated_at, "%H:%M:%S"),
                period=summary.period,
            )
        )

    def _show_tiles(self, summary: kpis.BoardSummary) -> None:
        coverage = summary.coverage_percent
        self.query_one("#tile-coverage", Tile).set(
            f"{coverage}",
            _(
                "{coverage_passed} of {coverage_total} passed",
                coverage_passed=summary.coverage_passed,
                coverage_total=summary.coverage_total,
            ),
            "good" if coverage >= summary.target_coverage else "warn",
            _("target {target} %", target=summary.target_coverage),
            f"≥{summary.target_coverage}",
        )
        rate = summary.correction_rate_percent
        self.query_one("#tile-correction", Tile).set(
            "–" if rate is None else f"{rate}",
            _(
                "{verified_on_time} of {due} due defects",
                verified_on_time=summary.verified_on_time,
                due=summary.due,
            ),
            "" if rate is None else ("good" if rate >= summary.target_correction_rate else "warn"),
            _("target {target} %", target=summary.target_correction_rate),
            f"≥{summary.target_correction_rate}",
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
            _("target {target}", target=summary.critical_target),
        )
        fpy = summary.fpy_percent
        self.query_one("#tile-fpy", Tile).set(
            "–" if fpy is None else f"{fpy:.1f}",
            _("all lines"),
            "" if fpy is None else ("good" if fpy >= summary.target_fpy else "warn"),
            _("target {target} %", target=summary.target_fpy),
            f"≥{summary.target_fpy}",
        )
        share = summary.high_risk_supplier_percent
        self.query_one("#tile-suppliers", Tile).set(
            "–" if share is None else f"{share}",
            _(
                "{high_risk} of {suppliers} suppliers",
                high_risk=summary.high_risk_suppliers,
                suppliers=summary.active_suppliers,
            ),
            ""
            if share is None
            else ("good" if share <= summary.target_high_risk_suppliers else "bad"),
            _("target ≤ {target} %", target=summary.target_high_risk_suppliers),
            f"≤{summary.target_high_risk_suppliers}",
        )

    def show_teams(self, teams: kpis.BoardTeams) -> None:
        """The team point table read again (after a ledger write, or with the tiles); a read
        that started before the one shown (and finished after it) is older: not shown."""
        if self._teams_at is not None and teams.generated_at < self._teams_at:
            return
        self._teams, self._teams_at = teams.team_totals, teams.generated_at
        self._show_teams()
        self._say_updated(teams.generated_at)

    def _show_teams(self) -> None:
        for total in self._teams:
            before = self.previous_ranks.get(total.team_id)
            if before is not None and before != total.rank:
                self.rank_marks[total.team_id] = "▲" if total.rank < before else "▼"
                self.set_timer(RANK_MARK_SECONDS, lambda t=total.team_id: self._unmark(t))
            self.previous_ranks[total.team_id] = total.rank
        rows = []
        for total in sorted(self._teams, key=lambda t: t.rank):
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
        fill_rows(self.query_one("#board-teams", FittedTable), rows)  # the cursor stays

    def _unmark(self, team_id: int) -> None:
        """A rank mark fades: the teams are shown again as last read (no new read)."""
        if self.rank_marks.pop(team_id, None) is not None:
            self._show_teams()

    def show_charts(self, series: kpis.DailySeries) -> None:
        self.series = series
        x = list(range(1, len(series.days) + 1))
        points = self.query_one("#chart-points", Chart)
        plt = points.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(_("Team points over the month"))
        legend = []
        for index, (name, values) in enumerate(series.team_points):
            plt.plot(x, list(values), color=series_colour(index))
            # the chart's width: half the screen (the tab may not be shown yet)
            label = legend_label(name, self.size.width // 2)
            legend.append((label, series_colour(index), "━"))
        if series.teams_not_charted:
            more = ngettext(
                "+{count} more team in the ranking",
                "+{count} more teams in the ranking",
                series.teams_not_charted,
            )
            legend.append((str(more), (160, 160, 160), "…"))
        self.query_one("#points-legend", ChartLegend).show(legend)
        step = max(len(x) // 6, 1)
        # textual-plotext hints the ticks as a list of floats only (ints are fine)
        plt.xticks(x[::step], list(series.days)[::step])  # type: ignore[arg-type]
        points.refresh()
        defects = self.query_one("#chart-defects", Chart)
        plt = defects.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(_("Defects reported per day"))
        plt.bar(list(series.days), list(series.defects_reported))
        defects.refresh()

    # -- the campaign shown ---------------------------------------------------------------

    def action_pick_campaign(self) -> None:
        self.app.push_screen(CampaignPicker(self.campaign_id), self._picked)

    def _picked(self, campaign_id: int | None) -> None:
        if campaign_id is None:
            return
        self.campaign_id = campaign_id
        self.previous_ranks.clear()  # another campaign: no rank moves to mark
        self.rank_marks.clear()
        self.action_refresh()

    # -- tabs ------------------------------------------------------------------------

    def action_tab(self, tab: str) -> None:
        self._show_tab(tab)
        if tab == "red-black":  # Down and PageDown scroll the red side's lists at once
            self.query_one("#red-side").focus()

    def _show_tab(self, tab: str) -> None:
        """Show a tab. Focus inside the tab being left goes first: Textual gives a hidden
        focused widget's focus to the next one, and a TabbedContent shows the tab of whatever
        takes focus, so the Red-Black List's focused side used to bring its tab straight back
        (1 and 3 did nothing after 2, and the rotation stuck there)."""
        tabs = self.query_one(TabbedContent)
        focused = self.focused
        if tab != tabs.active and focused is not None and tabs in focused.ancestors:
            self.set_focus(None)
        tabs.active = tab

    def action_toggle_rotate(self) -> None:
        self.rotate = not self.rotate
        self.say(_("Tabs rotate every 20 s.") if self.rotate else _("Tabs stay put."))

    def _rotate(self) -> None:
        if not self.rotate:
            return
        active = self.query_one(TabbedContent).active
        self._show_tab(TABS[(TABS.index(active) + 1) % len(TABS)])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A board terminal (`kiosk board`) has nothing to go back to: Esc is not offered."""
        if action == "back":
            return len(self.app.screen_stack) > 2
        return True

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.dismiss()


def legend_label(team_name: str, chart_width: int) -> str:
    """A team's name in a chart legend that fits: at 80 columns a chart is about 38 cells
    wide, and a legend of full names took many lines."""
    limit = 24 if chart_width >= 60 else max(6, chart_width // 3)
    if len(team_name) <= limit:
        return team_name
    short = team_name.split(" (")[0].removesuffix(" Team")  # "Line 1", "Quality Inspection"
    if len(short) <= limit:
        return short
    words = short[: limit + 1].rsplit(" ", 1)[0]  # whole words where it can: "Quality"
    return words if len(words) <= limit else short[:limit]
