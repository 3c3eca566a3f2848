"""Lines & stations (admin): every line with its team; the highlighted line's stations.
Add, rename, move to another team or line, deactivate, reactivate, print a station label.
Supervisors and quality admins (the services check). Tab moves between the two lists;
the keys act on the list that has the focus."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from kiosk.i18n import N_, _
from kiosk.services.plant import plant_admin
from screens.admin_form import AdminForm, FormField
from screens.admin_people import labels_dir
from screens.base import DataChanged, KioskScreen, Message
from screens.widgets.key_help import KeyHelp
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import Col, FittedTable


def status_cell(active: bool) -> object:
    return _("active") if active else Text(_("inactive"), style="dim")


class LinesAdminScreen(KioskScreen):
    CSS_PATH = "admin_lines.tcss"
    BINDINGS = [
        Binding("f2", "add_line", "Add line"),
        Binding("f3", "add_station", "Add station"),
        Binding("f4", "edit", "Edit"),
        Binding("f5", "toggle_active", "Deactivate/reactivate"),
        Binding("f6", "print_label", "Print label"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.lines: tuple[plant_admin.LineRow, ...] = ()
        self.stations: tuple[plant_admin.StationRow, ...] = ()
        self.shown_line: str | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Vertical(id="lines-admin-main"):
            yield Static(_("Lines"), classes="section")
            yield FittedTable(id="admin-lines", cursor_type="row", zebra_stripes=True)
            yield Static(_("Stations"), id="stations-title", classes="section")
            yield FittedTable(id="admin-stations", cursor_type="row", zebra_stripes=True)
            yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        self.query_one("#admin-lines", FittedTable).set_columns(
            [
                Col("line", N_("Line")),
                Col("name", N_("Line name"), flex=True, min_width=10),
                Col("team", N_("Team"), 1, flex=True, min_width=8),
                Col("stations", N_("Stations"), 2),
                Col("status", N_("Status")),
            ]
        )
        self.query_one("#admin-stations", FittedTable).set_columns(
            [
                Col("station", N_("Station")),
                Col("name", N_("Station name"), flex=True, min_width=10),
                Col("team", N_("Own team"), 1, flex=True, min_width=8),
                Col("status", N_("Status")),
            ]
        )
        self.query_one("#admin-lines", DataTable).focus()
        self.action_refresh()

    def _refreshed(self, row: Any, template: str) -> None:
        """After a form: the list again, saying what was saved (nothing when cancelled)."""
        if row:
            self.action_refresh(_(template, code=row.code))

    def action_refresh(self, message: str | None = None) -> None:
        self.carry_message(message)
        self.call_service(
            plant_admin.lines_overview,
            self.caller,
            on_done=self.show_lines,
            group="lines",
            latest_only=True,
        )

    def on_data_changed(self, _message: DataChanged) -> None:
        self.action_refresh()

    def show_lines(self, rows: tuple[plant_admin.LineRow, ...], message: str | None = None) -> None:
        message = self.carried_message(message)
        self.lines = rows
        table = self.query_one("#admin-lines", FittedTable)
        keep = self.current_line()
        table.set_rows(
            [
                (
                    row.code,
                    (
                        row.code,
                        Text(row.name),
                        Text(f"{row.team_code} {row.team_name}".strip() or "—"),
                        str(row.stations),
                        status_cell(row.active),
                    ),
                )
                for row in rows
            ]
        )
        codes = [row.code for row in rows]
        if keep is not None and keep.code in codes:
            table.move_cursor(row=codes.index(keep.code), animate=False)
        self.load_stations()
        if message:
            self.say(message, "success")
        elif not rows:
            self.say(_("No lines yet: F2 adds one."))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "admin-lines":
            self.load_stations()

    def load_stations(self) -> None:
        line = self.current_line()
        if line is None:
            return
        self.call_service(
            plant_admin.line_stations,
            self.caller,
            line.code,
            on_done=lambda rows: self.show_stations(line.code, rows),
            group="stations",
            latest_only=True,
        )

    def show_stations(self, line_code: str, rows: tuple[plant_admin.StationRow, ...]) -> None:
        self.stations = rows
        self.shown_line = line_code
        self.query_one("#stations-title", Static).update(
            _("Stations of line {code}", code=line_code)
        )
        table = self.query_one("#admin-stations", FittedTable)
        keep = self.current_station()
        table.set_rows(
            [
                (
                    row.code,
                    (
                        row.code,
                        Text(row.name),
                        Text(row.team_code or _("line's team")),
                        status_cell(row.active),
                    ),
                )
                for row in rows
            ]
        )
        codes = [row.code for row in rows]
        if keep is not None and keep.code in codes:
            table.move_cursor(row=codes.index(keep.code), animate=False)

    def _current(self, table_id: str, rows):
        table = self.query_one(table_id, DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((row for row in rows if row.code == key), None)

    def current_line(self) -> plant_admin.LineRow | None:
        return self._current("#admin-lines", self.lines)

    def current_station(self) -> plant_admin.StationRow | None:
        return self._current("#admin-stations", self.stations)

    def _on_stations(self) -> bool:
        return self.focused is not None and self.focused.id == "admin-stations"

    # -- forms ---------------------------------------------------------------------------

    def _team_options(self, choices: plant_admin.AdminChoices) -> tuple[tuple[str, str], ...]:
        return tuple((f"{t.code} {t.name}", t.code) for t in choices.teams)

    def _with_choices(self, then) -> None:
        self.call_service(plant_admin.admin_choices, on_done=then)

    def action_add_line(self) -> None:
        self._with_choices(self._open_add_line)

    def _open_add_line(self, choices: plant_admin.AdminChoices) -> None:
        caller = self.caller
        self.app.push_screen(
            AdminForm(
                _("Add a line"),
                [
                    FormField("code", _("Line code (e.g. L4)"), "code", max_length=32),
                    FormField("name", _("Line name"), max_length=120),
                    FormField("team", _("Responsible team"), "select", self._team_options(choices)),
                ],
                lambda v: plant_admin.add_line(
                    caller, v["code"] or "", v["name"] or "", v["team"] or ""
                ),
                submit_label=_("Add"),
            ),
            lambda row: self._refreshed(row, N_("Line {code} added.")),
        )

    def action_add_station(self) -> None:
        self._with_choices(self._open_add_station)

    def _station_fields(
        self, choices: plant_admin.AdminChoices, row: plant_admin.StationRow | None
    ) -> list[FormField]:
        line = self.current_line()
        teams = ((_("(the line's team)"), "-"), *self._team_options(choices))
        return [
            *(
                []
                if row
                else [FormField("code", _("Station code (e.g. L4-S01)"), "code", max_length=32)]
            ),
            FormField("name", _("Station name"), value=row.name if row else "", max_length=120),
            FormField(
                "line",
                _("Line"),
                "select",
                tuple((f"{c.code} {c.name}", c.code) for c in choices.lines),
                value=row.line_code if row else (line.code if line and line.active else ""),
            ),
            FormField(
                "team", _("Own team"), "select", teams, value=(row.team_code if row else "") or "-"
            ),
        ]

    def _open_add_station(self, choices: plant_admin.AdminChoices) -> None:
        caller = self.caller
        self.app.push_screen(
            AdminForm(
                _("Add a station"),
                self._station_fields(choices, None),
                lambda v: plant_admin.add_station(
                    caller,
                    v["code"] or "",
                    v["name"] or "",
                    v["line"] or "",
                    _own_team(v["team"]),
                ),
                submit_label=_("Add"),
            ),
            lambda row: self._refreshed(row, N_("Station {code} added.")),
        )

    def action_edit(self) -> None:
        if self._on_stations():
            station = self.current_station()
            if station is not None:
                self._with_choices(lambda choices: self._open_edit_station(choices, station))
                return
        line = self.current_line()
        if line is None:
            self.say(_("Choose a line or a station first."), "error")
            return
        self._with_choices(lambda choices: self._open_edit_line(choices, line))

    def _open_edit_line(self, choices: plant_admin.AdminChoices, line: plant_admin.LineRow) -> None:
        caller = self.caller
        self.app.push_screen(
            AdminForm(
                _("Change line {code}", code=line.code),
                [
                    FormField("name", _("Line name"), value=line.name, max_length=120),
                    FormField(
                        "team",
                        _("Responsible team"),
                        "select",
                        self._team_options(choices),
                        value=line.team_code,
                    ),
                ],
                lambda v: plant_admin.change_line(
                    caller,
                    line.code,
                    name=v["name"] or "",
                    team_code=v["team"] or "",
                ),
            ),
            lambda row: self._refreshed(row, N_("Line {code} saved.")),
        )

    def _open_edit_station(
        self, choices: plant_admin.AdminChoices, station: plant_admin.StationRow
    ) -> None:
        caller = self.caller
        self.app.push_screen(
            AdminForm(
                _("Change station {code}", code=station.code),
                self._station_fields(choices, station),
                lambda v: plant_admin.change_station(
                    caller,
                    station.code,
                    name=v["name"] or "",
                    line_code=v["line"] or station.line_code,
                    team_code=_own_team(v["team"]),
                ),
            ),
            lambda row: self._refreshed(row, N_("Station {code} saved.")),
        )

    # -- deactivate, print ---------------------------------------------------------------

    def action_toggle_active(self) -> None:
        if self._on_stations() and (station := self.current_station()) is not None:
            self.call_service(
                plant_admin.set_station_active,
                self.caller,
                station.code,
                not station.active,
                on_done=lambda row: self.action_refresh(
                    _("Station {code} is now {status}.", code=row.code, status=_status(row.active))
                ),
            )
            return
        line = self.current_line()
        if line is None:
            self.say(_("Choose a line or a station first."), "error")
            return
        self.call_service(
            plant_admin.set_line_active,
            self.caller,
            line.code,
            not line.active,
            on_done=lambda row: self.action_refresh(
                _("Line {code} is now {status}.", code=row.code, status=_status(row.active))
            ),
        )

    def action_print_label(self) -> None:
        station = self.current_station()
        if not self._on_stations() or station is None:
            self.say(_("Tab to the stations and choose one: a label is for a station."), "error")
            return
        self.say(_("Printing the label of station {code}…", code=station.code))
        self.call_service(
            plant_admin.print_label,
            self.caller,
            "S",
            station.code,
            labels_dir(),
            on_done=lambda path: self.say(
                _("Station label written to {path}", path=str(path)), "success"
            ),
        )

    def action_back(self) -> None:
        self.dismiss()


def _own_team(value: str | None) -> str:
    return "" if value in (None, "-") else value


def _status(active: bool) -> str:
    return _("active") if active else _("inactive")
