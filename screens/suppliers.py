"""Incoming-material supplier ranking (supervisors and up).

Suppliers ranked by their share of the period's incoming-material defects, with
the trend against the period before (▲ more, ▼ fewer, = the same), the lots
involved, and high-risk suppliers marked. The period is the campaign's at first;
[ and ] step a period back and forth, T shows the last 30 days, C the campaign
again. Refreshes on the change feed.
"""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from kiosk.clock import format_local, to_local
from kiosk.errors import PermissionDenied, ServiceError
from kiosk.i18n import N_, _, ngettext
from kiosk.services.lines import suppliers
from screens.base import DataChanged, KioskScreen, Message
from screens.widgets.key_help import KeyHelp
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import Col, FittedTable

REFRESH_SECONDS = 30.0  # the change feed refreshes at once; this is a safety net
# at 80 columns: the supplier, its defects, share and risk stay; lots and trend go first
COLUMNS = [
    Col("rank", N_("Rank"), 3),
    Col("supplier", N_("Supplier")),
    # the company's name: not N_("Name"), which is a person's (姓名) in the other lists
    Col("name", N_("Company"), 4, flex=True, min_width=10),
    Col("defects", N_("Defects")),
    Col("share", N_("Share")),
    Col("trend", N_("Trend"), 2),
    Col("lots", N_("Lots"), 5, flex=True, min_width=10),
    Col("risk", N_("Risk")),
]
LOTS_SHOWN = 2
NAME_WIDTH = 26


def trend_cell(row: suppliers.SupplierRow) -> Text:
    """More defects than before is bad news (red), fewer is good news (green)."""
    numbers = f"{row.previous_count} → {row.count}"
    if row.trend == "up":
        return Text(f"▲ {numbers}", style="bold red")
    if row.trend == "down":
        return Text(f"▼ {numbers}", style="green")
    return Text(f"= {numbers}")


def lots_cell(lots: tuple[str, ...]) -> Text:
    shown = ", ".join(lots[:LOTS_SHOWN])
    more = len(lots) - LOTS_SHOWN
    return Text(f"{shown} (+{more})" if more > 0 else shown or "—")


def name_cell(name: str) -> Text:
    return Text(name if len(name) <= NAME_WIDTH else name[: NAME_WIDTH - 1].rstrip() + "…")


def row_cells(row: suppliers.SupplierRow) -> tuple[object, ...]:
    risky = "bold red" if row.high_risk else ""
    return (
        Text(str(row.rank or "—"), style=risky, justify="right"),
        Text(row.supplier_code, style=risky),
        name_cell(row.supplier_name),
        Text(str(row.count), justify="right"),
        Text(f"{row.share_percent:.1f} %", style=risky, justify="right"),
        trend_cell(row),
        lots_cell(row.lots),
        Text(_("⚠ HIGH RISK"), style="bold red") if row.high_risk else Text("—"),
    )


def detail_text(row: suppliers.SupplierRow) -> Text:
    """Everything about the highlighted supplier: all its lots and why it is high-risk."""
    text = Text()
    text.append(f"{row.supplier_code} {row.supplier_name}", style="bold")
    text.append(
        ngettext(
            ": {count} defect, {share_percent:.1f} % ({previous_count} the period before). "
            "Lots: {value}.",
            ": {count} defects, {share_percent:.1f} % ({previous_count} the period before). "
            "Lots: {value}.",
            row.count,
            share_percent=row.share_percent,
            previous_count=row.previous_count,
            value=", ".join(row.lots) or _("none"),
        )
    )
    if row.high_risk:
        text.append(_(" HIGH RISK: ") + "; ".join(row.risk_reasons) + ".", style="bold red")
    return text


class SuppliersScreen(KioskScreen):
    CSS_PATH = "suppliers.tcss"
    BINDINGS = [
        Binding("left_square_bracket", "previous_period", "Period before", key_display="["),
        Binding("right_square_bracket", "next_period", "Period after", key_display="]"),
        Binding("t", "last_30_days", "Last 30 days"),
        Binding("c", "campaign_period", "Campaign"),
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.refused = False
        self.period: tuple[date, date] | None = None  # None: the campaign's (the service decides)
        self.rows: dict[str, suppliers.SupplierRow] = {}

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Vertical(id="suppliers-main"):
            yield Static(_("INCOMING MATERIAL: SUPPLIER RANKING"), id="suppliers-title")
            yield Static(_("Loading the ranking…"), id="suppliers-period", markup=False)
            yield Static("", id="suppliers-summary", markup=False)
            yield FittedTable(id="supplier-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="supplier-detail", markup=False)
            yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        self.query_one("#supplier-table", FittedTable).set_columns(COLUMNS)
        self.action_refresh()
        self.set_interval(REFRESH_SECONDS, self.action_refresh)

    def action_refresh(self) -> None:
        if self.refused:
            return  # one audited refusal is enough
        start, end = self.period or (None, None)
        self.call_service(
            suppliers.supplier_ranking_for,
            self.caller,
            start,
            end,
            on_done=self.show_ranking,
            on_error=self._failed,
            group="suppliers",
            latest_only=True,
        )

    def _load(self, period: tuple[date, date] | None) -> None:
        if self.refused:
            return
        self.period = period
        self.query_one("#suppliers-period", Static).update(_("Loading…"))
        self.action_refresh()

    def _step(self, periods: int) -> None:
        if self.period is None:
            return  # nothing shown yet: the first ranking names the period
        start, end = self.period
        length = timedelta(days=(end - start).days + 1)
        try:
            period = (start + periods * length, end + periods * length)
        except OverflowError:
            self.say(_("There is no period further that way."), "error")
            return
        self._load(period)

    def action_previous_period(self) -> None:
        self._step(-1)

    def action_next_period(self) -> None:
        self._step(1)

    def action_last_30_days(self) -> None:
        today = to_local(self.kiosk_app.clock.now()).date()
        self._load((today - timedelta(days=29), today))

    def action_campaign_period(self) -> None:
        self._load(None)

    def _failed(self, error: ServiceError) -> None:
        if isinstance(error, PermissionDenied):
            self.refused = True
            for selector in ("#supplier-table", "#supplier-detail", "#suppliers-summary"):
                self.query_one(selector).display = False
            self.query_one("#suppliers-period", Static).update("")
            self.say(_("{message} Esc goes back.", message=error.message), "error")
            return
        self.show_error(error)

    def show_ranking(self, ranking: suppliers.SupplierRanking) -> None:
        self.period = (ranking.start, ranking.end)
        self.query_one("#suppliers-period", Static).update(
            Text.assemble(
                (f"{ranking.start:%Y-%m-%d} – {ranking.end:%Y-%m-%d}", "bold"),
                _(
                    " ({days} days, {campaign_name}) against {previous_start:%Y-%m-%d} – "
                    "{previous_end:%Y-%m-%d}. High risk: a share of {threshold_percent} % or "
                    "more, or a critical defect.",
                    days=ranking.days,
                    campaign_name=ranking.campaign_name,
                    previous_start=ranking.previous_start,
                    previous_end=ranking.previous_end,
                    threshold_percent=ranking.threshold_percent,
                ),
            )
        )
        risky = len(ranking.high_risk)
        summary = Text()
        summary.append(
            ngettext(
                "{count} incoming-material defect",
                "{count} incoming-material defects",
                ranking.total,
            ),
            style="bold",
        )
        summary.append(
            _(" (the period before: {previous_total})  ·  ", previous_total=ranking.previous_total)
        )
        summary.append(
            ngettext("{count} high-risk supplier", "{count} high-risk suppliers", risky)
            if risky
            else _("no high-risk supplier"),
            style="bold red" if risky else "green",
        )
        self.query_one("#suppliers-summary", Static).update(summary)
        self.rows = {row.supplier_code: row for row in ranking.rows}
        table = self.query_one("#supplier-table", FittedTable)
        table.set_rows([(row.supplier_code, row_cells(row)) for row in ranking.rows])
        self._show_detail(table)
        if not ranking.rows:
            self.say(
                _(
                    "No incoming-material defects in this period or the one before. [ ] another "
                    "period, T the last 30 days, C the campaign."
                )
            )
        else:
            self.say(
                _(
                    "Updated {time}. [ ] another period, T the last 30 days, C the campaign; "
                    "Esc goes back.",
                    time=format_local(ranking.generated_at, "%H:%M:%S"),
                )
            )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_detail(event.data_table)

    def _show_detail(self, table: DataTable) -> None:
        row = None
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            row = self.rows.get(str(key))
        self.query_one("#supplier-detail", Static).update(detail_text(row) if row else "")

    def on_data_changed(self, _message: DataChanged) -> None:
        # a write elsewhere (even the audit row of our own refusal) while we are still
        # asking: the answer on its way will do
        if not self.in_flight("suppliers"):
            self.action_refresh()

    def action_back(self) -> None:
        self.dismiss()
