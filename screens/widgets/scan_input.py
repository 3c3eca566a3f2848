"""An input that frames scans on the key events themselves.

A USB scanner types the code and Enter faster than a person. A plain Input
submits through a binding that runs after the keys already queued, so two
scans that arrive back to back merge. Here Enter is handled in the key handler
in order with the characters: the buffer is taken and cleared right there and a
`Scanned` message carries exactly what came before that Enter.
"""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import Input

MAX_SCAN_BUFFER = 512


class ScanInput(Input):
    """Type or scan a code; Enter posts `ScanInput.Scanned`."""

    class Scanned(Message):
        def __init__(self, scan_input: ScanInput, text: str) -> None:
            super().__init__()
            self.scan_input = scan_input
            self.text = text

        @property
        def control(self) -> ScanInput:
            return self.scan_input

    def __init__(self, placeholder: str = "", *, id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, id=id, select_on_focus=False)
        self._overflow = 0

    def take(self) -> str:
        text = self.value + ("\x00" * self._overflow)  # keep the true length for the parser
        self._overflow = 0
        self.value = ""
        return text

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Scanned(self, self.take()))
            return
        if event.is_printable and len(self.value) >= MAX_SCAN_BUFFER:
            # Keep counting so a runaway paste is reported with its real length,
            # without growing the widget's text without bound.
            event.stop()
            event.prevent_default()
            self._overflow += 1
            return
        await super()._on_key(event)

    def _on_paste(self, event: events.Paste) -> None:
        """A pasted list of codes is a list of scans; a trailing partial line stays typed."""
        event.stop()
        event.prevent_default()
        lines = event.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        *complete, rest = lines
        for line in complete:
            self.post_message(self.Scanned(self, self.take() + line))
        if len(rest) > MAX_SCAN_BUFFER:
            self.post_message(self.Scanned(self, rest))
            return
        self.insert_text_at_cursor(rest)
