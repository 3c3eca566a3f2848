"""The Quality Red-Black List screen: public on boards, reachable without signing in."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from kiosk.clock import format_local
from kiosk.i18n import _, ngettext
from kiosk.services.reports import reports
from screens.base import DataChanged, KioskScreen, Message
from screens.widgets.key_help import KeyHelp
from screens.widgets.red_black_panel import RedBlackPanel
from screens.widgets.status_bar import StatusBar

REFRESH_SECONDS = 30.0  # the change feed refreshes at once; this is a safety net


class RedBlackScreen(KioskScreen):
    CSS_PATH = "red_black.tcss"
    BINDINGS = [Binding("escape", "back", "Back"), Binding("r", "refresh", "Refresh")]

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(_("QUALITY RED-BLACK LIST"), id="board-title")
        yield RedBlackPanel(id="board")
        yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        self.action_refresh()
        self.set_interval(REFRESH_SECONDS, self.action_refresh)

    def action_refresh(self) -> None:
        self.call_service(
            reports.red_black,
            self.caller,
            on_done=self.show,
            group="board",
            latest_only=True,
        )

    def show(self, board: reports.RedBlackList) -> None:
        self.query_one(RedBlackPanel).show(board)
        self.say(
            ngettext(
                "Updated {time}. {count} overdue defect.",
                "Updated {time}. {count} overdue defects.",
                board.overdue_total,
                time=format_local(board.generated_at, "%H:%M:%S"),
            )
        )

    def on_data_changed(self, _message: DataChanged) -> None:
        self.action_refresh()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.dismiss()
