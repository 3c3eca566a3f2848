"""Defect report: 5M1E category, severity, source (supplier + lot for material), description."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from kiosk.clock import format_local
from kiosk.errors import ServiceError, ValidationFailed
from kiosk.i18n import _
from kiosk.services.defects import defects
from kiosk.services.plant.stations import StationView
from kiosk.services.platform import outbox
from screens.base import KioskScreen, Message
from screens.discard import AsksBeforeDiscarding
from screens.widgets.key_help import KeyHelp
from screens.widgets.quick_select import QuickSelect, numbered

if TYPE_CHECKING:
    from textual.app import App
from screens.widgets.form_problems import point_out
from screens.widgets.limited_input import LimitedInput
from screens.widgets.status_bar import StatusBar

FIELDS = ("category", "severity", "source", "supplier", "lot", "description")


@dataclass(frozen=True)
class ReportDraft:
    """A report someone was typing when they were signed out (kept in the kiosk's memory
    for their next sign-in here)."""

    station: StationView
    values: dict[str, str | None]
    defect_id: uuid.UUID


def report_drafts(app: App) -> dict[str, ReportDraft]:
    """The kiosk's unsent report drafts, by badge."""
    drafts: dict[str, ReportDraft] = vars(app).setdefault("report_drafts", {})
    return drafts


class DefectReportScreen(AsksBeforeDiscarding, KioskScreen):
    """Returns a one-line receipt (str) when the defect is saved, None when cancelled (Esc
    or Cancel with something typed asks first: screens/discard.py)."""

    CSS_PATH = "defect_report.tcss"
    BINDINGS = [
        Binding("ctrl+s", "submit", "Report"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(
        self,
        station: StationView,
        options: defects.ReportOptions,
        draft: ReportDraft | None = None,
    ) -> None:
        super().__init__()
        self.station = station
        self.options = options
        # a draft kept at a sign-out comes back with its id: sent twice, stored once
        self.defect_id = draft.defect_id if draft else uuid.uuid4()
        self._draft = draft
        # what this person chose last at this station on this kiosk: (category, source)
        self._remembered: tuple[str | None, str | None] = _last_choices(self.app).get(
            self._memory_key(), (None, None)
        )

    def _memory_key(self) -> tuple[str, str]:
        user = getattr(self.app, "user", None)
        return (user.badge_code if user else "", self.station.code)

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Message()  # above the form, never scrolled away: what to do, what is wrong
        with VerticalScroll(id="report-form"):
            yield Static(
                _(
                    "Report a defect at station {code} ({name}) · line {line_code} · "
                    "responsible team {team_name}",
                    code=self.station.code,
                    name=self.station.name,
                    line_code=self.station.line_code,
                    team_name=self.station.team_name,
                ),
                id="report-title",
                markup=False,
            )
            yield Label(_("5M1E category"))
            yield QuickSelect(
                numbered(self._choices(self.options.categories)),
                prompt=_("Choose the category: a digit picks it"),
                id="category",
            )
            yield Static("", id="error-category", classes="field-error", markup=False)
            with Horizontal(classes="pair"):
                with Vertical(classes="half"):
                    yield Label(_("Severity"))
                    yield QuickSelect(
                        numbered(self._choices(self.options.severities)),
                        allow_blank=False,
                        value="minor",
                        id="severity",
                    )
                    yield Static("", id="error-severity", classes="field-error", markup=False)
                with Vertical(classes="half"):
                    yield Label(_("Found by"))
                    yield QuickSelect(
                        numbered(self._choices(self.options.sources)),
                        allow_blank=False,
                        value=self._remembered[1] or "inspection",
                        id="source",
                    )
                    yield Static("", id="error-source", classes="field-error", markup=False)
            with Horizontal(classes="pair", id="material-row"):
                with Vertical(classes="half"):
                    yield Label(_("Supplier"))
                    yield Select(
                        self._choices(self.options.suppliers),
                        prompt=_("Choose the supplier"),
                        id="supplier",
                    )
                    yield Static("", id="error-supplier", classes="field-error", markup=False)
                with Vertical(classes="half"):
                    yield Label(_("Lot number"))
                    yield LimitedInput(
                        placeholder=_("lot on the material label"),
                        id="lot",
                        max_length=defects.LOT_MAX,
                    )
                    yield Static("", id="error-lot", classes="field-error", markup=False)
            yield Label(_("What is wrong? (Enter reports)"))
            # select_on_focus off: a draft brought back is added to, not typed over
            yield LimitedInput(
                placeholder=_("describe the defect"),
                id="description",
                select_on_focus=False,
                max_length=defects.DESCRIPTION_MAX,
            )
            yield Static("", id="error-description", classes="field-error", markup=False)
            with Horizontal(id="buttons"):
                yield Button(_("Report defect"), variant="primary", id="submit")
                yield Button(_("Cancel"), id="cancel")
        yield KeyHelp()

    @staticmethod
    def _choices(options: tuple[defects.Option, ...]) -> list[tuple[str, str]]:
        return [(option.label, option.value) for option in options]

    def on_mount(self) -> None:
        self.query_one("#material-row").display = (
            self.query_one("#source", Select).value == "incoming_material"
        )
        category = self.query_one("#category", Select)
        if self._draft is not None:
            self.remember_start()  # a draft brought back was typed: Esc asks before dropping it
            self._restore(self._draft)
        elif self._remembered[0] is not None:  # the usual case: straight to the description
            category.value = self._remembered[0]
            self.query_one("#description", Input).focus()
        else:
            category.focus()
        if self._start is None:
            self.remember_start()  # the choices made for them are not "typed"
        self.say(
            _(
                "The team must correct it within {correction_window_hours} hours. Ctrl+S or "
                "Enter in the description reports it; Esc cancels.",
                correction_window_hours=self.options.correction_window_hours,
            ),
            "info",
        )

    # -- drafts: a sign-out (F10, or the idle timer) keeps what was typed ----------------

    def keep_draft(self) -> None:
        """Called by the app before it signs the person out: keep what they typed, for
        their next sign-in at this kiosk (nothing typed: nothing kept)."""
        values = {field: self._value(field) for field in FIELDS}
        if not (values["description"] or values["lot"]):
            return
        user = getattr(self.app, "user", None)
        if user is not None:
            report_drafts(self.app)[user.badge_code] = ReportDraft(
                self.station, values, self.defect_id
            )

    def _restore(self, draft: ReportDraft) -> None:
        for field, value in draft.values.items():
            widget = self.query_one(f"#{field}")
            if isinstance(widget, Select):
                if value is not None:
                    widget.value = value
            elif isinstance(widget, Input):
                widget.value = value or ""
        self.query_one("#material-row").display = draft.values.get("source") == (
            "incoming_material"
        )
        self.query_one("#description", Input).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "source":
            self.query_one("#material-row").display = event.value == "incoming_material"

    def on_quick_select_picked(self, event: QuickSelect.Picked) -> None:
        """A category picked by its digit: on to the description (one key, not three)."""
        if event.select.id == "category":
            self.query_one("#description", Input).focus()

    def _value(self, field: str) -> str | None:
        widget = self.query_one(f"#{field}")
        if isinstance(widget, Select):
            return None if widget.value is Select.NULL else str(widget.value)
        assert isinstance(widget, Input)
        return widget.value

    def draft(self) -> defects.DefectDraft:
        return defects.DefectDraft(
            station_code=self.station.code,
            category=self._value("category"),
            severity=self._value("severity"),
            source=self._value("source"),
            description=self._value("description") or "",
            supplier_code=self._value("supplier"),
            lot=self._value("lot"),
        )

    def show_problems(self, problems: dict[str, str]) -> bool:
        """Each problem under its field, the fields named in the message, the first focused."""
        labels = {
            "category": _("5M1E category"),
            "severity": _("Severity"),
            "source": _("Found by"),
            "supplier": _("Supplier"),
            "lot": _("Lot number"),
            "description": _("What is wrong? (Enter reports)"),
        }
        return point_out(self, problems, labels, field=lambda name: self.query_one(f"#{name}"))

    def action_submit(self) -> None:
        draft = self.draft()
        problems = defects.validate_draft(draft)
        shown = self.show_problems(problems)  # and the problems of the last try cleared
        if problems:
            if not shown:
                self.say(" ".join(problems.values()), "error")
            return
        self.call_service(
            outbox.report_defect_or_keep,
            self.caller,
            self.kiosk_app.outbox,
            draft,
            defect_id=self.defect_id,
            on_done=self.saved,
            on_error=self.failed,
            group="submit",
            busy=_("Saving…"),
        )

    def saved(self, receipt: defects.DefectReceipt | outbox.Queued) -> None:
        self._forget_draft()
        _last_choices(self.app)[self._memory_key()] = (
            self._value("category"),
            self._value("source"),
        )
        if isinstance(receipt, outbox.Queued):
            self.kiosk_app.outbox_changed(receipt.waiting)
            self.dismiss(
                _(
                    "The server cannot be reached: the report is kept on this kiosk and will "
                    "be sent when it is back ({count} waiting). Its correction window counts "
                    "from now.",
                    count=receipt.waiting,
                )
            )
            return
        self.dismiss(
            _(
                "Defect {short_id} reported. {team_name} must correct it by {time}: "
                "{ontime:+d} if verified by then, {late:+d} if not.",
                short_id=receipt.short_id,
                team_name=receipt.team_name,
                time=format_local(receipt.due_at),
                ontime=self.options.ontime_points,
                late=self.options.late_points,
            )
        )

    def failed(self, error: ServiceError) -> None:
        problems = error.problems if isinstance(error, ValidationFailed) else {}
        if not self.show_problems(problems):  # fields named: the report is plainly still here
            self.say(error.message + _(" Your report is still here."), "error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "submit":
            self.action_submit()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.leave(self._discard)

    def _discard(self) -> None:
        self._forget_draft()  # the person chose to drop it
        self.dismiss(None)

    def _forget_draft(self) -> None:
        user = getattr(self.app, "user", None)
        if user is not None:
            report_drafts(self.app).pop(user.badge_code, None)


def _last_choices(app: object) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    """The kiosk's memory of each person's last category and source per station (kept
    while the kiosk runs), so a second report at a station needs no choosing."""
    memory: dict[tuple[str, str], tuple[str | None, str | None]]
    memory = vars(app).setdefault("report_choices", {})
    return memory
