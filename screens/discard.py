"""Nothing entered is lost to one stray key: Esc (or Cancel) on a form with something
typed or changed asks first, in a small dialog; a form left as it opened closes at once.
"Keep editing" is the default (Esc, N, Enter): the form comes back exactly as it was,
its values and its focus (the screen below a modal is not touched while it is up).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Select, Static

from kiosk.i18n import _
from screens.base import KioskModal, ServiceCalls


class ConfirmDiscard(KioskModal):
    """Dismisses with True to discard what was typed, False to keep editing."""

    CSS_PATH = "discard.tcss"
    BINDINGS = [
        Binding("escape", "keep", "Keep editing"),
        Binding("n", "keep", "Keep editing", show=False),
        Binding("d", "discard", "Discard"),
        Binding("y", "discard", "Discard", show=False),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="discard"):
            yield Static(_("Discard what you typed?"), id="discard-title")
            yield Static(
                _("Esc or N goes back to the form as it is; D throws away what you typed."),
                id="discard-text",
            )
            with Horizontal(id="discard-buttons"):
                yield Button(_("Keep editing (Esc)"), variant="primary", id="discard-keep")
                yield Button(_("Discard (D)"), variant="error", id="discard-yes")

    def on_mount(self) -> None:
        self.query_one("#discard-keep", Button).focus()  # Enter alone drops nothing

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "discard-yes")

    def action_keep(self) -> None:
        self.dismiss(False)

    def action_discard(self) -> None:
        self.dismiss(True)


class AsksBeforeDiscarding(ServiceCalls):
    """For a form screen: `remember_start()` once its fields hold what they open with,
    then `leave(discard)` on Esc or Cancel runs `discard` at once when nothing was changed
    (or a save of it is already under way), and asks first otherwise."""

    _start: dict[str, object] | None = None

    def remember_start(self) -> None:
        """What the fields hold now is "nothing entered"."""
        self._start = self._entered()

    def _entered(self) -> dict[str, object]:
        """Every input's text and every select's choice on this screen, by position."""
        return {
            f"{number}:{widget.id}": widget.value
            for number, widget in enumerate(self.query("Input, Select"))
            if isinstance(widget, Input | Select)
        }

    def entered_anything(self) -> bool:
        return self._start is not None and self._entered() != self._start

    def leave(self, discard: Callable[[], object]) -> None:
        # a save in flight keeps what was typed (its answer is dropped once the form closed)
        if not self.entered_anything() or self.in_flight("submit"):
            discard()
            return

        def answered(drop: bool | None) -> None:
            if drop:
                discard()

        self.app.push_screen(ConfirmDiscard(), answered)
