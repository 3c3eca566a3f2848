"""The Red-Black List as a panel: the red side praises, the black side exposes.

Used by the Red-Black List screen and by the supervisor board. Rows update in
place, so a cursor or scroll position stays where it was across refreshes.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static

from kiosk.services import reports
from screens.widgets.tables import fill_rows

COLUMNS = {
    "#on-time": ("Team", "On time", "Points"),
    "#top-teams": ("Rank", "Team", "Points"),
    "#top-people": ("Name", "Team", "Points"),
    "#overdue": ("Overdue", "Defect", "Station", "Severity", "Team"),
    "#late-teams": ("Team", "Late", "Points lost"),
    "#missing-inspections": ("Line", "Week", "Status", "Team"),
}


class RedBlackPanel(Horizontal):
    DEFAULT_CSS = """
    RedBlackPanel {
        height: 1fr;
    }
    #red-side, #black-side {
        width: 1fr;
        padding: 0 1;
    }

    #red-side {
        border: heavy $error;
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
        with Vertical(id="red-side"):
            yield Static("RED LIST · praise", classes="side-title")
            yield Static("Corrected on time", classes="table-title")
            yield DataTable(id="on-time", cursor_type="row", show_cursor=False)
            yield Static("Top teams", classes="table-title")
            yield DataTable(id="top-teams", cursor_type="row", show_cursor=False)
            yield Static("Top people", classes="table-title")
            yield DataTable(id="top-people", cursor_type="row", show_cursor=False)
        with Vertical(id="black-side"):
            yield Static("BLACK LIST · exposure", classes="side-title")
            yield Static("Overdue defects", classes="table-title")
            yield DataTable(id="overdue", cursor_type="row")
            yield Static("Late teams", classes="table-title")
            yield DataTable(id="late-teams", cursor_type="row", show_cursor=False)
            yield Static("Lines not inspected this week", classes="table-title")
            yield DataTable(id="missing-inspections", cursor_type="row", show_cursor=False)

    def on_mount(self) -> None:
        for selector, labels in COLUMNS.items():
            table = self.query_one(selector, DataTable)
            for label in labels:
                table.add_column(label, key=label)

    def show(self, board: reports.RedBlackList) -> None:
        fill_rows(
            self.query_one("#on-time", DataTable),
            [
                (t.team_name, (Text(t.team_name), t.on_time, f"{t.points:+d}"))
                for t in board.on_time_teams
            ],
        )
        fill_rows(
            self.query_one("#top-teams", DataTable),
            [(t.team_name, (t.rank, Text(t.team_name), f"{t.points:+d}")) for t in board.top_teams],
        )
        fill_rows(
            self.query_one("#top-people", DataTable),
            [
                (f"{p.name}/{p.team_name}", (Text(p.name), Text(p.team_name), f"{p.points:+d}"))
                for p in board.top_people
            ],
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
                        Text(d.severity, style="bold red" if d.severity == "critical" else ""),
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
                        Text(line.status, style="yellow"),
                        Text(line.team_name),
                    ),
                )
                for line in board.missing_inspections
            ],
        )
