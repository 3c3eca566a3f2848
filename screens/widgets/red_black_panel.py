"""The Red-Black List as a panel: the red side praises, the black side exposes.

Used by the Red-Black List screen and by the supervisor board. Rows update in
place, so a cursor or scroll position stays where it was across refreshes.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Static

from kiosk.i18n import N_, _
from kiosk.services.reports import reports
from screens.codes import code_word
from screens.widgets.tables import Col, FittedTable, fill_rows

# the column a list is ranked by always stays; names are elided, then the less telling
# columns go first
TEAM = Col("team", N_("Team"), flex=True, min_width=8)
COLUMNS = {
    "#on-time": (TEAM, Col("on-time", N_("On time")), Col("points", N_("Points"), 1)),
    "#top-teams": (Col("rank", N_("Rank"), 1), TEAM, Col("points", N_("Points"))),
    "#top-people": (
        Col("name", N_("Name"), flex=True, min_width=8),
        Col("team", N_("Team"), 1, flex=True, min_width=8),
        Col("points", N_("Points")),
    ),
    # which defect is late is the point of the list: its id goes after its station
    "#overdue": (
        Col("overdue", N_("Overdue")),
        Col("defect", N_("Defect"), 1),
        Col("station", N_("Station"), 2),
        Col("severity", N_("Severity"), 3),
        Col("team", N_("Team"), 4, flex=True, min_width=8),
    ),
    "#late-teams": (TEAM, Col("late", N_("Late"), 1), Col("lost", N_("Points lost"))),
    "#missing-inspections": (
        Col("line", N_("Line"), flex=True, min_width=6),
        Col("week", N_("Week"), 2),
        Col("status", N_("Status"), 1),
        Col("team", N_("Team"), 3, flex=True, min_width=8),
    ),
    "#suspicious": (TEAM, Col("fixes", N_("Quick self-fixes"))),
}
SUSPICIOUS_MARK = "⚠ "


class RedBlackPanel(Horizontal):
    DEFAULT_CSS = """
    RedBlackPanel {
        height: 1fr;
    }
    #red-side, #black-side {
        width: 1fr;
        padding: 0 1;
        scrollbar-size-vertical: 1;
    }

    #red-side {
        border: heavy $error;
    }

    #red-side:focus, #black-side:focus {
        background: $boost;
    }

    #black-side {
        border: heavy $foreground 40%;
    }

    .side-title {
        text-style: bold;
        text-align: center;
    }

    #red-side .side-title {
        color: $error;
    }

    .table-title {
        margin-top: 1;
        text-style: bold underline;
    }

    #red-side DataTable, #black-side DataTable {
        height: auto;
        max-height: 12;
    }

    #overdue {
        max-height: 20;
    }
    """

    def compose(self) -> ComposeResult:
        # each side scrolls (Down, PageDown) when its lists are longer than the screen
        with VerticalScroll(id="red-side"):
            yield Static(_("RED LIST · praise"), classes="side-title")
            yield Static(_("Corrected on time"), classes="table-title")
            yield FittedTable(id="on-time", cursor_type="row", show_cursor=False)
            yield Static(_("Top teams"), classes="table-title")
            yield FittedTable(id="top-teams", cursor_type="row", show_cursor=False)
            yield Static(_("Top people"), classes="table-title")
            yield FittedTable(id="top-people", cursor_type="row", show_cursor=False)
        with VerticalScroll(id="black-side"):
            yield Static(_("BLACK LIST · exposure"), classes="side-title")
            # shown only while a team is marked: points that look farmed come first
            yield Static("", id="suspicious-title", classes="table-title", markup=False)
            yield FittedTable(id="suspicious", cursor_type="row", show_cursor=False)
            yield Static(_("Overdue defects"), id="overdue-title", classes="table-title")
            yield FittedTable(id="overdue", cursor_type="row")
            yield Static(_("Late teams"), classes="table-title")
            yield FittedTable(id="late-teams", cursor_type="row", show_cursor=False)
            yield Static(_("Lines not inspected this week"), classes="table-title")
            yield FittedTable(id="missing-inspections", cursor_type="row", show_cursor=False)

    @staticmethod
    def _team(board: reports.RedBlackList, name: str) -> Text:
        """A team's name on the red side, marked when its points look farmed."""
        if board.is_suspicious(name):
            return Text(SUSPICIOUS_MARK + name, style="bold yellow")
        return Text(name)

    def on_mount(self) -> None:
        for selector, columns in COLUMNS.items():
            table = self.query_one(selector, FittedTable)
            table.set_columns(list(columns))
            # a list without a cursor takes no focus: its side scrolls with the keys instead
            table.can_focus = table.show_cursor
        for selector in ("#suspicious-title", "#suspicious"):
            self.query_one(selector).display = False  # until a team is marked

    def show(self, board: reports.RedBlackList) -> None:
        fill_rows(
            self.query_one("#on-time", DataTable),
            [
                (t.team_name, (self._team(board, t.team_name), t.on_time, f"{t.points:+d}"))
                for t in board.on_time_teams
            ],
        )
        self.query_one("#suspicious-title", Static).update(
            _(
                "⚠ Check: self-reported defects fixed within {hours} h",
                hours=board.suspicious_hours,
            )
        )
        fill_rows(
            self.query_one("#suspicious", DataTable),
            [
                (
                    t.team_name,
                    (Text(t.team_name, style="bold yellow"), Text(str(t.quick_self_fixes))),
                )
                for t in board.suspicious_teams
            ],
        )
        for selector in ("#suspicious-title", "#suspicious"):
            self.query_one(selector).display = bool(board.suspicious_teams)
        fill_rows(
            self.query_one("#top-teams", DataTable),
            [
                (t.team_name, (t.rank, self._team(board, t.team_name), f"{t.points:+d}"))
                for t in board.top_teams
            ],
        )
        fill_rows(
            self.query_one("#top-people", DataTable),
            [
                (f"{p.name}/{p.team_name}", (Text(p.name), Text(p.team_name), f"{p.points:+d}"))
                for p in board.top_people
            ],
        )
        self.query_one("#overdue-title", Static).update(
            _("Overdue defects")
            if board.overdue_total <= len(board.overdue_defects)
            else _(
                "Overdue defects: the {shown} longest overdue of {total}",
                shown=len(board.overdue_defects),
                total=board.overdue_total,
            )
        )
        fill_rows(
            self.query_one("#overdue", DataTable),
            [
                (
                    d.id,
                    (
                        Text(d.overdue_text, style="bold red"),
                        d.short_id,
                        Text(d.station_code),
                        Text(
                            code_word(d.severity),
                            style="bold red" if d.severity == "critical" else "",
                        ),
                        Text(d.team_name),
                    ),
                )
                for d in board.overdue_defects
            ],
        )
        fill_rows(
            self.query_one("#late-teams", DataTable),
            [
                (
                    t.team_name,
                    (Text(t.team_name), t.penalties, Text(f"{t.points_lost:+d}", style="red")),
                )
                for t in board.late_teams
            ],
        )
        fill_rows(
            self.query_one("#missing-inspections", DataTable),
            [
                (
                    line.code,
                    (
                        Text(f"{line.code} {line.name}"),
                        line.week,
                        Text(code_word(line.status), style="yellow"),
                        Text(line.team_name),
                    ),
                )
                for line in board.missing_inspections
            ],
        )
