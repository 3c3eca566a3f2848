"""A standard error that says it is a terminal, so progress bars draw on it."""

from __future__ import annotations

import io


class FakeTerminal(io.StringIO):
    """Standard error as a terminal: the progress bar draws on it."""

    def isatty(self) -> bool:
        return True
