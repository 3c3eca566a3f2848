"""Change one's own PIN: the current PIN, the new one, the new one again (leaders and up)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from kiosk.errors import ServiceError, ValidationFailed
from kiosk.i18n import _
from kiosk.services.platform import enrolment, outbox
from screens.base import KioskModal, Message

FIELDS = ("current", "pin", "repeat")


class ChangePinScreen(KioskModal):
    """Dismisses with True when the PIN was changed."""

    CSS_PATH = "change_pin.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        user = self.kiosk_app.user
        least = enrolment.min_pin_digits(user.role) if user else 4
        with Vertical(id="change-pin"):
            yield Static(_("Change your PIN"), id="change-pin-title")
            yield Static(
                _(
                    "At least {count} digits; not all the same digit, not digits in a row "
                    "(1234), not your badge's digits.",
                    count=least,
                ),
                id="change-pin-rules",
            )
            yield Input(placeholder=_("current PIN"), password=True, id="current", max_length=16)
            yield Input(placeholder=_("new PIN"), password=True, id="pin", max_length=16)
            yield Input(placeholder=_("new PIN again"), password=True, id="repeat", max_length=16)
            yield Message()
            yield Static(_("Enter: next / change   Esc: cancel"), id="change-pin-keys")

    def on_mount(self) -> None:
        self.query_one("#current", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = event.input.id or ""
        if name != "repeat":
            self.query_one(f"#{FIELDS[FIELDS.index(name) + 1]}", Input).focus()
            return
        values = [self.query_one(f"#{field}", Input).value for field in FIELDS]
        self.say(_("Checking…"))
        self.call_service(
            outbox.change_pin_and_keep,
            self.caller,
            self.kiosk_app.outbox,
            *values,
            on_done=lambda _employee: self.dismiss(True),
            on_error=self._refused,
        )

    def _refused(self, error: ServiceError) -> None:
        self.say(error.message, "error")
        field = "current"
        if isinstance(error, ValidationFailed) and "current" not in error.problems:
            field = "pin"
        for name in FIELDS[FIELDS.index(field) :]:
            self.query_one(f"#{name}", Input).value = ""
        self.query_one(f"#{field}", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(False)
