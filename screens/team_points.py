"""Team points: every team's ledger total; the own team highlighted, in big digits."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Digits, Static

from kiosk.i18n import N_, _
from kiosk.services.plant import campaigns
from kiosk.services.platform import ledger
from screens.base import DataChanged, KioskScreen, Message
from screens.widgets.key_help import KeyHelp
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import Col, FittedTable, fill_rows

REFRESH_SECONDS = 30.0  # the change feed refreshes at once; this is a safety net


class TeamPointsScreen(KioskScreen):
    CSS_PATH = "team_points.tcss"
    BINDINGS = [Binding("escape", "back", "Back"), Binding("r", "refresh", "Refresh")]

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Vertical(id="points-main"):
            yield Static("", id="campaign", markup=False)
            yield Static("", id="own-team", markup=False)
            yield Digits("", id="own-points")
            yield FittedTable(id="team-table", cursor_type="row", zebra_stripes=True)
            yield Message()
        yield KeyHelp()

    rules_text = ""
    campaign_id: int | None = None
    _placed = False  # the cursor was put on the own team's row (once: a refresh leaves it)

    def on_mount(self) -> None:
        self.query_one("#team-table", FittedTable).set_columns(
            [
                Col("rank", N_("Rank"), 1),
                Col("team", N_("Team"), flex=True, min_width=10),
                Col("points", N_("Points")),
            ]
        )
        self.action_refresh()
        self.set_interval(REFRESH_SECONDS, self.action_refresh)

    def action_refresh(self) -> None:
        self.call_service(campaigns.active_campaign, on_done=self.show_campaign, group="campaign")

    def show_campaign(self, campaign: campaigns.CampaignView) -> None:
        self.campaign_id = campaign.id
        self.query_one("#campaign", Static).update(_("Campaign: {name}", name=campaign.name))
        self.rules_text = _(
            "Points come from the ledger: {ontime_points:+d} for a correction verified on "
            "time, {late_points:+d} when the window passes.",
            ontime_points=campaign.ontime_points,
            late_points=campaign.late_points,
        ) + _(" Enter shows a team's ledger rows.")
        self.call_service(ledger.team_totals, campaign.id, on_done=self.show_totals)

    def show_totals(self, totals: list[ledger.TeamTotal]) -> None:
        user = self.kiosk_app.user
        own_team_id = user.team_id if user else None
        rows = []
        for total in sorted(totals, key=lambda total: total.rank):
            own = total.team_id == own_team_id
            style = "bold reverse" if own else ""
            cells = (
                Text(str(total.rank), style=style),
                Text(("▶ " if own else "") + total.team_name, style=style),
                Text(f"{total.points:+d}", style=style, justify="right"),
            )
            rows.append((str(total.team_id), cells))
        table = self.query_one("#team-table", FittedTable)
        fill_rows(table, rows)
        if not self._placed and own_team_id is not None and str(own_team_id) in table.rows:
            # the own team's row in sight: at a plant it may rank 30th of 46
            table.move_cursor(row=table.get_row_index(str(own_team_id)))
            self._placed = True
        own_total = next((t for t in totals if t.team_id == own_team_id), None)
        if own_total is not None:
            self.query_one("#own-team", Static).update(
                Text(
                    _(
                        "{team_name}: rank {rank} of {count}",
                        team_name=own_total.team_name,
                        rank=own_total.rank,
                        count=len(totals),
                    ),
                    style="bold",
                )
            )
            self.query_one("#own-points", Digits).update(f"{own_total.points:+d}")
        self.say(self.rules_text)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """A team's points in detail: its ledger rows (a supervisor may reverse one)."""
        from screens.team_ledger import TeamLedgerScreen

        event.stop()
        team_id = int(str(event.row_key.value))
        name = event.data_table.get_cell(event.row_key, "team").plain.removeprefix("▶ ")
        self.app.push_screen(TeamLedgerScreen(team_id, name, self.campaign_id))

    def on_data_changed(self, _message: DataChanged) -> None:
        self.action_refresh()

    def action_back(self) -> None:
        self.dismiss()
