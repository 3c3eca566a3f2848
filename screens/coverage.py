"""Training coverage (supervisors and up): who has passed the awareness assessment.

The overall share in big digits, tables by department and by team, and the list
of active employees still missing. Refreshes itself; rows update in place.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Digits, Static

from kiosk.errors import PermissionDenied, ServiceError
from kiosk.i18n import N_, _
from kiosk.services.training import assessments
from screens.base import KioskScreen, Message
from screens.widgets.key_help import KeyHelp
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import Col, FittedTable, count_title, fill_rows

REFRESH_SECONDS = 10.0
# the total goes first when the names would be cut short: at 80 columns a plant's teams
# ("Plant team 001", "Plant team 002"...) all read "Plant tea…" beside it
GROUP_COLUMNS = (Col(N_("Passed"), N_("Passed")), Col(N_("Total"), N_("Total"), 1), Col("%", "%"))


def _percent_style(percent: int) -> str:
    return "bold green" if percent >= 100 else ("yellow" if percent >= 80 else "bold red")


def _group_cells(group: assessments.CoverageGroup) -> tuple[object, ...]:
    return (
        Text(group.name),
        Text(str(group.passed), justify="right"),
        Text(str(group.total), justify="right"),
        Text(f"{group.percent} %", style=_percent_style(group.percent), justify="right"),
    )


class CoverageScreen(KioskScreen):
    CSS_PATH = "coverage.tcss"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("r", "refresh", "Refresh"),
        Binding("f8", "page(1)", "Next page"),
        Binding("f7", "page(-1)", "Previous page"),
        Binding("pagedown", "page(1)", "Next page", show=False, priority=True),
        Binding("pageup", "page(-1)", "Previous page", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.refused = False
        self.first_row = 0  # where the page of people still missing starts
        self.shown: assessments.CoveragePage | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Vertical(id="coverage-main"):
            yield Static(_("TRAINING COVERAGE"), id="coverage-title")
            yield Static("", id="coverage-campaign", markup=False)
            with Horizontal(id="coverage-head"):
                yield Digits("--", id="coverage-percent")
                yield Static("", id="coverage-summary", markup=False)
            with Horizontal(id="coverage-groups"):
                with Vertical(classes="group-box"):
                    yield Static(_("By department"), classes="table-title")
                    yield FittedTable(id="by-department", cursor_type="row", show_cursor=False)
                with Vertical(classes="group-box"):
                    yield Static(_("By team"), classes="table-title")
                    yield FittedTable(id="by-team", cursor_type="row", show_cursor=False)
            yield Static(_("Still missing"), id="missing-title", classes="table-title")
            yield FittedTable(id="missing", cursor_type="row", zebra_stripes=True)
            yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        for selector, first in (("#by-department", N_("Department")), ("#by-team", N_("Team"))):
            self.query_one(selector, FittedTable).set_columns(
                [
                    Col("group", first, flex=True, min_width=8),
                    *GROUP_COLUMNS,
                ]
            )
        self.query_one("#missing", FittedTable).set_columns(
            [
                Col("name", N_("Name"), flex=True, min_width=8),
                Col("badge", N_("Badge")),
                Col("department", N_("Department"), 2, flex=True, min_width=8),
                Col("team", N_("Team"), 1, flex=True, min_width=8),
                Col("best", N_("Best score"), 3),
            ]
        )
        self.action_refresh()
        self.set_interval(REFRESH_SECONDS, self.action_refresh)

    def action_refresh(self) -> None:
        if self.refused:
            return
        self.call_service(
            assessments.training_coverage,
            self.caller,
            offset=self.first_row,
            on_done=self.show_report,
            on_error=self._failed,
            group="coverage",
            latest_only=True,
        )

    def _failed(self, error: ServiceError) -> None:
        if isinstance(error, PermissionDenied):
            self.refused = True
        self.show_error(error)

    def show_report(self, report: assessments.CoveragePage) -> None:
        self.shown = report
        overall = report.overall
        self.query_one("#coverage-campaign", Static).update(
            _(
                "{campaign_name} · pass mark {pass_mark_percent} % · target 100 %",
                campaign_name=report.campaign_name,
                pass_mark_percent=report.pass_mark_percent,
            )
        )
        digits = self.query_one("#coverage-percent", Digits)
        digits.update(str(overall.percent))
        digits.set_classes("done" if overall.percent >= 100 else "short")
        summary = Text()
        summary.append(_("% trained\n"), style="bold")
        summary.append(
            _("{passed} of {total}", passed=overall.passed, total=overall.total), style="bold"
        )
        summary.append(_(" active employees have passed the awareness assessment.\n"))
        summary.append(
            _("{missing} still to go.", missing=overall.missing),
            style="bold" if overall.missing else "",
        )
        self.query_one("#coverage-summary", Static).update(summary)
        fill_rows(
            self.query_one("#by-department", DataTable),
            [(group.name, _group_cells(group)) for group in report.by_department],
        )
        fill_rows(
            self.query_one("#by-team", DataTable),
            [(group.name, _group_cells(group)) for group in report.by_team],
        )
        rows = []
        for person in report.missing:
            best = (
                f"{person.best_score}/{person.best_item_count} ({person.best_percent} %)"
                if person.best_score is not None
                else _("not taken")
            )
            rows.append(
                (
                    person.badge_code,
                    (
                        Text(person.name),
                        Text(person.badge_code),
                        Text(person.department),
                        Text(person.team_name),
                        Text(best),
                    ),
                )
            )
        fill_rows(self.query_one("#missing", DataTable), rows)
        total = report.missing_total
        title = count_title(
            total,
            len(report.missing),
            _("Nobody is missing: every active employee has passed."),
            _("Still missing: {count}", count=total),
            _(
                "Still missing: {first}–{last} of {count} (F8/PgDn next, F7/PgUp previous)",
                first=report.first,
                last=report.last,
                count=total,
            ),
        )
        self.query_one("#missing-title", Static).update(title)
        if total and not report.missing:  # the list shrank under this page: back to its end
            self.first_row = max(0, (total - 1) // report.missing_limit * report.missing_limit)
            self.action_refresh()
            return
        self.say(_("R refreshes now; the screen also refreshes itself. Esc goes back."))

    def action_page(self, step: int) -> None:
        shown = self.shown
        if shown is None:
            return
        offset = shown.missing_offset + step * shown.missing_limit
        if offset < 0 or offset >= shown.missing_total:
            self.say(_("There is no page that way."))
            return
        self.first_row = offset
        self.action_refresh()

    def on_data_changed(self, _message: object) -> None:
        """The app's change feed (DataChanged): a write somewhere, refresh now; but a write
        while we are still asking (even the audit row of our own refusal) needs no second
        question: the answer on its way will do."""
        if not self.in_flight("coverage"):
            self.action_refresh()

    def action_back(self) -> None:
        self.dismiss()
