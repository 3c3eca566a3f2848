"""What every kiosk screen shares: calling a service off the event loop, showing messages."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual.dom import DOMNode
from textual.message import Message as TextualMessage
from textual.screen import ModalScreen, Screen
from textual.widgets import Static
from textual.worker import Worker

from kiosk.errors import DatabaseBusy, DatabaseUnavailable, ServiceError
from kiosk.i18n import N_, Tr, _, current_language, template_of, translate
from kiosk.i18n import language as i18n_language
from screens.i18n_refresh import translate_bindings
from screens.widgets.scan_input import ScanInput

if TYPE_CHECKING:
    from kiosk.app import KioskApp
    from kiosk.caller import Caller
    from kiosk.services.plant import stations

log = logging.getLogger("kiosk.screens")

STILL_WORKING = N_("Still working on it: one press is enough.")

if TYPE_CHECKING:  # what ServiceCalls is mixed into: KioskScreen and KioskModal
    _ScreenBase = Screen[Any]
else:
    _ScreenBase = object


def kiosk_app_of(node: DOMNode) -> KioskApp:
    """The app a widget runs in, typed: for widgets that are not kiosk screens (those have
    `self.kiosk_app`)."""
    return cast("KioskApp", node.app)


class Message(Static):
    """A message area for the person at the kiosk (plain text: never interprets markup)."""

    DEFAULT_CSS = """
    Message {
        height: auto;
        min-height: 1;
        margin: 1 0 0 0;
    }
    Message.error {
        color: $error;
        text-style: bold;
    }
    Message.success {
        color: $success;
        text-style: bold;
    }
    """

    def __init__(self, id: str = "message") -> None:
        super().__init__("", id=id, markup=False)
        self._said: tuple[str, str] = ("", "info")

    def say(self, text: str, kind: str = "info") -> None:
        self._said = (text, kind)
        self.set_classes(kind)
        self.update(Text(text))

    def retranslate(self, before: str) -> None:
        """After a language switch: say the same again, if it came from the catalog."""
        text, kind = self._said
        if isinstance(text, Tr):
            self.say(text.again(), kind)
        elif (
            text
            and (template := template_of(text)) is not None
            and translate(template, before) == text
        ):
            self.say(_(template), kind)


class DataChanged(TextualMessage):
    """Something was written on some terminal: screens that show live data refresh.

    `topics` says what kinds of data changed (services.live.TOPICS: "points",
    "defects", ...; "other": unknown, so everything); a screen may re-read only what
    shows those (the board does)."""

    def __init__(self, topics: frozenset[str] | None = None) -> None:
        super().__init__()
        self.topics: frozenset[str] = topics if topics else frozenset({"other"})

    def touches(self, wanted: frozenset[str]) -> bool:
        """Did data of any of these kinds (or of an unknown kind) change?"""
        return "other" in self.topics or not self.topics.isdisjoint(wanted)


class ServiceCalls(_ScreenBase):
    """For screens: database work runs in thread workers, one service call each."""

    _generations: dict[str, int]
    _in_flight: dict[str, int]
    _busy_groups: set[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)  # key descriptions, this language

    def carry_message(self, message: str | None) -> None:
        """A success message waits for the reload that shows it, even when a newer reload
        (another terminal's write, arriving through the change feed) replaces that one."""
        if message:
            self.__dict__["_carried_message"] = message

    def carried_message(self, message: str | None = None) -> str | None:
        """The message to show with the data just loaded (once)."""
        carried = self.__dict__.pop("_carried_message", None)
        return message or carried

    def language_changed(self) -> None:
        """After a language switch (Ctrl+L): redo texts made from data. By default a screen
        that can refresh itself (action_refresh) reloads, in the new language."""
        refresh = getattr(self, "action_refresh", None)
        if callable(refresh):
            refresh()

    def in_flight(self, group: str) -> bool:
        """A call of this group has started and not yet delivered its result."""
        return getattr(self, "_in_flight", {}).get(group, 0) > 0

    def call_service(
        self,
        function: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], object],
        on_error: Callable[[ServiceError], object] | None = None,
        group: str = "service",
        latest_only: bool = False,
        busy: str | None = None,
        **kwargs: Any,
    ) -> Worker[None] | None:
        """Run `function(*args, **kwargs)` in a thread; hand its result to `on_done`.

        A result (or an error) that arrives after this screen was dismissed is dropped:
        `on_done` and `on_error` only ever run on a screen that is still up.

        With `latest_only`, a result is dropped when a newer call in the same
        group has started since (two quick scans: the last one wins, whichever
        worker finishes first).

        With `busy` (what to say meanwhile, e.g. `_("Saving…")`), the call is a write a
        person started: while it is in flight the screen says so and carries the `-busy`
        class, and another call of the same group is refused with a message instead of
        writing twice (a double press writes once). Returns None when refused.
        """
        if busy is not None and self.in_flight(group):
            self.say(_(STILL_WORKING))
            return None
        failed = on_error or self.show_error
        if not hasattr(self, "_generations"):
            self._generations = {}
        generation = self._generations[group] = self._generations.get(group, 0) + 1
        if not hasattr(self, "_in_flight"):
            self._in_flight = {}
        self._in_flight[group] = self._in_flight.get(group, 0) + 1
        if busy is not None:
            self._set_busy(group, True)
            self.say(busy)
        language = current_language()  # this terminal's: the worker thread answers in it
        name = getattr(function, "__name__", function)
        app = self.kiosk_app  # kept: a screen closed meanwhile no longer knows its app

        def deliver(callback: Callable[[Any], object], value: Any, answered: bool | None) -> None:
            self._in_flight[group] -= 1
            if busy is not None and not self.in_flight(group):
                self._set_busy(group, False)
            if isinstance(value, DatabaseUnavailable):  # busy: it answered, with a lock
                answered = isinstance(value, DatabaseBusy)
            # the call reached the database, or could not (while the kiosk cannot use the
            # database at all, the start-up problem's "not usable" stands)
            if answered is not None and getattr(app, "start_problem", None) is None:
                app.database_state = N_("online") if answered else N_("unreachable")
            if latest_only and self._generations.get(group) != generation:
                return
            if not self.is_attached or self not in app.screen_stack:
                log.debug("%s answered after its screen %s was closed: dropped", name, self)
                return
            callback(value)

        def job() -> None:
            # the app loads the services and opens the database after its first screen is
            # up (kiosk/app.py): a call made in that moment waits for it here
            wait_for_services = getattr(app, "wait_for_services", None)
            if wait_for_services is not None and not wait_for_services():
                return  # the kiosk closed before it got that far
            # the service answers in this terminal's language; the result is handed over
            # outside the block, so nothing on the event loop inherits the override
            from kiosk.services.platform import uow  # loaded by now (kiosk/app.py)

            uow.clear_contact()
            with i18n_language(language):
                callback, value = call(uow)
            app.call_from_thread(deliver, callback, value, uow.last_contact())

        def call(uow: Any) -> tuple[Callable[[Any], object], Any]:
            try:
                # a deadlock that rolled the call's only write back: run it again
                return on_done, uow.run_again_if_rolled_back(function, *args, **kwargs)
            except ServiceError as exc:
                return failed, exc
            except Exception as exc:  # an unexpected fault must not kill the kiosk
                log.exception("service call %s failed", name)
                fault = ServiceError(
                    _(
                        "Something went wrong ({error}). Nothing you entered is lost; try "
                        "again or call the quality office.",
                        error=type(exc).__name__,
                    )
                )
                return failed, fault

        return self.run_worker(job, thread=True, group=group, exit_on_error=False)

    def _set_busy(self, group: str, busy: bool) -> None:
        """The screen carries `-busy` while any write a person started is in flight."""
        if not hasattr(self, "_busy_groups"):
            self._busy_groups = set()
        if busy:
            self._busy_groups.add(group)
        else:
            self._busy_groups.discard(group)
        self.set_class(bool(self._busy_groups), "-busy")

    @property
    def kiosk_app(self) -> KioskApp:
        """The app, typed: screens reach its user, clock and settings through this."""
        return cast("KioskApp", self.app)

    @property
    def caller(self) -> Caller:
        """Who is acting, when and where: the first argument of every service that acts."""
        from kiosk.caller import Caller

        app = self.kiosk_app
        return Caller(
            actor=app.user,
            clock=app.clock,
            terminal=app.settings.terminal_id,
            language=current_language(),
        )

    def show_error(self, error: ServiceError) -> None:
        self.say(error.message, "error")

    def say(self, text: str, kind: str = "info") -> None:
        self.query_one("#message", Message).say(text, kind)

    def refuse_key(self, what: str, minimum: str, action: str) -> bool:
        """True (and said at once, and put in the audit trail) when the one signed in is below
        `minimum` for a key: nothing is opened for them to fill in and be refused on submit."""
        from kiosk.services.platform import auth

        user = self.kiosk_app.user
        if user is not None and user.has_role(minimum):
            return False
        message = _(
            "{what}: only a {role} or above may use this key.",
            what=what,
            role=auth.ROLE_TITLES[minimum].lower(),
        )
        self.say_refused(message, action, f"needs {auth.ROLE_TITLES.english(minimum)}")
        return True

    def say_refused(self, message: str, action: str, reason: str) -> None:
        """Say why a key may not be used here, and put the attempt in the audit trail."""
        from kiosk.services.platform import auth

        self.say(message, "error")
        user = self.kiosk_app.user
        if user is not None:
            self.call_service(
                auth.record_refusal,
                self.caller,
                "key_refused",
                action,
                reason,
                on_done=lambda _none: None,
                on_error=lambda _error: None,  # the message is said; an outage loses only this
            )


class KioskScreen(ServiceCalls, Screen):
    """A full kiosk screen."""


class KioskModal(ServiceCalls, ModalScreen):
    """A dialog over a kiosk screen."""


class ScanningScreen(KioskScreen):
    """A screen with a ScanInput: every scan is parsed off the event loop, and a newer
    scan's result wins over an older one that finishes later. Subclasses say what a
    parsed scan means on their screen in `_scan_parsed`."""

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        event.stop()
        self.call_service(
            _interpret_scan,
            self.caller,
            event.text,
            on_done=self._scan_parsed,
            group="scan",
            latest_only=True,
        )

    def _scan_parsed(self, result: stations.ScanResult) -> None:
        raise NotImplementedError


def _interpret_scan(caller: Caller, text: str) -> stations.ScanResult:
    from kiosk.services.plant import stations  # loaded on the worker thread: see kiosk/app.py

    return stations.interpret_scan(caller, text)
