"""A chart's legend as a line of text under it, each name in its series' colour.

Plotext draws its legend inside the plot: on a chart a few rows high it covers the bars
and lines, or is left out. This one wraps over as many lines as the width needs and
never hides the data; the chart gives each series its colour from `SERIES_COLOURS`.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from screens.widgets.key_help import pack

# plotext takes RGB tuples; the legend writes the same colour (textual-plotext's own sequence)
SERIES_COLOURS: tuple[tuple[int, int, int], ...] = (
    (0, 130, 200),
    (60, 180, 75),
    (230, 25, 75),
    (255, 225, 25),
    (245, 130, 48),
    (145, 30, 180),
    (70, 240, 240),
    (240, 50, 230),
)


def series_colour(index: int) -> tuple[int, int, int]:
    return SERIES_COLOURS[index % len(SERIES_COLOURS)]


class ChartLegend(Static):
    DEFAULT_CSS = """
    ChartLegend {
        height: auto;
        padding: 0 1;
    }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.items: list[Text] = []

    def show(self, entries: list[tuple[str, tuple[int, int, int], str]]) -> None:
        """(name, colour, mark) per series: the mark ("━", "█") drawn in the colour."""
        self.items = [
            Text(f"{mark} {name}", style=f"bold rgb({red},{green},{blue})", no_wrap=True)
            for name, (red, green, blue), mark in entries
        ]
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        """An entry is never split over two lines (a name cut at the edge keeps its mark)."""
        self.update(pack(self.items, self.content_size.width))
