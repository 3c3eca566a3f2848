"""Weekly line inspection: pick a line, walk its checklist, raise defects from failed items."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from kiosk.clock import format_local
from kiosk.services import inspections
from kiosk.services.defects import DefectReceipt
from kiosk.services.errors import ServiceError, ValidationFailed
from screens.base import KioskScreen, Message
from screens.widgets.status_bar import StatusBar

COLUMNS = (
    ("Code", "code", 6),
    ("Area", "area", 6),
    ("Item", "text", 42),
    ("Result", "outcome", 6),
    ("Note", "note", 14),
    ("Defect", "defect", 8),
)
AREA_SHORT = {"5S/7S": "5S/7S", "standardized operation": "Std op"}
OUTCOME_CELL = {
    None: ("—", "dim"),
    "pass": ("pass", "green"),
    "fail": ("FAIL", "bold red"),
    "n/a": ("n/a", "dim"),
}
STATUS_STYLE = {"completed": "green", "in progress": "yellow", "not inspected": "bold red"}
CHECKLIST_ACTIONS = ("mark", "raise_defect", "complete")
HELP = "p pass · f fail (with a note) · n n/a · d defect from a failed item · c complete · Esc back"


class InspectionScreen(KioskScreen):
    """Modes: "lines" (pick a line), "checklist", "note" (why it fails), "station" (defect)."""

    CSS_PATH = "inspection.tcss"
    BINDINGS = [
        Binding("p", "mark('pass')", "Pass"),
        Binding("f", "mark('fail')", "Fail"),
        Binding("n", "mark('n/a')", "N/A"),
        Binding("d", "raise_defect", "Raise defect"),
        Binding("c", "complete", "Complete"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.mode = "lines"
        self.view: inspections.InspectionView | None = None
        self.target_item: str | None = None  # the item a note or a station is asked for
        self._writes: deque[tuple[Callable[..., Any], tuple, dict]] = deque()
        self._writing = False

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Vertical(id="inspection-main"):
            yield Static("Weekly line inspection", id="inspection-title", markup=False)
            yield Static("", id="progress", markup=False)
            yield OptionList(id="lines")
            yield DataTable(id="checklist", cursor_type="row", zebra_stripes=True)
            yield Static("", id="item-detail", markup=False)
            with Horizontal(id="note-row"):
                yield Static("Why does it fail? ▸ ", id="note-label")
                yield Input(
                    placeholder="what is wrong (Enter saves, Esc cancels)",
                    id="note",
                    max_length=inspections.NOTE_MAX,
                )
            yield Static("", id="station-prompt", markup=False)
            yield OptionList(id="stations")
            yield Message()
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#checklist", DataTable)
        for label, key, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        self._set_mode("lines")
        self.load_lines()

    # -- modes ---------------------------------------------------------------------

    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        checklist = mode in ("checklist", "note", "station")
        self.query_one("#lines").display = mode == "lines"
        self.query_one("#checklist").display = checklist
        self.query_one("#item-detail").display = checklist
        self.query_one("#note-row").display = mode == "note"
        self.query_one("#station-prompt").display = mode == "station"
        self.query_one("#stations").display = mode == "station"
        focus = {"lines": "#lines", "checklist": "#checklist", "note": "#note"}
        self.query_one(focus.get(mode, "#stations")).focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in CHECKLIST_ACTIONS:
            if self.mode == "checklist":
                return True
            return None if self.mode in ("note", "station") else False
        return True

    # -- choosing a line -------------------------------------------------------------

    def load_lines(self, message: str | None = None) -> None:
        self.call_service(
            inspections.lines_for_inspection,
            clock=self.app.clock,  # type: ignore[attr-defined]
            on_done=lambda lines: self.show_lines(lines, message),
            group="lines",
            latest_only=True,
        )

    def show_lines(self, lines: list[inspections.LineView], message: str | None = None) -> None:
        if not self.is_attached:
            return
        week = lines[0].week if lines else ""
        self.query_one("#inspection-title", Static).update(
            Text(f"Weekly line inspection · week {week}", style="bold")
        )
        self.query_one("#progress", Static).update(
            f"{sum(line.status != 'completed' for line in lines)} of {len(lines)} lines "
            "still to inspect this week"
        )
        options = self.query_one("#lines", OptionList)
        options.clear_options()
        for line in lines:
            prompt = Text()
            prompt.append(f"{line.code}  ", style="bold")
            prompt.append(f"{line.name} · {line.team_name}\n    ")
            if line.status == "completed":
                detail = f"completed {format_local(line.completed_at)} by {line.inspector_name}"
            elif line.status == "in progress":
                detail = (
                    f"in progress: {line.checked} of {line.total} items checked "
                    f"(started by {line.inspector_name})"
                )
            else:
                detail = "not inspected this week"
            prompt.append(detail, style=STATUS_STYLE[line.status])
            options.add_option(Option(prompt, id=line.code))
        if lines:
            options.highlighted = 0
        self.say(message or "Choose the line to inspect (arrows, Enter). Esc goes back.")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        code = event.option.id or ""
        if event.option_list.id == "lines":
            self.say(f"Opening the checklist for line {code}…")
            self.call_service(
                inspections.start_inspection,
                self.app.user,  # type: ignore[attr-defined]
                code,
                clock=self.app.clock,  # type: ignore[attr-defined]
                terminal=self.app.settings.terminal_id,  # type: ignore[attr-defined]
                on_done=self.show_inspection,
                group="lines",
                latest_only=True,
            )
        elif event.option_list.id == "stations" and self.view and self.target_item:
            self._raise_at(self.target_item, code)

    # -- the checklist -----------------------------------------------------------------

    def show_inspection(self, view: inspections.InspectionView) -> None:
        if not self.is_attached:
            return
        table = self.query_one("#checklist", DataTable)
        if self.view is None or self.view.id != view.id:
            table.clear()  # another inspection: a new list (updates never clear)
        self.render_view(view)
        self._set_mode("checklist")
        if view.resumed:
            intro = (
                f"Resumed the inspection {view.inspector_name} started "
                f"{format_local(view.started_at)}. "
            )
        else:
            intro = f"Inspection of line {view.line_code} started. "
        self.say(intro + HELP)

    def render_view(self, view: inspections.InspectionView) -> None:
        """Update the rows in place (the cursor stays where it is); add rows that are new."""
        self.view = view
        table = self.query_one("#checklist", DataTable)
        present = {key.value for key in table.rows}
        for item in view.items:
            cells = self._cells(item)
            if item.code in present:
                for (_label, column, _width), cell in zip(COLUMNS, cells, strict=True):
                    table.update_cell(item.code, column, cell)
            else:
                table.add_row(*cells, key=item.code)
        title = Text()
        title.append(f"Line {view.line_code} {view.line_name}", style="bold")
        title.append(f" · {view.team_name} · week {view.week} · inspector {view.inspector_name}")
        self.query_one("#inspection-title", Static).update(title)
        progress = Text(view.progress_text, style="bold")
        fails = view.count("fail")
        if fails:
            progress.append(f" · {fails} failed", style="bold red")
        if view.completed:
            progress.append(f" · completed {format_local(view.completed_at)}", style="green")
        self.query_one("#progress", Static).update(progress)
        self._show_detail()

    @staticmethod
    def _cells(item: inspections.ItemResultView) -> tuple[Text, ...]:
        outcome, style = OUTCOME_CELL.get(item.outcome, (item.outcome or "", ""))
        return (
            Text(item.code, style="bold"),
            Text(AREA_SHORT.get(item.area, item.area)),
            Text(item.text, no_wrap=True, overflow="ellipsis"),
            Text(outcome, style=style),
            Text(item.note, no_wrap=True, overflow="ellipsis"),
            Text(item.defect_short_id or "", style="bold"),
        )

    def highlighted_item(self) -> inspections.ItemResultView | None:
        table = self.query_one("#checklist", DataTable)
        if self.view is None or table.row_count == 0:
            return None
        row_key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key
        return self.view.item(str(row_key.value))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_detail()

    def _show_detail(self) -> None:
        item = self.highlighted_item()
        detail = Text()
        if item is not None:
            detail.append(f"{item.code} · {item.area} · 5M1E {item.category}\n", style="bold")
            detail.append(item.text)
            if item.note:
                detail.append("\nNote: ", style="bold")
                detail.append(item.note)
            if item.defect_short_id:
                detail.append(f"\nDefect {item.defect_short_id} raised", style="bold")
        self.query_one("#item-detail", Static).update(detail)

    # -- marking items ---------------------------------------------------------------------

    def action_mark(self, outcome: str) -> None:
        item = self.highlighted_item()
        if item is None or self.view is None:
            return
        if outcome == "fail":
            self.target_item = item.code
            note = self.query_one("#note", Input)
            note.value = item.note
            self.query_one("#note-label", Static).update(f"Why does {item.code} fail? ▸ ")
            self._set_mode("note")
            self.say(f"{item.code} fails: type what is wrong and press Enter (Esc cancels).")
            return
        self._record(item.code, outcome, "")
        # walk on at once, as an inspector goes down the list (keys may come faster
        # than the database answers; each mark names its item, so none is lost)
        table = self.query_one("#checklist", DataTable)
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "note" and self.mode == "note" and self.target_item:
            self._record(self.target_item, "fail", event.value)

    def _record(self, code: str, outcome: str, note: str) -> None:
        assert self.view is not None
        self._write(
            inspections.record_result,
            self.app.user,  # type: ignore[attr-defined]
            self.view.id,
            code,
            outcome,
            note,
            clock=self.app.clock,  # type: ignore[attr-defined]
            terminal=self.app.settings.terminal_id,  # type: ignore[attr-defined]
            on_done=lambda view: self._recorded(view, code, outcome),
            on_error=lambda error: self._write_failed(error, code),
        )

    def _recorded(self, view: inspections.InspectionView, code: str, outcome: str) -> None:
        if not self.is_attached:
            return
        self.render_view(view)
        if self.mode == "note" and self.target_item == code:
            self._set_mode("checklist")
        if outcome == "fail":
            self.say(f"{code} marked FAIL. Press d to raise a defect for it.", "error")
            return
        self.say(f"{code} marked {outcome}. {view.progress_text}.", "success")

    def _write_failed(self, error: ServiceError, code: str) -> None:
        if not self.is_attached:
            return
        if isinstance(error, ValidationFailed) and "note" in error.problems:
            self.say(f"{code}: {error.message}", "error")  # the note stays open to fix
            return
        if self.mode in ("note", "station"):
            self._set_mode("checklist")
        self.say(error.message, "error")

    # -- raising a defect ------------------------------------------------------------------

    def action_raise_defect(self) -> None:
        item = self.highlighted_item()
        if item is None or self.view is None:
            return
        if item.outcome != "fail":
            self.say(
                f"Only a failed item raises a defect: press f to mark {item.code} failed first.",
                "error",
            )
            return
        if item.defect_short_id:
            self.say(f"Defect {item.defect_short_id} was already raised for {item.code}.")
            return
        if not self.view.stations:
            self.say(f"Line {self.view.line_code} has no active station to report at.", "error")
            return
        self.target_item = item.code
        stations = self.query_one("#stations", OptionList)
        stations.clear_options()
        for station in self.view.stations:
            stations.add_option(
                Option(Text.assemble((station.code, "bold"), f"  {station.name}"), id=station.code)
            )
        stations.highlighted = 0
        self.query_one("#station-prompt", Static).update(
            Text(
                f"Which station of line {self.view.line_code} has the {item.code} defect? "
                "(Enter picks, Esc cancels)",
                style="bold",
            )
        )
        self._set_mode("station")
        self.say(f"Raise a defect for {item.code}: choose the station.")

    def _raise_at(self, code: str, station_code: str) -> None:
        assert self.view is not None
        self.say(f"Reporting the defect for {code} at {station_code}…")
        self._write(
            inspections.raise_defect_from_failure,
            self.app.user,  # type: ignore[attr-defined]
            self.view.id,
            code,
            station_code,
            clock=self.app.clock,  # type: ignore[attr-defined]
            terminal=self.app.settings.terminal_id,  # type: ignore[attr-defined]
            on_done=lambda receipt: self._defect_raised(receipt, code),
            on_error=lambda error: self._write_failed(error, code),
        )

    def _defect_raised(self, receipt: DefectReceipt, code: str) -> None:
        if not self.is_attached:
            return
        if self.mode == "station":
            self._set_mode("checklist")
        message = (
            f"Defect {receipt.short_id} reported for {code} at {receipt.station_code}. "
            f"{receipt.team_name} must correct it by {format_local(receipt.due_at)}."
        )
        self.say(message, "success")
        assert self.view is not None
        self.call_service(
            inspections.inspection_view,
            self.view.id,
            on_done=self._refreshed,
            group="refresh",
            latest_only=True,
        )

    def _refreshed(self, view: inspections.InspectionView) -> None:
        if self.is_attached:
            self.render_view(view)

    # -- completing --------------------------------------------------------------------------

    def action_complete(self) -> None:
        if self.view is None:
            return
        self._write(
            inspections.complete_inspection,
            self.app.user,  # type: ignore[attr-defined]
            self.view.id,
            clock=self.app.clock,  # type: ignore[attr-defined]
            terminal=self.app.settings.terminal_id,  # type: ignore[attr-defined]
            on_done=self._completed,
        )

    def _completed(self, view: inspections.InspectionView) -> None:
        if not self.is_attached:
            return
        self.render_view(view)
        self.say(
            f"Inspection of line {view.line_code} for {view.week} completed: "
            f"{view.count('pass')} pass, {view.count('fail')} fail, {view.count('n/a')} n/a.",
            "success",
        )

    # -- one write at a time, in the order the keys were pressed -------------------------------

    def _write(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self._writes.append((function, args, kwargs))
        if not self._writing:
            self._next_write()

    def _next_write(self) -> None:
        if not self._writes or not self.is_attached:
            self._writing = False
            return
        self._writing = True
        function, args, kwargs = self._writes.popleft()
        on_done = kwargs.pop("on_done")
        on_error = kwargs.pop("on_error", None) or self.show_error

        def done(value: Any) -> None:
            try:
                on_done(value)
            finally:
                self._next_write()

        def failed(error: ServiceError) -> None:
            try:
                on_error(error)
            finally:
                self._next_write()

        self.call_service(function, *args, on_done=done, on_error=failed, group="write", **kwargs)

    # -- going back ------------------------------------------------------------------------------

    def action_back(self) -> None:
        if self.mode in ("note", "station"):
            self._set_mode("checklist")
            self.say(HELP)
        elif self.mode == "checklist":
            self._set_mode("lines")
            self.load_lines()
        else:
            self.dismiss()
