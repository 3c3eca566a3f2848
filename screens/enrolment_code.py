"""Issue a one-time enrolment code for a badge and show it once (supervisors and up).

`IssueEnrolmentCodeScreen(badge_code)` goes straight to the person; without a badge it
asks for one (scan or type). A person who has a PIN is named first and the reset
confirmed, because the new code clears their PIN. The code is shown once, large, with
whom it is for and until when; it is never shown again (only its hash is kept).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Digits, Static

from kiosk.clock import format_local
from kiosk.errors import ServiceError
from kiosk.i18n import _
from kiosk.services.platform import enrolment
from screens.base import KioskModal, Message
from screens.widgets.scan_input import ScanInput


class IssueEnrolmentCodeScreen(KioskModal):
    """Dismisses with the IssuedCode (or None when nothing was issued)."""

    CSS_PATH = "enrolment_code.tcss"
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("f2", "confirm", "Issue the code", show=False),
    ]

    def __init__(self, badge_code: str | None = None) -> None:
        super().__init__()
        self._badge = badge_code
        self._target: enrolment.CodeTarget | None = None
        self._issued: enrolment.IssuedCode | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="enrol-box"):
            yield Static(_("One-time PIN enrolment code"), id="enrol-title")
            yield Static(
                _("Scan or type the badge of the person who needs a PIN:"),
                id="enrol-ask",
                markup=False,
            )
            yield ScanInput(_("badge code"), id="enrol-badge")
            yield Static("", id="enrol-who", markup=False)
            yield Digits("", id="enrol-code")
            yield Message()
            yield Static("", id="enrol-keys", markup=False)

    def on_mount(self) -> None:
        self.query_one("#enrol-code", Digits).display = False
        self._keys(_("Esc: close"))
        if self._badge:
            self.query_one("#enrol-ask").display = False
            self.query_one("#enrol-badge").display = False
            self._look_up(self._badge)
        else:
            self.query_one("#enrol-badge", ScanInput).focus()

    def _keys(self, text: str) -> None:
        self.query_one("#enrol-keys", Static).update(text)

    def on_scan_input_scanned(self, event: ScanInput.Scanned) -> None:
        event.stop()
        if self._issued is None:
            self._look_up(event.text.strip())

    def _look_up(self, badge: str) -> None:
        self._badge = badge
        self._target = None
        self.say(_("Checking…"))
        self.call_service(
            enrolment.code_target,
            self.caller,
            badge,
            on_done=self._confirm_or_issue,
            on_error=self._refused,
            latest_only=True,
        )

    def _refused(self, error: ServiceError) -> None:
        self.say(error.message, "error")
        badge = self.query_one("#enrol-badge", ScanInput)
        if badge.display:
            badge.focus()

    def _confirm_or_issue(self, target: enrolment.CodeTarget) -> None:
        self._target = target
        who = self.query_one("#enrol-who", Static)
        who.update(
            Text.assemble(
                (target.name, "bold"), f" · {target.role_title} · {_('badge')} {target.badge_code}"
            )
        )
        if not target.has_pin:
            self.action_confirm()
            return
        self.say(
            _(
                "{name} has a PIN. A new code clears it: the old PIN stops working now. "
                "F2 issues the code.",
                name=target.name,
            ),
            "error",
        )
        self._keys(_("F2: reset the PIN and issue the code   Esc: cancel"))
        self.focus()  # leave the badge input, so F2 and Esc reach this dialog

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "confirm":
            return self._target is not None and self._issued is None
        return True

    def action_confirm(self) -> None:
        if self._target is None or self._issued is not None:
            return
        self.say(_("Checking…"))
        self.call_service(
            enrolment.issue_code,
            self.caller,
            self._target.badge_code,
            on_done=self._show,
            on_error=self._refused,
            latest_only=True,
        )

    def _show(self, issued: enrolment.IssuedCode) -> None:
        self._issued = issued
        self.query_one("#enrol-ask").display = False
        self.query_one("#enrol-badge").display = False
        self.query_one("#enrol-who", Static).update(
            Text.assemble(
                _("For "),
                (issued.name, "bold"),
                f" · {issued.role_title} · {_('badge')} {issued.badge_code}\n",
                _("Valid until {time}, once.", time=format_local(issued.expires_at)),
            )
        )
        code = self.query_one("#enrol-code", Digits)
        code.update(issued.shown)
        code.display = True
        self.say(
            _(
                "The old PIN no longer works. Give this code to {name} in person; it is not "
                "shown again. At the next sign-in they type it and choose a PIN.",
                name=issued.name,
            )
            if issued.reset
            else _(
                "Give this code to {name} in person; it is not shown again. At the next "
                "sign-in they type it and choose a PIN.",
                name=issued.name,
            ),
            "success",
        )
        self._keys(_("Esc: close (the code is not shown again)"))
        self.focus()

    def action_close(self) -> None:
        self.dismiss(self._issued)
