"""A team's points in detail: its ledger rows, newest first, a page at a time. A supervisor
reverses a row with a reason (a new, opposite row; audited); others only read."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from kiosk.clock import format_local
from kiosk.i18n import N_, _
from kiosk.services.platform import ledger
from kiosk.services.platform.text import shorten
from screens.action_form import ActionForm, FormField
from screens.base import DataChanged, KioskScreen, Message
from screens.widgets.key_help import KeyHelp
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import Col, FittedTable

REVERSE_ROLE = "supervisor"


class TeamLedgerScreen(KioskScreen):
    CSS_PATH = "team_ledger.tcss"
    BINDINGS = [
        Binding("x", "reverse", "Reverse points"),
        Binding("f8", "page(1)", "Next page"),
        Binding("f7", "page(-1)", "Previous page"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, team_id: int, team_name: str, campaign_id: int | None) -> None:
        super().__init__()
        self.team_id = team_id
        self.team_name = team_name
        self.campaign_id = campaign_id
        self.first_row = 0
        self.shown: ledger.LedgerPage | None = None
        self.notice = ""  # what the last action did, kept over the reloads it causes

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Vertical(id="ledger-main"):
            yield Static(
                _("Points of {team_name}: every ledger row", team_name=self.team_name),
                id="ledger-title",
                markup=False,
            )
            yield FittedTable(id="ledger-rows", cursor_type="row", zebra_stripes=True)
            yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        table = self.query_one("#ledger-rows", FittedTable)
        table.set_columns(
            [
                Col("row", N_("Row"), 2),
                Col("when", N_("When")),
                Col("points", N_("Points")),
                Col("person", N_("Person"), 1, flex=True, min_width=8),
                Col("reason", N_("Reason"), flex=True, min_width=16),
            ]
        )
        table.focus()
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reverse":
            user = self.kiosk_app.user
            return bool(user and user.has_role(REVERSE_ROLE))  # not offered below supervisor
        return True

    def load(self) -> None:
        self.call_service(
            ledger.team_ledger,
            self.team_id,
            self.campaign_id,
            offset=self.first_row,
            on_done=self.show,
            group="ledger",
            latest_only=True,
        )

    def show(self, page: ledger.LedgerPage) -> None:
        self.shown = page
        table = self.query_one("#ledger-rows", FittedTable)
        row = table.cursor_row
        rows = []
        for entry in page.rows:
            reason = entry.reason
            if entry.reversed_by_id is not None:
                reason = _("[reversed by row {row}] ", row=entry.reversed_by_id) + reason
            cells = (
                Text(str(entry.id)),
                Text(format_local(entry.at, "%m-%d %H:%M")),
                Text(
                    f"{entry.amount:+d}",
                    style="dim strike" if entry.reversed_by_id else "",
                    justify="right",
                ),
                Text(entry.employee_name or "—"),
                Text(reason[:200]),
            )
            rows.append((str(entry.id), cells))
        table.set_rows(rows)
        if page.rows:
            table.move_cursor(row=min(row, len(page.rows) - 1))
        if self.notice:
            self.say(self.notice, "success")
            return
        self.say(
            _(
                "Rows {first}–{last} of {total}. F8 next page, F7 previous.",
                first=page.offset + 1 if page.rows else 0,
                last=page.offset + len(page.rows),
                total=page.total,
            )
        )

    def highlighted(self) -> ledger.LedgerRow | None:
        table = self.query_one("#ledger-rows", DataTable)
        if self.shown is None or table.row_count == 0:
            return None
        return self.shown.rows[table.cursor_row]

    def action_page(self, step: int) -> None:
        self.notice = ""
        page = self.shown
        if page is None:
            return
        offset = page.offset + step * page.limit
        if offset < 0 or offset >= page.total:
            self.say(_("There is no page that way."))
            return
        self.first_row = offset
        self.load()

    def action_reverse(self) -> None:
        self.notice = ""
        entry = self.highlighted()
        user = self.kiosk_app.user
        if entry is None or user is None:
            return
        if entry.reverses_id is not None:
            self.say(
                _("Row {row} is itself a reversal; it cannot be reversed.", row=entry.id),
                "error",
            )
            return
        if entry.reversed_by_id is not None:
            self.say(
                _(
                    "Row {row} was already reversed by row {other}.",
                    row=entry.id,
                    other=entry.reversed_by_id,
                ),
                "error",
            )
            return
        caller = self.caller
        self.app.push_screen(
            ActionForm(
                _(
                    "Reverse row {row}: {amount:+d} to {team_name} ({reason})",
                    row=entry.id,
                    amount=entry.amount,
                    team_name=self.team_name,
                    reason=shorten(entry.reason, 60),
                ),
                [FormField("reason", _("Why are these points reversed?"), max_length=500)],
                lambda values: ledger.reverse_entry(caller, entry.id, values["reason"] or ""),
                submit_label=_("Reverse"),
            ),
            lambda result: self._reversed(result, entry),
        )

    def _reversed(self, result: ledger.AwardResult | None, entry: ledger.LedgerRow) -> None:
        if result is None:
            return
        self.notice = _(
            "Row {row} reversed by the new row {new}: {amount:+d} to {team_name}.",
            row=entry.id,
            new=result.entry_id,
            amount=-entry.amount,
            team_name=self.team_name,
        )
        self.load()

    def on_data_changed(self, _message: DataChanged) -> None:
        self.load()

    def action_back(self) -> None:
        self.dismiss()
