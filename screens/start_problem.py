"""The kiosk cannot work with its database: say what is wrong and what to do, then wait.

Shown when start-up finds a database URL that is not valid, or a database without the
Quality Kiosk tables or with a schema this kiosk cannot use. (A database that does not
answer is not a problem here: the kiosk starts offline.) It checks again by itself, so
once IT has run `kiosk db upgrade` the kiosk carries on without anyone at the keyboard.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from kiosk.errors import DatabaseUnusable, ServiceError
from kiosk.i18n import _
from screens.base import KioskScreen, Message
from screens.widgets.key_help import KeyHelp
from screens.widgets.status_bar import StatusBar

CHECK_AGAIN_SECONDS = 10.0


class StartProblemScreen(KioskScreen):
    """Dismisses with True once the database is usable."""

    CSS_PATH = "start_problem.tcss"
    BINDINGS = [Binding("r", "check_now", "Check again")]

    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Vertical(id="start-problem"):
            yield Static(_("This kiosk cannot use its database"), id="start-problem-title")
            yield Static(self.problem, id="start-problem-text", markup=False)
            yield Static(
                _(
                    "Nothing is lost. Ask the plant's IT to fix this; the kiosk checks again "
                    "every {seconds} s and carries on by itself.",
                    seconds=int(CHECK_AGAIN_SECONDS),
                ),
                id="start-problem-hint",
            )
            yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        self.set_interval(CHECK_AGAIN_SECONDS, self.action_check_now)

    def action_check_now(self) -> None:
        if self.in_flight("check"):
            return
        self.say(_("Checking…"))
        self.call_service(
            _open_current_database,
            self.kiosk_app.settings.database_url,
            on_done=lambda _status: self.dismiss(True),
            on_error=self._still_unusable,
            group="check",
        )

    def _still_unusable(self, error: ServiceError) -> None:
        if isinstance(error, DatabaseUnusable):
            self.problem = error.message
            self.query_one("#start-problem-text", Static).update(error.message)
            self.say("")
        else:
            self.say(error.message, "error")


def _open_current_database(url: str) -> object:
    from kiosk.services.platform import database  # the services may not be loaded yet: kiosk/app.py

    return database.open_current_database(url)
