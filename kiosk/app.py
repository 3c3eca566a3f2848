"""KioskApp: the terminal application (screens, session, idle sign-out).

The first screen is on the terminal before the rules and the database layer are
loaded: this module and the first screen import no service that touches the database.
A start-up thread then loads them and opens the database, and every service call of a
screen waits for it (screens/base.py), so a badge scanned in the first moment is
handled, only a little later. See `start_services`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from textual import events
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from kiosk.clock import Clock, SystemClock, format_local
from kiosk.config import Settings
from kiosk.errors import DatabaseUnavailable, DatabaseUnusable, ServiceError
from kiosk.i18n import LANGUAGES, N_, _, normalize, set_process_language

if TYPE_CHECKING:
    from kiosk.services.plant.stations import StationView
    from kiosk.services.platform.auth import EmployeeView
    from kiosk.services.platform.live import ChangeFeed
    from kiosk.services.platform.outbox import Outbox

log = logging.getLogger("kiosk.app")
FORWARD_SECONDS = 5.0
SWEEP_INTERVAL_SECONDS = 60.0  # the deadline sweep; each -2 is written once however often
START_WAIT_SECONDS = 60.0  # how long a service call waits for the start-up thread at most


class KioskApp(App[None]):
    TITLE = N_("Quality Kiosk")
    SUB_TITLE = N_("Strive for Zero Defects")
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
        # every screen, every moment: the person reads English or Chinese (issue 7)
        Binding("ctrl+l", "switch_language", "中文/English", priority=True),
        # F10 signs out from any screen or form (what was typed on a report is kept); shown
        # in every key help while someone is signed in
        Binding("f10", "sign_out", "Sign out", priority=True),
    ]

    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        *,
        board_only: bool = False,
        start_screen: Callable[[], Screen[Any]] | None = None,  # e.g. the contest scoreboard
        preset_badge: str | None = None,  # `kiosk ssh-shell`: the SSH user's badge
    ) -> None:
        # read by App.__init__: a locked kiosk has no command palette
        # Textual declares it a ClassVar, yet App.__init__ reads it from the instance
        self.ENABLE_COMMAND_PALETTE = not settings.locked  # type: ignore[misc]
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
        self._outbox: Outbox | None = None
        self._outbox_lock = threading.Lock()
        self.outbox_waiting = 0  # counted by the start-up thread
        self.outbox_pending = False  # anything to forward (offline sign-ins' audit rows too)
        # set when the start-up thread has loaded the services and opened the database
        self.services_started = threading.Event()
        self.start_problem: str | None = None  # e.g. the schema is too old: see StartProblemScreen
        # the language of this terminal: texts on screen and the services' messages
        self.language = normalize(settings.language)
        self._language_before = set_process_language(self.language)
        self._show_language()
        # the theme is chosen before the app runs: the styles are worked out once, not
        # once for the default theme and again for this one
        from screens.themes import THEMES, theme_name

        for theme in THEMES.values():
            self.register_theme(theme)
        self.theme = theme_name(settings.theme, board=board_only)

    # -- session -----------------------------------------------------------------

    async def on_mount(self) -> None:
        first: Screen[Any]
        if self.start_screen is not None:
            first = self.start_screen()
        elif self.board_only:
            from screens.board import BoardScreen  # charts and KPIs: only boards load them

            first = BoardScreen(rotate=True)
        else:
            from screens.signin import SignInScreen

            first = SignInScreen()
        self.set_interval(1.0, self.check_idle_sign_out)
        # the rules and the database load in a thread once the first screen is mounted and
        # drawn: started earlier, that thread's imports took the interpreter from the
        # screen's compose and first paint (one core at a time), and the screen came later
        await self.push_screen(first)
        self.call_after_refresh(self.start_services)

    # -- start-up: the first screen first, then the rules and the database ----------------

    def start_services(self) -> None:
        """Load the services and open the database in a thread (the first screen is up)."""
        self.run_worker(self._start_services, thread=True, group="start-up", exit_on_error=False)

    def _start_services(self) -> None:
        try:
            self._open_database()
        finally:
            self.services_started.set()  # service calls waiting for this go ahead now

    def _open_database(self) -> None:
        import os

        from kiosk.services.platform import database
        from models import db

        # named on the server, so a plant sees which terminal holds which connections
        db.set_application_name(f"quality-kiosk {self.settings.terminal_id} {os.getpid()}")

        problem: str | None = None
        try:
            database.open_current_database(self.settings.database_url)
        except DatabaseUnusable as exc:
            problem = exc.message  # a wrong URL, or a schema this kiosk cannot use
        except DatabaseUnavailable:
            # start anyway: people seen before sign in from the kept roster and what they
            # enter waits in the outbox (the status bar says so)
            self.database_state = N_("unreachable")
        except Exception as exc:  # the kiosk must come up and say what is wrong
            log.exception("start-up failed")
            problem = _("The kiosk could not start: {error}.", error=type(exc).__name__)
        if problem is None:
            try:
                waiting = self.outbox.waiting()
                self.outbox_pending = self.outbox.pending() > 0
            except Exception:
                log.exception("the local outbox cannot be read")
                waiting = 0
        with contextlib.suppress(RuntimeError):  # the app was closed meanwhile
            if problem is None:
                self.call_from_thread(self._services_started, waiting)
            else:
                self.call_from_thread(self._start_failed, problem)

    def _services_started(self, waiting: int) -> None:
        from kiosk.services.platform.live import ChangeFeed

        if self.database_state == "not usable":  # opened on a retry: usable now
            self.database_state = N_("online")
        self.outbox_changed(waiting)
        self.sweep_deadlines()
        self.set_interval(SWEEP_INTERVAL_SECONDS, self.sweep_deadlines)
        self.set_interval(FORWARD_SECONDS, self.forward_outbox)
        self.change_feed = ChangeFeed(self.settings.database_url, self._heard_change).start()

    def _start_failed(self, problem: str) -> None:
        from screens.start_problem import StartProblemScreen

        self.start_problem = problem
        self.database_state = N_("not usable")  # the status bar must not say "online"
        self.push_screen(StartProblemScreen(problem), lambda _retry: self._retry_start())

    def _retry_start(self) -> None:
        self.start_problem = None
        self.services_started.clear()
        self.start_services()

    def wait_for_services(self) -> bool:
        """Block a worker thread until start-up is done; False if the app closed first.

        After START_WAIT_SECONDS the call goes ahead anyway and says what is wrong.
        """
        waited = 0.0
        while not self.services_started.wait(0.05):
            if not self.is_running:
                return False
            waited += 0.05
            if waited >= START_WAIT_SECONDS:
                break
        return True

    @property
    def outbox(self) -> Outbox:
        """This kiosk's local outbox (opened on first use, from any thread)."""
        with self._outbox_lock:
            if self._outbox is None:
                from kiosk.services.platform.outbox import Outbox

                self._outbox = Outbox(
                    Path(self.settings.outbox_path), role_days=self.settings.offline_role_days
                )
            return self._outbox

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

    def _heard_change(self, topics: frozenset[str]) -> None:
        """Called on the feed's thread after a burst of writes by anyone: what kinds of
        data they changed (services.live.TOPICS)."""
        with contextlib.suppress(RuntimeError):  # the app is not running (any more)
            self.call_from_thread(self._data_changed, topics)

    def _data_changed(self, topics: frozenset[str] | None = None) -> None:
        from textual.app import ScreenStackError

        from screens.base import DataChanged

        try:
            screen = self.screen
        except ScreenStackError:  # quitting: the screens are gone, nothing to refresh
            return
        screen.post_message(DataChanged(topics))

    # -- the deadline sweep (every kiosk runs it; the ledger writes each -2 once) ------

    def sweep_deadlines(self) -> None:
        clock = self.clock

        def job() -> None:
            from kiosk.caller import Caller
            from kiosk.services.defects import deadlines

            try:
                deadlines.sweep(Caller.system(clock))
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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "sign_out":  # F10: only someone signed in (else the key is free)
            return self.user is not None
        return True

    def action_sign_out(self) -> None:
        self.sign_out()

    def sign_out(self, reason: str = "") -> None:
        from screens.signin import SignInScreen

        for screen in self.screen_stack:  # a half-typed report waits for its author
            keep_draft = getattr(screen, "keep_draft", None)
            if keep_draft is not None:
                keep_draft()
        self.user = None
        self.station = None
        while len(self.screen_stack) > 1 and not isinstance(self.screen, SignInScreen):
            self.pop_screen()
        if isinstance(self.screen, SignInScreen):
            self.screen.reset(reason or _("Signed out. Scan your badge to sign in."))

    # -- offline outbox: what was kept while the server was away goes out when it is back --

    def forward_outbox(self) -> None:
        if not (self.outbox_waiting or self.outbox_pending):
            return

        def job() -> None:
            try:
                result = self.outbox.forward()
            except Exception:  # the forwarder must never take the kiosk down
                log.exception("outbox forwarding failed")
                return
            self.outbox_pending = result.pending > 0
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
        station: str = _("Station {code}", code=self.station.code) if self.station else ""
        person: str = _("not signed in")
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
