"""The line at the top of every kiosk screen: terminal, person, station, database, clock."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from screens.base import kiosk_app_of


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar {
        dock: top;
        height: 1;
        background: $primary;
        color: $text;
        padding: 0 1;
    }
    """

    def __init__(self) -> None:
        super().__init__("", id="status-bar", markup=False)

    def on_resize(self) -> None:
        self.refresh_status()

    def on_mount(self) -> None:
        self.refresh_status()
        self.set_interval(1.0, self.refresh_status)

    def refresh_status(self) -> None:
        width = self.size.width - 2  # padding
        self.update(Text(kiosk_app_of(self).status_line(width)))
