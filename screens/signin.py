"""Sign-in: scan or type a badge; leaders then give their PIN."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.timer import Timer
from textual.widgets import Input, Static

from kiosk.errors import ServiceError
from kiosk.i18n import _
from screens.base import Message, ScanningScreen
from screens.widgets.key_help import KeyHelp
from screens.widgets.scan_input import ScanInput
from screens.widgets.status_bar import StatusBar

if TYPE_CHECKING:  # the first screen loads no service before it is up: see kiosk/app.py
    from kiosk.caller import Caller
    from kiosk.services.plant import demo, stations
    from kiosk.services.platform import auth, enrolment


class SignInScreen(ScanningScreen):
    CSS_PATH = "signin.tcss"
    BINDINGS = [
        Binding("escape", "cancel_pin", "Back to badge", show=False),
        # F10 (sign out, nobody signed in yet): a half sign-in goes, as with Esc
        Binding("f10", "cancel_pin", "Back to badge", show=False, priority=True),
        Binding("f1", "toggle_help", "Demo codes"),
        Binding("f7", "red_black", "Red-Black list"),
        Binding("f9", "scoreboard", "Contest scoreboard"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._pending_badge: str | None = None
        # after the badge: "pin" (a leader's PIN), or the enrolment steps "code" -> "new"
        # -> "repeat" (kiosk/services/platform/enrolment.py); the code and the first PIN are kept
        # here only until the PIN is set or the person goes back
        self._step = "pin"
        self._code = ""
        self._new_pin = ""
        self._enrolling: enrolment.EnrolmentStart | None = None
        self._abandon: Timer | None = None  # a half-done PIN or enrolment: back to the badge

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Center(), Vertical(id="signin-box"):
            yield Static(_("Quality Kiosk"), id="title")
            yield Static(_("Strive for Zero Defects · Fully Build Reliability"), id="slogan")
            yield Static("", id="signing-in", markup=False)  # the badge, once it is scanned
            yield Static(_("Scan your badge"), id="prompt", markup=False)
            yield ScanInput(_("badge code, e.g. E1002"), id="badge")
            yield Input(placeholder=_("PIN"), password=True, id="pin", max_length=16)
            yield Message()
            yield Static("", id="hints", markup=False)
        yield KeyHelp()

    def on_mount(self) -> None:
        self.query_one("#pin", Input).display = False
        self.query_one("#badge", ScanInput).focus()
        self.call_service(_demo_hints, on_done=self.show_hints, on_error=lambda _e: None)
        preset = getattr(self.app, "preset_badge", None)  # `kiosk ssh-shell`: a mapped user
        if preset:
            self._sign_in(preset, None)  # a leader's PIN prompt follows

    def language_changed(self) -> None:
        """Ctrl+L: the demo hints in the new language (the rest follows the catalog)."""
        self.call_service(_demo_hints, on_done=self.show_hints, on_error=lambda _e: None)

    def show_hints(self, hints: list[demo.DemoHint]) -> None:
        box = self.query_one("#hints", Static)
        self._has_hints = bool(hints)
        self.refresh_bindings()  # F1 "Demo codes" only on the demo plant
        if not hints:
            box.display = False
            return
        text = Text(_("Demo plant: try these codes (type them and press Enter)\n"), style="bold")
        width = max(len(hint.code) for hint in hints) + 2
        for hint in hints:
            text.append(f"  {hint.code:<{width}}", style="bold cyan")
            text.append(f" {hint.label}\n")
        text.rstrip()
        box.update(text)

    def action_red_black(self) -> None:
        from screens.red_black import RedBlackScreen

        self.app.push_screen(RedBlackScreen())

    def action_scoreboard(self) -> None:
        from screens.scoreboard import ScoreboardScreen

        self.app.push_screen(ScoreboardScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_help":  # a real plant has no demo codes to show
            return getattr(self, "_has_hints", False)
        return True

    def action_toggle_help(self) -> None:
        box = self.query_one("#hints", Static)
        box.display = not box.display

    # -- badge ------------------------------------------------------------------

    def _scan_parsed(self, result: stations.ScanResult) -> None:
        from kiosk.services.plant import stations

        if isinstance(result, stations.ScanError):
            self.say(result.message, "error")
            return
        if isinstance(result, stations.StationScan):
            self.say(
                _("That is the label of station {code}. Scan your badge first.", code=result.code),
                "error",
            )
            return
        self._sign_in(result.code, None)

    def _sign_in(self, badge: str, pin: str | None) -> None:
        self.say(_("Checking…"))
        self.call_service(
            _sign_in_or_kept,
            self.caller,
            self.app,
            badge,
            pin,
            on_done=self._welcome,
            on_error=lambda error: self._refused(badge, error),
            group="scan",
            latest_only=True,
        )

    def _refused(self, badge: str, error: ServiceError) -> None:
        from kiosk.services.platform.auth import EnrolmentRequired, PinRequired

        if isinstance(error, PinRequired):
            self._ask(badge, "pin", error.message, _("PIN"))
            self.say(_("Type your PIN and press Enter (Esc to go back)."))
            return
        if isinstance(error, EnrolmentRequired):
            self._ask(badge, "code", error.message, _("enrolment code"))
            self.say(
                _("Type the enrolment code a supervisor gave you and press Enter (Esc to go back).")
            )
            return
        self.reset(error.message, "error")

    def _ask(self, badge: str, step: str, prompt: str, placeholder: str) -> None:
        """Ask for the next secret after the badge (always a password input)."""
        self._pending_badge = badge
        self._step = step
        # whose PIN this is, so no one types theirs under another's badge
        self.query_one("#signing-in", Static).update(_("Badge {badge}", badge=badge))
        self.query_one("#signin-box").add_class("-pending")  # shows it (signin.tcss)
        self.query_one("#prompt", Static).update(prompt)
        secret = self.query_one("#pin", Input)
        secret.placeholder = placeholder
        secret.display = True
        secret.value = ""
        secret.focus()
        # someone who walks away after typing an enrolment code must not leave the next
        # person a PIN prompt in their name
        if self._abandon is not None:
            self._abandon.stop()
        self._abandon = self.set_timer(
            self.kiosk_app.settings.idle_timeout_seconds,
            lambda: self.reset(_("Nothing typed for a while: scan your badge again.")),
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "pin" or self._pending_badge is None:
            return
        event.stop()
        typed = event.value
        event.input.value = ""
        badge = self._pending_badge
        if self._step == "pin":
            self._sign_in(badge, typed)
        elif self._step == "code":
            self._code = typed
            self.say(_("Checking…"))
            self.call_service(
                _check_code,
                self.caller,
                badge,
                typed,
                on_done=self._choose_pin,
                on_error=lambda error: self.reset(error.message, "error"),
                group="scan",
                latest_only=True,
            )
        elif self._step == "new" and self._enrolling is not None:
            self._new_pin = typed
            self.call_service(
                _check_new_pin,
                typed,
                self._enrolling.role,
                self._enrolling.badge_code,
                on_done=lambda _ok: self._repeat_pin(),
                on_error=self._pin_refused,
                group="scan",
                latest_only=True,
            )
        elif self._step == "repeat":
            if typed != self._new_pin:
                self._choose_pin(
                    self._enrolling, _("The two PINs differ. Choose your new PIN again.")
                )
                return
            self.say(_("Checking…"))
            self.call_service(
                _enrol_and_keep,
                self.caller,
                self.app,
                badge,
                self._code,
                self._new_pin,
                typed,
                on_done=self._enrolled,
                on_error=self._pin_refused,
                group="scan",
                latest_only=True,
            )

    # -- enrolment: code -> new PIN -> the same again -> signed in ----------------------

    def _choose_pin(
        self, start: enrolment.EnrolmentStart | None, problem: str | None = None
    ) -> None:
        if start is None or self._pending_badge is None:
            self.reset("")
            return
        self._enrolling = start
        self._new_pin = ""
        self._ask(
            self._pending_badge,
            "new",
            _(
                "{name}: choose your PIN ({count} digits or more).",
                name=start.name,
                count=start.min_digits,
            ),
            _("new PIN"),
        )
        if problem:
            self.say(problem, "error")
        else:
            self.say(
                _(
                    "Digits only; not all the same digit, not digits in a row (1234), not "
                    "your badge's digits. Press Enter."
                )
            )

    def _repeat_pin(self) -> None:
        if self._enrolling is None or self._pending_badge is None:
            return
        self._ask(
            self._pending_badge,
            "repeat",
            _("{name}: type the same PIN again.", name=self._enrolling.name),
            _("new PIN again"),
        )
        self.say(_("Type the same PIN again and press Enter (Esc to go back)."))

    def _pin_refused(self, error: ServiceError) -> None:
        from kiosk.errors import ValidationFailed

        if isinstance(error, ValidationFailed) and self._enrolling is not None:
            self._choose_pin(self._enrolling, error.message)  # the code still holds: try again
            return
        self.reset(error.message, "error")

    def _enrolled(self, employee: auth.EmployeeView) -> None:
        self._welcome(employee)

    def _welcome(self, employee: auth.EmployeeView) -> None:
        self.reset("")
        self.kiosk_app.signed_in(employee)

    def action_cancel_pin(self) -> None:
        self.reset("")

    def reset(self, message: str, kind: str = "info") -> None:
        if self._abandon is not None:
            self._abandon.stop()
            self._abandon = None
        self._pending_badge = None
        self._step = "pin"
        self._code = self._new_pin = ""
        self._enrolling = None
        self.query_one("#prompt", Static).update(_("Scan your badge"))
        self.query_one("#signin-box").remove_class("-pending")
        pin = self.query_one("#pin", Input)
        pin.value = ""
        pin.placeholder = _("PIN")
        pin.display = False
        self.query_one("#badge", ScanInput).focus()
        self.say(message, kind)


# -- run on the worker thread: the services load there (kiosk/app.py) ------------------------


def _demo_hints() -> list[demo.DemoHint]:
    from kiosk.services.plant import demo

    return demo.demo_hints()


def _sign_in_or_kept(caller: Caller, app, badge: str, pin: str | None) -> auth.EmployeeView:
    from kiosk.services.platform import outbox, ssh_sessions

    try:
        ssh_user = getattr(app, "ssh_user", None)  # `kiosk ssh-shell`: its own badge rule
        if ssh_user is not None:
            return ssh_sessions.ssh_sign_in(
                caller, app.outbox, ssh_user, getattr(app, "ssh_badge", None), badge, pin
            )
        return outbox.sign_in_or_kept(caller, app.outbox, badge, pin)
    finally:
        _count_waiting(app)


def _count_waiting(app) -> None:
    """A sign-in from the kept roster leaves its audit row in the outbox: the forwarder
    sends it once the server is back."""
    try:
        app.outbox_pending = app.outbox.pending() > 0
    except Exception:  # the kiosk's own file: the forwarder logs what is wrong with it
        return


def _check_code(caller: Caller, badge: str, code: str) -> enrolment.EnrolmentStart:
    from kiosk.services.platform import enrolment

    return enrolment.check_code(caller, badge, code)


def _check_new_pin(pin: str, role: str, badge: str) -> bool:
    from kiosk.services.platform import enrolment

    enrolment.check_new_pin(pin, role, badge)
    return True


def _enrol_and_keep(caller: Caller, app, badge: str, code: str, pin: str, repeat: str):
    from kiosk.services.platform import outbox

    return outbox.enrol_and_keep(caller, app.outbox, badge, code, pin, repeat)
