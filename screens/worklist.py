"""The worklist: defects by state (open, verified, closed, all) of my team or all teams,
found by id or station, a page at a time with the count of all that match. Open ones
come with the least time left first; a closed one opens, so it can be marked typical."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Static

from kiosk.i18n import N_, LazyLabels, _, ngettext
from kiosk.services.defects import lifecycle
from kiosk.services.defects import worklist as worklist_service
from screens.base import DataChanged, KioskScreen, Message
from screens.codes import code_word
from screens.widgets.key_help import KeyHelp
from screens.widgets.limited_input import LimitedInput
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import Col, FittedTable, fill_rows

REFRESH_SECONDS = 30.0  # countdowns; the change feed refreshes at once on writes
# at 80 columns the defect, its station, its status and the time left stay: the countdown
# is what a leader works by (+2 fixed and verified in time, -2 late). Severity goes first;
# the last progress is elided (to 16 cells) before it goes, and goes before the status.
WORKLIST_COLUMNS = [
    Col("defect", N_("Defect")),
    Col("station", N_("Station")),
    Col("severity", N_("Severity"), 3),
    Col("status", N_("Status"), 1),
    Col("left", N_("Time left")),
    Col("progress", N_("Last progress"), 2, flex=True, min_width=16),
]
# a status in the table in a word or two (the defect's own screen names it in full):
# "fixed, awaiting verification" took the room of the countdown at 80 columns
SHORT_STATUS = LazyLabels({"fixed": N_("to verify")})


class WorklistScreen(KioskScreen):
    CSS_PATH = "worklist.tcss"
    BINDINGS = [
        Binding("s", "next_state", "Open/fixed/verified/closed/all"),
        Binding("a", "toggle_all", "All teams / my team"),
        Binding("slash", "search", "Find id or station"),
        Binding("f8", "page(1)", "Next page"),
        Binding("f7", "page(-1)", "Previous page"),
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.all_teams = False
        self.list_state = "open"
        self.find_text = ""
        self.first_row = 0
        self.shown_page: worklist_service.WorklistPage | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Vertical(id="worklist-main"):
            yield Static("", id="worklist-title", markup=False)
            with Horizontal(id="worklist-find"):
                yield Static(_("Find (/) ▸ "), id="worklist-find-label", markup=False)
                yield LimitedInput(
                    placeholder=_("defect id or station code, Enter"),
                    id="worklist-search",
                    max_length=worklist_service.SEARCH_MAX,
                )
            yield FittedTable(id="worklist", cursor_type="row", zebra_stripes=True)
            yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        self.query_one("#worklist", FittedTable).set_columns(WORKLIST_COLUMNS)
        self.call_after_refresh(self.action_refresh)  # once laid out: a page is what fits
        self.query_one("#worklist", DataTable).focus()
        self.set_interval(REFRESH_SECONDS, self.action_refresh)

    def action_refresh(self) -> None:
        user = self.caller.person
        team_id = None if self.all_teams else user.team_id
        self.call_service(
            worklist_service.worklist_page,
            self.caller,
            team_id,
            state=self.list_state,
            search=self.find_text,
            offset=self.first_row,
            limit=self._visible_rows(),
            on_done=self.show,
            group="worklist",
            latest_only=True,
        )

    def _visible_rows(self) -> int:
        """A page is the rows the table shows (the read loads no more than that); before
        the table is laid out, the service's page."""
        height = self.query_one("#worklist", FittedTable).size.height
        if height <= 0:
            return worklist_service.PAGE_SIZE
        return max(height - 2, 5)  # its header and a scroll bar

    def on_resize(self) -> None:
        self.call_after_refresh(self._refit_page)

    def _refit_page(self) -> None:
        page = self.shown_page
        if page is not None and page.limit != self._visible_rows():
            self.action_refresh()

    def _title(self) -> str:
        user = self.caller.person
        state = _(worklist_service.FILTER_TITLES[self.list_state])
        title: str = (
            _("Defects of all teams · {state}", state=state)
            if self.all_teams
            else _("Defects of {team_name} · {state}", team_name=user.team_name, state=state)
        )
        if self.find_text:
            title += _(" · matching “{search}”", search=self.find_text)
        return title

    def show(self, page: worklist_service.WorklistPage) -> None:
        self.shown_page = page
        self.query_one("#worklist-title", Static).update(self._title())
        items = page.items
        rows = []
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
                "status": Text(
                    SHORT_STATUS.get(item.status) or lifecycle.STATUS_TITLES[item.status]
                ),
                "left": Text(left, style="bold red" if overdue else "green"),
                "progress": Text((item.last_progress or item.description)[:60]),
            }
            rows.append((item.id, tuple(cells.values())))
        fill_rows(self.query_one("#worklist", FittedTable), rows)
        if not page.total:
            self.say(
                _("No open defects. Zero defects: well done.")
                if self.list_state == "open" and not self.find_text
                else _("No defect matches. s changes the state, a the teams, / the search.")
            )
        elif page.total <= len(items):
            self.say(
                ngettext(
                    "{count} defect. Enter opens one.",
                    "{count} defects. Enter opens one.",
                    page.total,
                )
            )
        else:
            self.say(
                _(
                    "{first}–{last} of {total} defects. Enter opens one; F8 next page, F7 "
                    "previous.",
                    first=page.first,
                    last=page.last,
                    total=page.total,
                )
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
        self.first_row = 0
        self.action_refresh()

    def action_next_state(self) -> None:
        self.list_state = worklist_service.next_filter(self.list_state)
        self.first_row = 0
        self.action_refresh()

    def action_search(self) -> None:
        self.query_one("#worklist-search", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.find_text = event.value.strip()
        self.first_row = 0
        self.query_one("#worklist", DataTable).focus()
        self.action_refresh()

    def action_page(self, step: int) -> None:
        page = self.shown_page
        if page is None:
            return
        offset = page.offset + step * page.limit
        if offset < 0 or offset >= page.total:
            self.say(_("There is no page that way."))
            return
        self.first_row = offset
        self.action_refresh()

    def on_data_changed(self, _message: DataChanged) -> None:
        self.action_refresh()

    def action_back(self) -> None:
        search = self.query_one("#worklist-search", Input)
        if search.has_focus:
            self.query_one("#worklist", DataTable).focus()
            return
        self.dismiss()
