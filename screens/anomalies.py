"""The on-site anomaly report (supervisors and up): a monthly Pareto by 5M1E category.

Bars for each category's count, largest first, with the cumulative % line on the
right axis (and the 80 % mark); below, a table with each category's count, share,
cumulative % and the count of the same month a year before. [ and ] move a month.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from kiosk.errors import PermissionDenied, ServiceError
from kiosk.i18n import N_, _
from kiosk.services.lines import anomalies
from screens.base import DataChanged, KioskScreen, Message
from screens.widgets.chart import Chart
from screens.widgets.chart_legend import ChartLegend, series_colour
from screens.widgets.key_help import KeyHelp
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import Col, FittedTable

REFRESH_SECONDS = 30.0
PARETO_MARK = 80.0
TITLED_HEIGHT = 30  # a screen this high or higher has room for the chart's title
# at 80 columns the category, its count, the cumulative share (the Pareto) and the change
# stay; the year before's count goes first, then the share
COLUMNS = [
    Col("category", N_("Category"), flex=True, min_width=12),
    Col("count", N_("Count")),
    Col("share", N_("Share"), 2),
    Col("cumulative", N_("Cumulative")),
    Col("year_before", N_("Year before"), 3),
    Col("change", N_("Change")),
]


def change_cell(change: int) -> Text:
    """More anomalies than a year before is bad news (red), fewer is good news (green)."""
    if change > 0:
        return Text(f"▲ +{change}", style="bold red", justify="right")
    if change < 0:
        return Text(f"▼ {change}", style="green", justify="right")
    return Text("= 0", justify="right")


def row_cells(row: anomalies.ParetoRow) -> tuple[object, ...]:
    return (
        Text(row.label),
        Text(str(row.count), justify="right"),
        Text(f"{row.share_percent:.1f} %", justify="right"),
        Text(f"{row.cumulative_percent:.1f} %", justify="right"),
        Text(str(row.last_year_count), justify="right"),
        change_cell(row.change),
    )


class AnomaliesScreen(KioskScreen):
    CSS_PATH = "anomalies.tcss"
    BINDINGS = [
        Binding("left_square_bracket", "previous_month", "Month before", key_display="["),
        Binding("right_square_bracket", "next_month", "Month after", key_display="]"),
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, month: str | None = None) -> None:
        super().__init__()
        self.month = month  # None: the service picks (this month, or the campaign's)
        self.refused = False

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Vertical(id="anomalies-main"):
            yield Static(_("ON-SITE ANOMALIES: PARETO BY 5M1E"), id="anomalies-title")
            yield Static(_("Loading the report…"), id="anomalies-month", markup=False)
            yield Static("", id="anomalies-summary", markup=False)
            yield Chart(id="anomalies-chart")
            yield ChartLegend(id="anomalies-legend")  # under the chart: never over the bars
            yield FittedTable(id="anomalies-table", cursor_type="row", zebra_stripes=True)
            yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        self.query_one("#anomalies-table", FittedTable).set_columns(COLUMNS)
        self.action_refresh()
        self.set_interval(REFRESH_SECONDS, self.action_refresh)

    # -- loading ---------------------------------------------------------------------

    def action_refresh(self) -> None:
        if self.refused:
            return  # one audited refusal is enough
        self.call_service(
            anomalies.anomaly_report_for,
            self.caller,
            self.month,
            on_done=self.show_report,
            on_error=self._failed,
            group="anomalies",
            latest_only=True,  # quick [ [ [ : only the last month asked for is shown
        )

    def _move(self, months: int) -> None:
        if self.refused or self.month is None:
            return  # nothing shown yet: the first report names the month
        try:
            self.month = anomalies.shift_month(self.month, months)
        except ServiceError as error:  # past the years the report covers
            self.show_error(error)
            return
        self.query_one("#anomalies-month", Static).update(_("Loading {month}…", month=self.month))
        self.action_refresh()

    def action_previous_month(self) -> None:
        self._move(-1)

    def action_next_month(self) -> None:
        self._move(1)

    def _failed(self, error: ServiceError) -> None:
        if isinstance(error, PermissionDenied):
            self.refused = True
            for selector in ("#anomalies-chart", "#anomalies-table"):
                self.query_one(selector).display = False
            self.query_one("#anomalies-month", Static).update("")
            self.say(_("{message} Esc goes back.", message=error.message), "error")
            return
        self.show_error(error)

    # -- showing ---------------------------------------------------------------------

    def show_report(self, report: anomalies.AnomalyPareto) -> None:
        self.month = report.month
        self.query_one("#anomalies-month", Static).update(
            Text.assemble(
                ("[ ◀  ", "bold"),
                (report.month, "bold reverse"),
                ("  ▶ ]", "bold"),
                _("   compared with {last_year_month}", last_year_month=report.last_year_month),
            )
        )
        summary = Text()
        summary.append(_("{total} on-site anomalies", total=report.total), style="bold")
        summary.append(
            _(
                " ({reported} reported at the kiosk, {imported} imported)  ·  "
                "{last_year_month}: {last_year_total}",
                reported=report.reported,
                imported=report.imported,
                last_year_month=report.last_year_month,
                last_year_total=report.last_year_total,
            )
        )
        change = report.change_percent
        if change is not None:
            summary.append("  ·  ")
            summary.append(
                _("{change:+.1f} % year on year", change=change),
                style="bold red" if change > 0 else ("green" if change < 0 else ""),
            )
        self.query_one("#anomalies-summary", Static).update(summary)
        self._draw(report)
        table = self.query_one("#anomalies-table", FittedTable)
        table.set_rows([(row.category, row_cells(row)) for row in report.rows])
        table.display = bool(report.rows)
        if report.rows:
            self.say(_("[ and ] move a month; R refreshes; Esc goes back."))
        else:
            self.say(
                _(
                    "No on-site anomalies recorded for {month} or {last_year_month}. [ and ] "
                    "move a month.",
                    month=report.month,
                    last_year_month=report.last_year_month,
                )
            )

    def _draw(self, report: anomalies.AnomalyPareto) -> None:
        chart = self.query_one("#anomalies-chart", Chart)
        plt = chart.plt
        plt.clear_data()
        plt.clear_figure()
        legend = self.query_one("#anomalies-legend", ChartLegend)
        legend.display = bool(report.total)
        if not report.total:
            plt.title(_("No on-site anomalies in {month}", month=report.month))
            chart.refresh()
            return
        shown = [row for row in report.rows if row.count]
        x = list(range(1, len(shown) + 1))
        if self.size.height >= TITLED_HEIGHT:  # lower, the lines above say it: a row for bars
            plt.title(
                _(
                    "On-site anomalies {month}: Pareto by 5M1E ({total})",
                    month=report.month,
                    total=report.total,
                )
            )
        bars, cumulative, mark = series_colour(0), series_colour(1), series_colour(2)
        plt.bar(x, [row.count for row in shown], width=0.6, color=bars)
        plt.plot(
            x,
            [row.cumulative_percent for row in shown],
            yside="right",
            marker="braille",
            color=cumulative,
        )
        plt.plot(
            [0.5, len(shown) + 0.5],
            [PARETO_MARK, PARETO_MARK],
            yside="right",
            marker="dot",
            color=mark,
        )
        legend.show(
            [
                (_("anomalies (left axis)"), bars, "█"),
                (_("cumulative % (right axis)"), cumulative, "━"),
                (_("80 % mark"), mark, "•"),
            ]
        )
        # textual-plotext's hints: ticks a list of floats only, a side a float (it is
        # "left" or "right", as plotext documents)
        plt.xticks(x, [row.label for row in shown])  # type: ignore[arg-type]
        plt.ylim(0, max(row.count for row in shown) * 1.15, yside="left")  # type: ignore[arg-type]
        plt.ylim(0, 100, yside="right")  # type: ignore[arg-type]
        chart.refresh()

    def on_data_changed(self, _message: DataChanged) -> None:
        # a write elsewhere (even the audit row of our own refusal) while we are still
        # asking: the answer on its way will do
        if not self.in_flight("anomalies"):
            self.action_refresh()

    def action_back(self) -> None:
        self.dismiss()
