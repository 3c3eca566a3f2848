"""The team's worklist: open defects, the least time left first, with their last progress."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from kiosk.i18n import _, ngettext
from kiosk.services import lifecycle
from screens.base import DataChanged, KioskScreen, Message
from screens.codes import code_word
from screens.widgets.key_help import KeyHelp
from screens.widgets.status_bar import StatusBar

REFRESH_SECONDS = 30.0  # countdowns; the change feed refreshes at once on writes
COLUMNS = ("defect", "station", "severity", "status", "left", "progress")


class WorklistScreen(KioskScreen):
    CSS_PATH = "worklist.tcss"
    BINDINGS = [
        Binding("a", "toggle_all", "All teams / my team"),
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.all_teams = False

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Vertical(id="worklist-main"):
            yield Static("", id="worklist-title", markup=False)
            yield DataTable(id="worklist", cursor_type="row", zebra_stripes=True)
            yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        table = self.query_one("#worklist", DataTable)
        for key, label in zip(
            COLUMNS,
            (
                _("Defect"),
                _("Station"),
                _("Severity"),
                _("Status"),
                _("Time left"),
                _("Last progress"),
            ),
            strict=True,
        ):
            table.add_column(label, key=key)
        self.action_refresh()
        self.set_interval(REFRESH_SECONDS, self.action_refresh)

    def action_refresh(self) -> None:
        user = self.app.user  # type: ignore[attr-defined]
        team_id = None if self.all_teams else user.team_id
        self.query_one("#worklist-title", Static).update(
            _("Open defects of all teams")
            if self.all_teams
            else _("Open defects of {team_name}", team_name=user.team_name)
        )
        self.call_service(
            lifecycle.worklist,
            team_id,
            clock=self.app.clock,  # type: ignore[attr-defined]
            on_done=self.show,
            group="worklist",
            latest_only=True,
        )

    def show(self, items: list[lifecycle.WorkItem]) -> None:
        table = self.query_one("#worklist", DataTable)
        wanted = {item.id for item in items}
        for row_key in list(table.rows):
            if row_key.value not in wanted:
                table.remove_row(row_key)
        existing = {row_key.value for row_key in table.rows}
        for item in items:
            overdue = item.seconds_left < 0 and item.status in lifecycle.OPEN_STATUSES
            left = (
                lifecycle.describe_time_left(item.seconds_left)
                if item.status in lifecycle.OPEN_STATUSES
                else "—"
            )
            cells = {
                "defect": Text(item.short_id),
                "station": Text(item.station_code),
                "severity": Text(
                    code_word(item.severity),
                    style="bold red" if item.severity == "critical" else "",
                ),
                "status": Text(lifecycle.STATUS_TITLES[item.status]),
                "left": Text(left, style="bold red" if overdue else "green"),
                "progress": Text((item.last_progress or item.description)[:60]),
            }
            if item.id in existing:
                for column, cell in cells.items():
                    table.update_cell(item.id, column, cell)
            else:
                table.add_row(*cells.values(), key=item.id)
        count = len(items)
        self.say(
            ngettext(
                "{count} open defect. Enter opens one.",
                "{count} open defects. Enter opens one.",
                count,
            )
            if count
            else _("No open defects. Zero defects: well done.")
        )

    def action_open(self) -> None:
        from screens.defect_detail import DefectDetailScreen

        table = self.query_one("#worklist", DataTable)
        if table.row_count == 0:
            return
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        self.app.push_screen(
            DefectDetailScreen(str(row_key.value)), lambda _r: self.action_refresh()
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_toggle_all(self) -> None:
        self.all_teams = not self.all_teams
        self.action_refresh()

    def on_data_changed(self, _message: DataChanged) -> None:
        self.action_refresh()

    def action_back(self) -> None:
        self.dismiss()
