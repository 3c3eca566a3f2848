"""An Input with a length limit that shows it and never drops text silently.

Textual's Input refuses a whole paste that would pass `max_length` (and keeps only
the first line of a pasted block), without a word. This one joins a pasted block's
lines, cuts what does not fit, says so in a message, and counts "123/500" on its
border so the limit is seen before it is reached: on free text only (`counter=False` for a
date, a number or a code, whose limit is no news to anyone).
"""

from __future__ import annotations

import re

from textual import events
from textual.widgets import Input

from kiosk.i18n import _

COUNTER_FROM = 20  # fields this long or longer show the counter (not PINs and codes)
DATE_LENGTH = 10  # YYYY-MM-DD


class LimitedInput(Input):
    DEFAULT_CSS = """
    LimitedInput.-full {
        border-subtitle-color: $error;
    }
    """

    def __init__(self, *args, counter: bool = True, **kwargs) -> None:
        self.counter = counter  # first: Input's constructor sets the value (and so counts)
        super().__init__(*args, **kwargs)

    def on_mount(self) -> None:
        self._count()

    def watch_value(self, value: str) -> None:
        self._count()

    def _count(self) -> None:
        if not self.counter or not self.max_length or self.max_length < COUNTER_FROM:
            return
        if self.password:
            return
        self.border_subtitle = f"{len(self.value)}/{self.max_length}"
        self.set_class(len(self.value) >= self.max_length, "-full")

    def _on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()
        text = re.sub(r"\s*[\r\n]+\s*", " ", event.text.strip("\r\n"))
        if text:
            self.insert_cut(text)

    def insert_cut(self, text: str) -> None:
        """Insert at the cursor (over a selection) as much as fits; say what was cut."""
        start, end = sorted(self.selection)  # an empty selection is the cursor
        room = len(text)
        if self.max_length:
            room = max(self.max_length - (len(self.value) - (end - start)), 0)
        kept = text[:room]
        self.replace(kept, start, end)
        if len(kept) < len(text):
            self.notify(
                _(
                    "Pasted text cut: {kept:,} of {total:,} characters kept; this field holds "
                    "at most {limit:,}.",
                    kept=len(kept),
                    total=len(text),
                    limit=self.max_length,
                ),
                severity="warning",
                timeout=8,
            )
