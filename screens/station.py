"""Station scan: the operator's home. Scan the station QR; see its line, team and open defects."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static

from kiosk.clock import format_local
from kiosk.i18n import N_, _, current_language
from kiosk.services.lines.anomalies import CATEGORY_LABELS
from kiosk.services.plant import stations
from kiosk.services.platform import outbox
from screens.base import Message, ScanningScreen
from screens.codes import code_word
from screens.widgets.key_help import KeyHelp
from screens.widgets.scan_input import ScanInput
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import Col, FittedTable, count_title

SEVERITY_STYLE = {"critical": "bold red", "major": "yellow", "minor": ""}


if TYPE_CHECKING:
    from collections.abc import Callable

    from kiosk.services.defects.defects import ReportOptions
    from screens.defect_report import ReportDraft

# the station screen's keys that need more than an operator: action -> the least role
ROLE_KEYS = {
    "inspection": "team_leader",
    "change_pin": "team_leader",
    "suppliers": "supervisor",
    "anomalies": "supervisor",
    "admin": "supervisor",
    "enrolment_code": "supervisor",
    "campaigns": "quality_admin",
}


# at 80 columns: the defect, its due time and what is wrong stay; category and status go
OPEN_DEFECT_COLUMNS = [
    Col("defect", N_("Defect")),
    Col("category", N_("Category"), 3),
    Col("severity", N_("Severity"), 2),
    Col("status", N_("Status"), 1),
    Col("due", N_("Due")),
    Col("description", N_("Description"), flex=True, min_width=16),
]


class StationScreen(ScanningScreen):
    CSS_PATH = "station.tcss"
    BINDINGS = [
        Binding("f2", "report_defect", "Report defect"),
        Binding("f3", "quiz", "Quiz"),
        Binding("f4", "team_points", "Team points"),
        Binding("f5", "worklist", "Team defects"),
        Binding("f6", "inspection", "Inspection"),
        Binding("f7", "red_black", "Red-Black list"),
        # priority: the focused scan input would take ctrl+u / ctrl+a as editing keys
        Binding("ctrl+u", "suppliers", "Suppliers", priority=True),
        Binding("ctrl+a", "anomalies", "Anomalies", priority=True),
        Binding("f12", "lines", "Lines & board"),
        Binding("f8", "training", "Training"),
        Binding("f9", "competitions", "Contests"),
        Binding("f11", "proposals", "Proposals"),
        Binding("ctrl+o", "admin", "Administration", priority=True),
        # PINs: one's own (leaders and up), a code for someone else's badge (supervisors)
        Binding("ctrl+n", "change_pin", "My PIN", priority=True),
        Binding("ctrl+e", "enrolment_code", "PIN code for a badge", priority=True),
        Binding("ctrl+k", "campaigns", "Campaigns", priority=True),
        # a key of ROLE_KEYS pressed by someone below its role meets this instead (not
        # shown): it says at once who may use it, before any form is opened
        *(
            Binding(key, f"refused('{action}')", "", show=False, priority=True)
            for key, action in (
                ("f6", "inspection"),
                ("ctrl+u", "suppliers"),
                ("ctrl+a", "anomalies"),
                ("ctrl+o", "admin"),
                ("ctrl+n", "change_pin"),
                ("ctrl+e", "enrolment_code"),
                ("ctrl+k", "campaigns"),
            )
        ),
    ]

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Vertical(id="station-main"):
            yield Static("", id="greeting", markup=False)
            with Horizontal(id="scan-row"):
                yield Static(_("Scan the station QR ▸ "), id="scan-label")
                yield ScanInput(_("station code, e.g. L1-S01"), id="station-scan")
            yield Message()
            yield Static(
                _("No station yet: scan the QR label on your station."),
                id="station-card",
                markup=False,
            )
            yield Static(_("Open defects at this station"), id="defects-title")
            yield FittedTable(id="open-defects", cursor_type="row", zebra_stripes=True)
        yield KeyHelp()

    def on_mount(self) -> None:
        self._greet()
        table = self.query_one("#open-defects", FittedTable)
        table.set_columns(OPEN_DEFECT_COLUMNS)
        self.query_one("#defects-title").display = False
        table.display = False
        self.query_one("#station-scan", ScanInput).focus()
        from screens.assessment import offer_unfinished_assessment

        offer_unfinished_assessment(self)  # an assessment left unfinished: offer to continue
        self._offer_draft()  # a report half-typed before a sign-out: offer it back

    def on_resize(self) -> None:
        """On a workshop terminal (24 lines) the card loses its frame and the margins go,
        so the open defects keep rows to show under the keys."""
        self.set_class(self.size.height < 30, "-compact")

    def _greet(self) -> None:
        user = self.caller.person
        self.query_one("#greeting", Static).update(
            Text.assemble(
                (_("Welcome, "), ""),
                (user.name, "bold"),
                (f" · {user.role_title} · {user.team_name}", ""),
            )
        )

    def language_changed(self) -> None:
        """Ctrl+L: the greeting, and the station card and its defects, in the new language."""
        self._greet()
        station = self.kiosk_app.station
        if station is not None:
            self.load_station(station.code, message=_("Station {code}.", code=station.code))

    # -- scanning -----------------------------------------------------------------

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        """Enter alone with a station shown means nothing: the message stays (a hurried
        second Enter after a report used to put "Nothing was scanned" over its receipt)."""
        if not event.text.strip() and self.kiosk_app.station is not None:
            event.stop()
            event.prevent_default()  # Textual runs the base class's handler after this one

    def _scan_parsed(self, result: stations.ScanResult) -> None:
        if isinstance(result, stations.ScanError):
            self.say(result.message, "error")
            return
        if isinstance(result, stations.BadgeScan):
            self.say(
                _(
                    "That is a badge. To change person, press F10 to sign out first; here, scan "
                    "the station's QR label."
                ),
                "error",
            )
            return
        self.load_station(result.code)

    def load_station(self, code: str, message: str | None = None) -> None:
        self.carry_message(message)
        self._read_report_options()
        self.call_service(
            outbox.lookup_station_or_kept,
            self.caller,
            self.kiosk_app.outbox,
            code,
            on_done=self.show_station,
            group="scan",
            latest_only=True,
        )

    def show_station(self, view: stations.StationView, message: str | None = None) -> None:
        message = self.carried_message(message)
        self.kiosk_app.station = view
        card = Text()
        card.append(_("Station {code}", code=view.code), style="bold")
        card.append(f"  {view.name}\n")
        card.append(
            _("Line {line_code}  {line_name}\n", line_code=view.line_code, line_name=view.line_name)
        )
        card.append(_("Responsible team  "))
        card.append(view.team_name, style="bold")
        self.query_one("#station-card", Static).update(card)
        table = self.query_one("#open-defects", FittedTable)
        rows = []
        for defect in view.open_defects:
            due = format_local(defect.due_at)
            rows.append(
                (
                    defect.id,
                    (
                        defect.short_id,
                        CATEGORY_LABELS.get(defect.category, defect.category),
                        Text(
                            code_word(defect.severity),
                            style=SEVERITY_STYLE.get(defect.severity, ""),
                        ),
                        code_word(defect.status),
                        Text(_("{due} OVERDUE", due=due), style="bold red")
                        if defect.overdue
                        else due,
                        Text(defect.description[:80]),
                    ),
                )
            )
        table.set_rows(rows)
        table.display = True
        title = self.query_one("#defects-title", Static)
        title.display = True
        count = max(view.open_total, len(view.open_defects))
        text = count_title(
            count,
            len(view.open_defects),
            _("No open defects at this station."),
            _("Open defects at this station: {count}", count=count),
            _(
                "Open defects at this station: {count}; the {shown} most urgent shown.",
                count=count,
                shown=len(view.open_defects),
            ),
        )
        title.update(text)
        self.say(
            message or _("Station {code} scanned. F2 reports a defect here.", code=view.code),
            "success",
        )

    # -- actions -----------------------------------------------------------------

    def action_report_defect(self) -> None:
        from screens.defect_report import DefectReportScreen

        station = self.kiosk_app.station
        draft = self._draft()
        if draft is not None and (station is None or station.code == draft.station.code):
            station = draft.station  # the report typed before a sign-out, as it was
        else:
            draft = None
        if station is None:
            self.say(_("Scan the station first: a defect is reported against a station."), "error")
            return

        def open_report(options: ReportOptions) -> None:
            self.app.push_screen(
                DefectReportScreen(station, options, draft),
                lambda receipt: self._report_closed(receipt, station.code),
            )

        language, options = self.__dict__.get("_report_options", (None, None))
        if options is not None and language == current_language():
            open_report(options)  # at once: what a quick hand types after F2 lands in the form
            self._read_report_options()  # fresh for the next report
        else:
            self._read_report_options(then=open_report)

    def _read_report_options(self, then: Callable[[ReportOptions], None] | None = None) -> None:
        """The report form's choices, read ahead when a station is scanned: F2 needs no read
        (while one ran, the keys typed after F2 went to the scan box and were lost)."""

        def keep(options: ReportOptions) -> None:
            self.__dict__["_report_options"] = (current_language(), options)
            if then is not None:
                then(options)

        self.call_service(
            outbox.report_options_or_kept,
            self.kiosk_app.outbox,
            on_done=keep,
            group="report-options" if then is None else "service",
        )

    def _draft(self) -> ReportDraft | None:
        from screens.defect_report import report_drafts

        user = self.kiosk_app.user
        return report_drafts(self.app).get(user.badge_code) if user else None

    def _offer_draft(self) -> None:
        draft = self._draft()
        if draft is not None:
            self.say(
                _(
                    "Your report at station {code} was kept when you were signed out: F2 "
                    "opens it as you left it (Esc there drops it).",
                    code=draft.station.code,
                ),
                "info",
            )

    def _report_closed(self, receipt: object, code: str) -> None:
        """The receipt (team, deadline, points) always shows, also for a draft reopened before
        any station was scanned: its station is then shown, and the draft notice goes."""
        if receipt is not None:
            self.load_station(code, message=str(receipt))
        self.query_one("#station-scan", ScanInput).focus()

    def action_quiz(self) -> None:
        from screens.quiz import QuizScreen

        self.app.push_screen(QuizScreen())

    def action_team_points(self) -> None:
        from screens.team_points import TeamPointsScreen

        self.app.push_screen(TeamPointsScreen())

    def action_worklist(self) -> None:
        from screens.worklist import WorklistScreen

        self.app.push_screen(WorklistScreen(), lambda _r: self._refresh_station())

    def action_lines(self) -> None:
        from screens.lines import LinesScreen

        self.app.push_screen(LinesScreen())

    def action_red_black(self) -> None:
        from screens.red_black import RedBlackScreen

        self.app.push_screen(RedBlackScreen())

    def action_suppliers(self) -> None:
        from screens.suppliers import SuppliersScreen  # supervisors and up (the service checks)

        self.app.push_screen(SuppliersScreen())

    def action_anomalies(self) -> None:
        from screens.anomalies import AnomaliesScreen  # supervisors and up (the service checks)

        self.app.push_screen(AnomaliesScreen())

    def action_competitions(self) -> None:
        from screens.contest import CompetitionsMenu

        self.app.push_screen(CompetitionsMenu())

    def action_proposals(self) -> None:
        from screens.proposals import ProposalsScreen

        self.app.push_screen(ProposalsScreen())

    def action_training(self) -> None:
        from screens.assessment import AssessmentScreen

        self.app.push_screen(AssessmentScreen())

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        from screens.defect_detail import DefectDetailScreen

        event.stop()
        self.app.push_screen(
            DefectDetailScreen(str(event.row_key.value)), lambda _r: self._refresh_station()
        )

    def _refresh_station(self) -> None:
        station = self.kiosk_app.station
        if station is not None:
            self.load_station(station.code, message=_("Station {code}.", code=station.code))

    def action_inspection(self) -> None:
        from screens.inspection import InspectionScreen

        self.app.push_screen(InspectionScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys only for those who may use them (not offered to the others, who meet
        `refused` instead)."""
        if action == "refused":
            return not self._may(str(parameters[0]))
        return self._may(action)

    def _may(self, action: str) -> bool:
        minimum = ROLE_KEYS.get(action)
        if minimum is None:
            return True
        user = self.kiosk_app.user
        return user is not None and user.has_role(minimum)

    def action_refused(self, action: str) -> None:
        """Say at once who may use the key, and put the attempt in the audit trail."""
        label = next(
            b.description for b in self.BINDINGS if isinstance(b, Binding) and b.action == action
        )
        self.refuse_key(_(label), ROLE_KEYS[action], action)

    def action_admin(self) -> None:
        from screens.admin import AdminMenuScreen

        self.app.push_screen(AdminMenuScreen())

    def action_change_pin(self) -> None:
        from screens.change_pin import ChangePinScreen

        def changed(done: bool | None) -> None:
            if done:
                self.say(_("Your PIN is changed. Use the new one from now on."), "success")
            self.query_one("#station-scan", ScanInput).focus()

        self.app.push_screen(ChangePinScreen(), changed)

    def action_enrolment_code(self) -> None:
        from screens.enrolment_code import IssueEnrolmentCodeScreen

        def scan_again(_issued: object) -> None:
            self.query_one("#station-scan", ScanInput).focus()

        self.app.push_screen(IssueEnrolmentCodeScreen(), scan_again)

    def action_campaigns(self) -> None:
        from screens.campaigns import CampaignsScreen

        self.app.push_screen(CampaignsScreen())
