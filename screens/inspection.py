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
from textual.widgets import DataTable, Input, OptionList, Static
from textual.widgets.option_list import Option

from kiosk.clock import format_local
from kiosk.errors import ServiceError, ValidationFailed
from kiosk.i18n import N_, _
from kiosk.services.defects.defects import DefectReceipt
from kiosk.services.lines import inspections
from kiosk.services.lines.anomalies import CATEGORY_LABELS
from screens.base import KioskScreen, Message
from screens.widgets.key_help import KeyHelp
from screens.widgets.limited_input import LimitedInput
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import Col, FittedTable

# at 80 columns the code, the item and its result stay (the panel below shows the whole
# item and note); the area goes first, then the note, then the defect raised from it
COLUMNS = [
    Col("code", N_("Code")),
    Col("area", N_("Area"), 3),
    Col("text", N_("Item"), flex=True, min_width=16),
    Col("outcome", N_("Result")),
    Col("note", N_("Note"), 2, flex=True, min_width=12),
    Col("defect", N_("Defect"), 1),
]
AREA_SHORT = {"5S/7S": "5S/7S", "standardized operation": N_("Std op")}
OUTCOME_CELL = {
    None: ("—", "dim"),
    "pass": (N_("pass"), "green"),
    "fail": (N_("FAIL"), "bold red"),
    "n/a": (N_("n/a"), "dim"),
}
STATUS_STYLE = {"completed": "green", "in progress": "yellow", "not inspected": "bold red"}
CHECKLIST_ACTIONS = ("mark", "raise_defect", "complete")
HELP = N_(
    "p pass · f fail (with a note) · n n/a · d defect from a failed item · c complete · Esc back"
)


class InspectionScreen(KioskScreen):
    """Modes: "lines" (pick a line), "checklist", "note" (why it fails), "station" (defect)."""

    CSS_PATH = "inspection.tcss"
    BINDINGS = [
        Binding("p", "mark('pass')", "Pass"),
        Binding("f", "mark('fail')", "Fail"),
        Binding("n", "mark('n/a')", "N/A"),
        Binding("d", "raise_defect", "Raise defect"),
        Binding("c", "complete", "Complete"),
        Binding("y", "confirm_change", "Yes, change it"),
        Binding("s", "start_again", "Start another"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.mode = "lines"
        self.view: inspections.InspectionView | None = None
        self.target_item: str | None = None  # the item a note or a station is asked for
        self.last_failed: str | None = None  # the item d raises a defect for (just failed)
        self.pending_change: tuple[str, str] | None = None  # (item, outcome) to confirm
        self.changing = False  # the note being typed is for a confirmed change
        self.pending_again = False  # y starts another inspection of a line done this week
        self._writes: deque[tuple[Callable[..., Any], tuple, dict]] = deque()
        self._writing = False

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Vertical(id="inspection-main"):
            yield Static(_("Weekly line inspection"), id="inspection-title", markup=False)
            yield Static("", id="progress", markup=False)
            yield OptionList(id="lines")
            yield FittedTable(id="checklist", cursor_type="row", zebra_stripes=True)
            yield Static("", id="item-detail", markup=False)
            with Horizontal(id="note-row"):
                yield Static(_("Why does it fail? ▸ "), id="note-label")
                yield LimitedInput(
                    placeholder=_("what is wrong (Enter saves, Esc cancels)"),
                    id="note",
                    max_length=inspections.NOTE_MAX,
                )
            yield Static("", id="station-prompt", markup=False)
            yield OptionList(id="stations")
            yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        self.query_one("#checklist", FittedTable).set_columns(COLUMNS)
        self._set_mode("lines")
        self.load_lines()

    # -- modes ---------------------------------------------------------------------

    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        checklist = mode in ("checklist", "note", "station", "confirm")
        self.query_one("#lines").display = mode == "lines"
        self.query_one("#checklist").display = checklist
        self.query_one("#item-detail").display = checklist
        self.query_one("#note-row").display = mode == "note"
        self.query_one("#station-prompt").display = mode == "station"
        self.query_one("#stations").display = mode == "station"
        focus = {
            "lines": "#lines",
            "checklist": "#checklist",
            "confirm": "#checklist",
            "note": "#note",
        }
        self.query_one(focus.get(mode, "#stations")).focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        completed = self.view is not None and self.view.completed
        if action == "start_again":
            return self.mode == "checklist" and completed
        if action in CHECKLIST_ACTIONS and completed:
            return False  # a completed inspection is read-only
        if action in CHECKLIST_ACTIONS:
            if self.mode == "checklist":
                return True
            return None if self.mode in ("note", "station", "confirm") else False
        if action == "confirm_change":
            return self.mode == "confirm"
        return True

    # -- choosing a line -------------------------------------------------------------

    def load_lines(self, message: str | None = None) -> None:
        self.carry_message(message)
        self.call_service(
            inspections.lines_for_inspection,
            self.caller,
            on_done=self.show_lines,
            group="lines",
            latest_only=True,
        )

    def show_lines(self, lines: list[inspections.LineView], message: str | None = None) -> None:
        message = self.carried_message(message)
        week = lines[0].week if lines else ""
        self.query_one("#inspection-title", Static).update(
            Text(_("Weekly line inspection · week {week}", week=week), style="bold")
        )
        self.query_one("#progress", Static).update(
            _(
                "{sum} of {count} lines still to inspect this week",
                sum=sum(line.status != "completed" for line in lines),
                count=len(lines),
            )
        )
        options = self.query_one("#lines", OptionList)
        options.clear_options()
        for line in lines:
            prompt = Text()
            prompt.append(f"{line.code}  ", style="bold")
            prompt.append(f"{line.name} · {line.team_name}\n    ")
            if line.status == "completed":
                detail = _(
                    "completed {time} by {inspector_name}",
                    time=format_local(line.completed_at),
                    inspector_name=line.inspector_name,
                )
            elif line.status == "in progress":
                detail = _(
                    "in progress: {checked} of {total} items checked (started by {inspector_name})",
                    checked=line.checked,
                    total=line.total,
                    inspector_name=line.inspector_name,
                )
            else:
                detail = _("not inspected this week")
            prompt.append(detail, style=STATUS_STYLE[line.status])
            options.add_option(Option(prompt, id=line.code))
        if lines:
            options.highlighted = 0
        self.say(message or _("Choose the line to inspect (arrows, Enter). Esc goes back."))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        code = event.option.id or ""
        if event.option_list.id == "lines":
            self.say(_("Opening the checklist for line {code}…", code=code))
            self.call_service(
                inspections.start_inspection,
                self.caller,
                code,
                on_done=self.show_inspection,
                group="lines",
                latest_only=True,
            )
        elif event.option_list.id == "stations" and self.view and self.target_item:
            self._raise_at(self.target_item, code)

    # -- the checklist -----------------------------------------------------------------

    def show_inspection(self, view: inspections.InspectionView) -> None:
        table = self.query_one("#checklist", DataTable)
        if self.view is None or self.view.id != view.id:
            table.clear()  # another inspection: a new list (updates never clear)
        self.render_view(view)
        self._set_mode("checklist")
        if view.completed:
            self.say(
                _(
                    "Line {line_code} was inspected this week: completed {time} by "
                    "{inspector_name}, {count} pass, {count2} fail, {count3} n/a (read-only). "
                    "s starts another inspection · Esc back",
                    line_code=view.line_code,
                    time=format_local(view.completed_at),
                    inspector_name=view.inspector_name,
                    count=view.count("pass"),
                    count2=view.count("fail"),
                    count3=view.count("n/a"),
                )
            )
            return
        if view.resumed:
            intro = _(
                "Resumed the inspection {inspector_name} started {time}. ",
                inspector_name=view.inspector_name,
                time=format_local(view.started_at),
            )
        else:
            intro = _("Inspection of line {line_code} started. ", line_code=view.line_code)
        self.say(intro + _(HELP))

    def language_changed(self) -> None:
        """Ctrl+L: the lines or the checklist again, in the new language (in place)."""
        if self.mode == "lines":
            self.load_lines()
        elif self.view is not None:
            self.render_view(self.view)

    def render_view(self, view: inspections.InspectionView) -> None:
        """Update the rows in place (the cursor stays where it is); add rows that are new."""
        self.view = view
        self.query_one("#checklist", FittedTable).set_rows(
            [(item.code, self._cells(item)) for item in view.items]
        )
        title = Text()
        title.append(
            _("Line {line_code} {line_name}", line_code=view.line_code, line_name=view.line_name),
            style="bold",
        )
        title.append(
            _(
                " · {team_name} · week {week} · inspector {inspector_name}",
                team_name=view.team_name,
                week=view.week,
                inspector_name=view.inspector_name,
            )
        )
        self.query_one("#inspection-title", Static).update(title)
        progress = Text(view.progress_text, style="bold")
        fails = view.count("fail")
        if fails:
            progress.append(_(" · {fails} failed", fails=fails), style="bold red")
        if view.completed:
            progress.append(
                _(" · completed {time}", time=format_local(view.completed_at)), style="green"
            )
        self.query_one("#progress", Static).update(progress)
        self._show_detail()

    @staticmethod
    def _cells(item: inspections.ItemResultView) -> tuple[Text, ...]:
        outcome, style = OUTCOME_CELL.get(item.outcome, (item.outcome or "", ""))
        outcome = _(outcome) if outcome else outcome
        return (
            Text(item.code, style="bold"),
            Text(_(AREA_SHORT.get(item.area, item.area))),
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
            detail.append(
                _(
                    "{code} · {area} · 5M1E {category}\n",
                    code=item.code,
                    area=item.area,
                    category=CATEGORY_LABELS.get(item.category, item.category),
                ),
                style="bold",
            )
            detail.append(item.text)
            if item.note:
                detail.append(_("\nNote: "), style="bold")
                detail.append(item.note)
            if item.defect_short_id:
                detail.append(
                    _("\nDefect {defect_short_id} raised", defect_short_id=item.defect_short_id),
                    style="bold",
                )
        self.query_one("#item-detail", Static).update(detail)

    # -- marking items ---------------------------------------------------------------------

    def action_mark(self, outcome: str) -> None:
        item = self.highlighted_item()
        if item is None or self.view is None:
            return
        if item.outcome is not None and item.outcome != outcome:
            self._ask_to_change(item, outcome)
            return
        self._mark(item, outcome)

    def _ask_to_change(self, item: inspections.ItemResultView, outcome: str) -> None:
        """A recorded result changes only on a confirmation; one with a defect never flips."""
        if item.outcome == "fail" and item.defect_short_id:
            self.say(
                _(
                    "{code} stays FAIL: defect {defect_short_id} was raised from it. Follow the "
                    "defect up instead.",
                    code=item.code,
                    defect_short_id=item.defect_short_id,
                ),
                "error",
            )
            return
        self.pending_change = (item.code, outcome)
        self._set_mode("confirm")
        self.say(
            _(
                "{code} is recorded as {old}. Press y to change it to {new}, Esc keeps it.",
                code=item.code,
                old=_(inspections.OUTCOME_WORDS[item.outcome or "pass"]),
                new=_(inspections.OUTCOME_WORDS[outcome]),
            ),
            "error",
        )

    def action_start_again(self) -> None:
        if self.view is None or not self.view.completed:
            return
        self.pending_again = True
        self._set_mode("confirm")
        self.say(
            _(
                "Start another inspection of line {line_code} this week? Press y to start it, "
                "Esc keeps the completed one.",
                line_code=self.view.line_code,
            ),
            "error",
        )

    def action_confirm_change(self) -> None:
        pending, self.pending_change = self.pending_change, None
        again, self.pending_again = self.pending_again, False
        self._set_mode("checklist")
        if again and self.view is not None:
            self.call_service(
                inspections.start_inspection,
                self.caller,
                self.view.line_code,
                again=True,
                on_done=self.show_inspection,
                group="lines",
                latest_only=True,
            )
            return
        if pending is None or self.view is None:
            return
        item = self.view.item(pending[0])
        if item is not None:
            self._mark(item, pending[1], change=True)

    def _mark(self, item: inspections.ItemResultView, outcome: str, change: bool = False) -> None:
        self.changing = change
        if outcome == "fail":
            self.target_item = item.code
            note = self.query_one("#note", Input)
            note.value = item.note
            self.query_one("#note-label", Static).update(
                _("Why does {code} fail? ▸ ", code=item.code)
            )
            self._set_mode("note")
            self.say(
                _("{code} fails: type what is wrong and press Enter (Esc cancels).", code=item.code)
            )
            return
        self._record(item.code, outcome, "", change)
        # walk on at once, as an inspector goes down the list (keys may come faster
        # than the database answers; each mark names its item, so none is lost)
        self._move_past(item.code)

    def _move_past(self, code: str) -> None:
        table = self.query_one("#checklist", DataTable)
        try:
            row = table.get_row_index(code)
        except Exception:  # noqa: BLE001 - a row that is gone: stay where we are
            return
        if row < table.row_count - 1:
            table.move_cursor(row=row + 1)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "note" and self.mode == "note" and self.target_item:
            self._record(self.target_item, "fail", event.value, self.changing)

    def _record(self, code: str, outcome: str, note: str, change: bool = False) -> None:
        assert self.view is not None
        self._write(
            inspections.record_result,
            self.caller,
            self.view.id,
            code,
            outcome,
            note,
            change=change,
            on_done=lambda view: self._recorded(view, code, outcome),
            on_error=lambda error: self._write_failed(error, code),
        )

    def _recorded(self, view: inspections.InspectionView, code: str, outcome: str) -> None:
        self.render_view(view)
        if self.mode == "note" and self.target_item == code:
            self._set_mode("checklist")
            self._move_past(code)  # the cursor walks on; d still raises for this item
        if outcome == "fail":
            self.last_failed = code
            self.say(_("{code} marked FAIL. Press d to raise a defect for it.", code=code), "error")
            return
        self.say(
            _(
                "{code} marked {outcome}. {progress_text}.",
                code=code,
                outcome=_(outcome),
                progress_text=view.progress_text,
            ),
            "success",
        )

    def _write_failed(self, error: ServiceError, code: str) -> None:
        if isinstance(error, ValidationFailed) and "note" in error.problems:
            self.say(f"{code}: {error.message}", "error")  # the note stays open to fix
            return
        if self.mode in ("note", "station"):
            self._set_mode("checklist")
        self.say(error.message, "error")
        if isinstance(error, ValidationFailed) and self.view is not None:
            # another kiosk (or a key ahead of the answer) changed it: show it as it is now
            self.call_service(
                inspections.inspection_view,
                self.view.id,
                on_done=self._refreshed,
                group="refresh",
                latest_only=True,
            )

    # -- raising a defect ------------------------------------------------------------------

    def action_raise_defect(self) -> None:
        item = self.highlighted_item()
        if item is None or self.view is None:
            return
        if not (item.outcome == "fail" and not item.defect_short_id) and self.last_failed:
            just_failed = self.view.item(self.last_failed)
            if just_failed and just_failed.outcome == "fail" and not just_failed.defect_short_id:
                item = just_failed  # the item failed a moment ago (the cursor walked on)
        if item.outcome != "fail":
            self.say(
                _(
                    "Only a failed item raises a defect: press f to mark {code} failed first.",
                    code=item.code,
                ),
                "error",
            )
            return
        if item.defect_short_id:
            self.say(
                _(
                    "Defect {defect_short_id} was already raised for {code}.",
                    defect_short_id=item.defect_short_id,
                    code=item.code,
                )
            )
            return
        if not self.view.stations:
            self.say(
                _(
                    "Line {line_code} has no active station to report at.",
                    line_code=self.view.line_code,
                ),
                "error",
            )
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
                _(
                    "Which station of line {line_code} has the {code} defect? (Enter picks, Esc "
                    "cancels)",
                    line_code=self.view.line_code,
                    code=item.code,
                ),
                style="bold",
            )
        )
        self._set_mode("station")
        self.say(_("Raise a defect for {code}: choose the station.", code=item.code))

    def _raise_at(self, code: str, station_code: str) -> None:
        assert self.view is not None
        self.say(
            _(
                "Reporting the defect for {code} at {station_code}…",
                code=code,
                station_code=station_code,
            )
        )
        self._write(
            inspections.raise_defect_from_failure,
            self.caller,
            self.view.id,
            code,
            station_code,
            on_done=lambda receipt: self._defect_raised(receipt, code),
            on_error=lambda error: self._write_failed(error, code),
        )

    def _defect_raised(self, receipt: DefectReceipt, code: str) -> None:
        if self.mode == "station":
            self._set_mode("checklist")
        message = _(
            "Defect {short_id} reported for {code} at {station_code}. {team_name} must "
            "correct it by {time}.",
            short_id=receipt.short_id,
            code=code,
            station_code=receipt.station_code,
            team_name=receipt.team_name,
            time=format_local(receipt.due_at),
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
        self.render_view(view)

    # -- completing --------------------------------------------------------------------------

    def action_complete(self) -> None:
        if self.view is None:
            return
        self._write(
            inspections.complete_inspection,
            self.caller,
            self.view.id,
            on_done=self._completed,
        )

    def _completed(self, view: inspections.InspectionView) -> None:
        self.render_view(view)
        self.say(
            _(
                "Inspection of line {line_code} for {week} completed: {count} pass, {count2} "
                "fail, {count3} n/a.",
                line_code=view.line_code,
                week=view.week,
                count=view.count("pass"),
                count2=view.count("fail"),
                count3=view.count("n/a"),
            ),
            "success",
        )

    # -- one write at a time, in the order the keys were pressed -------------------------------

    def _write(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self._writes.append((function, args, kwargs))
        if not self._writing:
            self._next_write()

    def _next_write(self) -> None:
        if not self._writes:
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
        if self.mode == "confirm":
            self.pending_change = None
            self.pending_again = False
            self._set_mode("checklist")
            self.say(_("Nothing changed."))
        elif self.mode in ("note", "station"):
            self._set_mode("checklist")
            self.say(_(HELP))
        elif self.mode == "checklist":
            self._set_mode("lines")
            self.load_lines()
        else:
            self.dismiss()
