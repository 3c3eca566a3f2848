"""A text progress bar on standard error for long commands (seeding, exports).

Shown only when standard error is a terminal; nothing when it is redirected or the
command was asked to be quiet, so logs and pipes stay clean.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30
EVERY = 0.2  # seconds between redraws


class TextProgress:
    """Call with (what, done, of); a line per `what`, redrawn in place."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.enabled = not quiet and self.stream.isatty()
        self._what: str | None = None
        self._drawn = 0.0

    def __call__(self, what: str, done: int, of: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        finished = done >= of
        if what == self._what and not finished and now - self._drawn < EVERY:
            return
        if self._what is not None and what != self._what:
            self.stream.write("\n")
        self._what, self._drawn = what, now
        share = done / of if of else 1.0
        filled = round(WIDTH * min(share, 1.0))
        bar = "#" * filled + "-" * (WIDTH - filled)
        self.stream.write(f"\r{what:<12} [{bar}] {share:4.0%} {done:,}/{of:,}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._what is not None:
            self.stream.write("\n")
            self.stream.flush()
            self._what = None
