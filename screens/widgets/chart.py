"""A plotext chart whose labels land in the same cells in every process and language.

Two things plotext gets wrong for us, put right before each drawing:

- Order. plotext keeps an axis's ticks without duplicates by passing them through a set
  (`plotext._utility.brush`), so they come back in the set's order, which follows the
  hashes of the labels: Python seeds string hashes anew in each process. The labels are
  then written one after the other, each moved aside, or left out, where one written
  before is in the way. So the same chart put its labels a cell or more apart from one
  kiosk start to the next (the Pareto's "Measurement" next to "Man"), and a board showed
  other dates under its bars. Each axis gets its ticks back in the order of the axis.
- Width. plotext gives every character one cell; a Chinese one takes two, so each moved
  the rest of its line a cell to the right (the Pareto's last category drifted under the
  next bar). Each wide character of a label or title is followed by WIDE, a character that
  holds its second cell in plotext's grid and is taken out of what is drawn.
"""

from __future__ import annotations

from rich.cells import get_character_cell_size
from textual.app import RenderResult
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

WIDE = "\ue000"  # private use: never in a label of ours, never drawn
AXES = (("xticks", "xlabels"), ("yticks", "ylabels"))  # plotext's names (its monitor's)


def in_axis_order(ticks: list[float], labels: list[str]) -> tuple[list[float], list[str]]:
    """The ticks from the lowest up, each with its label."""
    pairs = sorted(zip(ticks, labels, strict=False), key=lambda pair: pair[0])
    return [tick for tick, _label in pairs], [label for _tick, label in pairs]


def one_cell_a_character(text: str) -> str:
    """`text` as plotext should lay it out: a wide character and WIDE after it."""
    return "".join(
        character + WIDE if get_character_cell_size(character) > 1 else character
        for character in text.replace(WIDE, "")
    )


def _laid_out(texts: object) -> object:
    """A title (str), or a pair of axis labels or of tick labels (None: nothing or
    plotext's own numbers), laid out for plotext."""
    if isinstance(texts, str):
        return one_cell_a_character(texts)
    if isinstance(texts, list):
        return [_laid_out(text) if text is not None else None for text in texts]
    return texts


def prepare(monitor: object) -> None:
    """A plotext plot (its `monitor`) ready to draw: ticks in the order of their axis,
    wide characters holding both their cells."""
    for ticks_name, labels_name in AXES:
        ticks, labels = getattr(monitor, ticks_name, None), getattr(monitor, labels_name, None)
        if not isinstance(ticks, list) or not isinstance(labels, list):
            continue  # not the plotext this was written for (5.3): drawn as it comes
        for side in range(min(len(ticks), len(labels))):
            if ticks[side] is not None and labels[side] is not None:  # None: plotext's own
                ticks[side], labels[side] = in_axis_order(ticks[side], labels[side])
        setattr(monitor, labels_name, _laid_out(labels))
    for name in ("title", "xlabel", "ylabel"):
        if hasattr(monitor, name):
            setattr(monitor, name, _laid_out(getattr(monitor, name)))


class _Plot(Plot):
    def build(self) -> str:
        return super().build().replace(WIDE, "")


class Chart(PlotextPlot):
    """A PlotextPlot drawn the same in every process, Chinese labels under their ticks."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._plot = _Plot()  # what `plt` hands out (textual-plotext keeps it there)

    def render(self) -> RenderResult:
        # one figure, no subplots: its monitor holds the axes (textual-plotext's type
        # hints do not name it)
        prepare(getattr(self.plt, "monitor", None))
        return super().render()
