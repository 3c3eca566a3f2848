"""KioskApp: the terminal application (screens, session, idle sign-out)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from rich.cells import cell_len
from textual import events
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from kiosk.clock import Clock, SystemClock, format_local
from kiosk.config import Settings
from kiosk.i18n import LANGUAGES, N_, _, normalize, set_process_language
from kiosk.services import deadlines
from kiosk.services.auth import EmployeeView
from kiosk.services.deadlines import SWEEP_INTERVAL_SECONDS
from kiosk.services.errors import ServiceError
from kiosk.services.live import ChangeFeed
from kiosk.services.outbox import Outbox
from kiosk.services.stations import StationView

log = logging.getLogger("kiosk.app")
FORWARD_SECONDS = 5.0


class KioskApp(App):
    TITLE = N_("Quality Kiosk")
    SUB_TITLE = N_("Strive for Zero Defects")
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
        # every screen, every moment: the person reads English or Chinese (issue 7)
        Binding("ctrl+l", "switch_language", "中文/English", priority=True),
    ]

    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        *,
        board_only: bool = False,
        start_screen: Callable[[], Screen] | None = None,  # e.g. the contest scoreboard
        preset_badge: str | None = None,  # `kiosk ssh-shell`: the SSH user's badge
    ) -> None:
        # read by App.__init__: a locked kiosk has no command palette
        self.ENABLE_COMMAND_PALETTE = not settings.locked
        super().__init__()
        self.board_only = board_only
        self.start_screen = start_screen
        self.preset_badge = preset_badge  # the sign-in screen starts with it (PIN next)
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.user: EmployeeView | None = None
        self.station: StationView | None = None
        self._last_activity = self.clock.now()
        self.database_state = N_("online")  # or N_("unreachable"): screens/base.py
        self.change_feed: ChangeFeed | None = None
        self.outbox = Outbox(Path(settings.outbox_path))
        self.outbox_waiting = self.outbox.waiting()
        # the language of this terminal: texts on screen and the services' messages
        self.language = normalize(settings.language)
        self._language_before = set_process_language(self.language)
        self._show_language()

    # -- session -----------------------------------------------------------------

    def on_mount(self) -> None:
        from screens.themes import THEMES, theme_name

        for theme in THEMES.values():
            self.register_theme(theme)
        self.theme = theme_name(self.settings.theme, board=self.board_only)
        if self.start_screen is not None:
            self.push_screen(self.start_screen())
        elif self.board_only:
            from screens.board import BoardScreen  # charts and KPIs: only boards load them

            self.push_screen(BoardScreen(rotate=True))
        else:
            from screens.signin import SignInScreen

            self.push_screen(SignInScreen())
        self.set_interval(1.0, self.check_idle_sign_out)
        self.sweep_deadlines()
        self.set_interval(SWEEP_INTERVAL_SECONDS, self.sweep_deadlines)
        self.set_interval(FORWARD_SECONDS, self.forward_outbox)
        self.change_feed = ChangeFeed(self.settings.database_url, self._heard_change).start()

    # -- language: English or Simplified Chinese, switched with Ctrl+L at any moment -----

    def action_switch_language(self) -> None:
        languages = list(LANGUAGES)
        self.set_language(languages[(languages.index(self.language) + 1) % len(languages)])

    def set_language(self, language: str) -> None:
        """Show every screen in `language`; nothing typed, no place and no person is lost."""
        from screens.i18n_refresh import retranslate_screen

        before = self.language
        self.language = normalize(language)
        set_process_language(self.language)
        self._show_language()
        for screen in self.screen_stack:
            retranslate_screen(screen, before)
        self.refresh_bindings()

    def _show_language(self) -> None:
        from screens.i18n_refresh import translate_bindings

        self.title = _(self.TITLE)
        self.sub_title = _(self.SUB_TITLE)
        translate_bindings(self)

    def on_unmount(self) -> None:
        set_process_language(self._language_before)  # a test's next app starts clean
        if self.change_feed is not None:
            self.change_feed.stop(timeout=0.2)  # a daemon thread: it ends on its own soon

    # -- live updates: a write on any terminal refreshes what is on screen ------------

    def _heard_change(self) -> None:
        """Called on the feed's thread after writes by anyone."""
        with contextlib.suppress(RuntimeError):  # the app is not running (any more)
            self.call_from_thread(self._data_changed)

    def _data_changed(self) -> None:
        from screens.base import DataChanged

        self.screen.post_message(DataChanged())

    # -- the deadline sweep (every kiosk runs it; the ledger writes each -2 once) ------

    def sweep_deadlines(self) -> None:
        clock = self.clock

        def job() -> None:
            try:
                deadlines.sweep(clock=clock)
            except ServiceError:
                pass  # the database is away: the next sweep will catch up
            except Exception:  # a sweep must never take the kiosk down
                log.exception("deadline sweep failed")

        self.run_worker(job, thread=True, group="sweep", exclusive=False, exit_on_error=False)

    def signed_in(self, employee: EmployeeView) -> None:
        from screens.station import StationScreen

        self.user = employee
        self.station = None
        self.note_activity()
        self.push_screen(StationScreen())

    def sign_out(self, reason: str = "") -> None:
        from screens.signin import SignInScreen

        self.user = None
        self.station = None
        while len(self.screen_stack) > 1 and not isinstance(self.screen, SignInScreen):
            self.pop_screen()
        if isinstance(self.screen, SignInScreen):
            self.screen.reset(reason or _("Signed out. Scan your badge to sign in."))

    # -- offline outbox: what was kept while the server was away goes out when it is back --

    def forward_outbox(self) -> None:
        if not self.outbox_waiting:
            return

        def job() -> None:
            try:
                result = self.outbox.forward()
            except Exception:  # the forwarder must never take the kiosk down
                log.exception("outbox forwarding failed")
                return
            self.call_from_thread(self.outbox_changed, result.waiting)

        self.run_worker(job, thread=True, group="outbox", exclusive=True, exit_on_error=False)

    def outbox_changed(self, waiting: int) -> None:
        self.outbox_waiting = waiting
        if waiting:
            self.database_state = "offline"

    # -- locked kiosk mode ------------------------------------------------------------

    async def action_quit(self) -> None:
        """A locked kiosk quits only for a supervisor's badge and PIN."""
        from screens.unlock import UnlockScreen

        if not self.settings.locked:
            self.exit()
            return
        if isinstance(self.screen, UnlockScreen):
            return
        self.push_screen(UnlockScreen(), lambda unlocked: self.exit() if unlocked else None)

    # -- idle sign-out -----------------------------------------------------------

    def note_activity(self) -> None:
        self._last_activity = self.clock.now()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown | events.Paste):
            self.note_activity()
        await super().on_event(event)

    def idle_seconds(self) -> float:
        return (self.clock.now() - self._last_activity).total_seconds()

    def check_idle_sign_out(self) -> None:
        limit = self.settings.idle_timeout_seconds
        if self.user is not None and self.idle_seconds() >= limit:
            self.sign_out(_("Signed out after {limit} s without activity.", limit=limit))

    # -- status bar --------------------------------------------------------------

    def _database_status(self) -> str:
        if self.outbox_waiting:
            return _("offline — {count} waiting", count=self.outbox_waiting)
        return _("DB {state}", state=_(self.database_state))

    def status_line(self, width: int = 0) -> str:
        """Terminal, person, station, database state and clock; shorter when `width` is tight."""
        clock = format_local(self.clock.now(), "%Y-%m-%d %H:%M")
        station = _("Station {code}", code=self.station.code) if self.station else ""
        person = _("not signed in")
        if self.user:
            person = f"{self.user.name} · {self.user.role_title} · {self.user.team_name}"
        parts = [
            _("Terminal {terminal_id}", terminal_id=self.settings.terminal_id),
            person,
            station,
            self._database_status(),
            clock,
        ]
        line = "  │  ".join(part for part in parts if part)
        if width and cell_len(line) > width:  # Chinese characters take two cells
            person = f"{self.user.name} ({self.user.role_title})" if self.user else person
            station = self.station.code if self.station else ""
            parts = [
                self.settings.terminal_id,
                person,
                station,
                self._database_status(),
                format_local(self.clock.now(), "%H:%M"),
            ]
            line = " │ ".join(part for part in parts if part)
        return line
