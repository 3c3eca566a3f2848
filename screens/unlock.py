"""Unlock a locked kiosk: a supervisor's badge and PIN before the kiosk quits."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from kiosk.errors import PermissionDenied, ServiceError
from kiosk.i18n import _
from kiosk.services.platform import auth
from screens.base import KioskModal, Message


class UnlockScreen(KioskModal):
    """Dismisses with True when a supervisor (or above) signed for it."""

    CSS_PATH = "unlock.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="unlock"):
            yield Static(_("This kiosk is locked. A supervisor may close it."), id="unlock-title")
            yield Input(placeholder=_("supervisor badge"), id="unlock-badge", max_length=64)
            yield Input(placeholder=_("PIN"), password=True, id="unlock-pin", max_length=12)
            yield Message()

    def on_mount(self) -> None:
        self.query_one("#unlock-badge", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "unlock-badge":
            self.query_one("#unlock-pin", Input).focus()
            return
        badge = self.query_one("#unlock-badge", Input).value
        pin = self.query_one("#unlock-pin", Input).value
        self.query_one("#unlock-pin", Input).value = ""
        self.call_service(
            self._check,
            badge,
            pin,
            on_done=self.dismiss,
            on_error=self._refused,
        )

    def _check(self, badge: str, pin: str) -> bool:
        caller = self.caller.acting_as(None)  # whoever is signed in, the PIN decides
        employee = auth.sign_in(caller, badge, pin)
        if not employee.has_role("supervisor"):
            auth.record_refusal(caller.acting_as(employee), "unlock_kiosk", "", "needs Supervisor")
            raise PermissionDenied(_("Only a supervisor or above may close this kiosk."))
        return True

    def _refused(self, error: ServiceError) -> None:
        message = error.message
        if isinstance(error, auth.PinRequired):
            message = _("Enter the PIN too.")
        self.say(message, "error")
        self.query_one("#unlock-pin", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(False)
