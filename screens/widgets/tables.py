"""DataTable helpers shared by the boards and lists.

`FittedTable` chooses which columns to keep for the width it has: each column has a
priority (0: always kept; higher numbers are dropped first) and a minimum width; long
text columns (`flex`) are elided with "…" down to their minimum before a column is
dropped; a note read in full (`wrap`) is narrowed first and wraps onto more lines instead
(its rows grow). Widths are recomputed for every data set and on every resize, rows show
in the order given (the cursor stays on its row), and the names of the columns left out
are shown under the table ("hidden: Team, Due").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widgets import DataTable

from kiosk.i18n import _

Rows = Sequence[tuple[str, tuple[object, ...]]]
SCROLLBAR = 2  # room kept for a vertical scrollbar


@dataclass(frozen=True)
class Col:
    key: str
    label: str  # the English template (N_): translated whenever the table is laid out
    priority: int = 0  # 0: never dropped; the highest number goes first
    min_width: int = 4  # a flex column is elided down to this; narrower, it is dropped
    flex: bool = False  # long text (names, descriptions) that may be elided
    coded: bool = False  # flex text that starts with a code ("L2 DC Fast…"): elided first
    wrap: bool = False  # a note read in full: narrowed first, wrapped onto more lines

    @property
    def narrows(self) -> bool:
        """Whether the column gives up width before another goes (elided or wrapped)."""
        return self.flex or self.wrap


def fill_rows(table: DataTable, rows: Rows) -> None:
    """Update rows in place (cursor and scroll stay), add new ones, drop vanished ones."""
    if isinstance(table, FittedTable):
        table.set_rows(rows)
        return
    _fill_in_place(table, rows)


def _fill_in_place(table: DataTable, rows: Rows) -> None:
    """Only cells whose value changed are touched. A DataTable keeps what it rendered under
    the count of its updates (up to 10,000 cells and 1,000 rows and lines a table), and
    every later update makes all of that unreachable; so after a change the old renders
    are dropped at once. Without this a live board refreshed every second grew by about
    30 KB a refresh until the caches were full (issue 16)."""
    wanted = {key for key, _ in rows}
    changed = False
    for row_key in list(table.rows):
        if row_key.value not in wanted:
            table.remove_row(row_key)
            changed = True
    existing = {row_key.value for row_key in table.rows}
    columns = list(table.columns)
    for key, cells in rows:
        if key in existing:
            before = table.get_row(key)
            for column, old, cell in zip(columns, before, cells, strict=True):
                if old != cell:
                    table.update_cell(key, column, cell)
                    changed = True
        else:
            table.add_row(*cells, key=key)
            changed = True
    if changed:
        forget_old_renders(table)


def forget_old_renders(table: DataTable) -> None:
    """Drop a table's cached renders of earlier contents (see fill_rows): call it after
    changing rows in place. Cheap: what is on screen is rendered again anyway."""
    table._clear_caches()


def count_title(total: int, shown: int, nothing: str, every: str, some: str) -> str:
    """A list's title by how much of it is on screen: none at all, every row, or some
    (a page, or the first ones) of `total`."""
    if not total:
        return nothing
    return every if total <= shown else some


def _width(cell: object) -> int:
    if isinstance(cell, Text):
        return max((cell_len(line) for line in cell.plain.splitlines()), default=0)
    return cell_len(str(cell))


def _elided(cell: object, width: int) -> object:
    if _width(cell) <= width:
        return cell
    text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
    text.truncate(width, overflow="ellipsis")
    return text


def _wrapped(cell: object) -> Text:
    """A cell that wraps at its column's width (a plain string is never read as markup)."""
    text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
    text.no_wrap = False
    text.overflow = "fold"  # a word longer than the column is broken, not cut
    return text


def _fitted(cell: object, column: Col, width: int) -> object:
    return _wrapped(cell) if column.wrap else _elided(cell, width)


def choose_columns(
    columns: list[Col], rows: list[tuple[object, ...]], width: int
) -> tuple[list[tuple[int, Col, int]], list[Col]]:
    """The columns that fit in `width` cells, as (index, column, width), and those left out."""
    padding = 2  # a DataTable cell's padding, one each side
    natural = [
        max([_width(column.label), *(_width(row[n]) for row in rows if n < len(row))])
        for n, column in enumerate(columns)
    ]
    kept = list(range(len(columns)))

    def least(n: int) -> int:
        column = columns[n]
        return min(natural[n], column.min_width) if column.narrows else natural[n]

    def over() -> int:
        return sum(natural[n] + padding for n in kept) - width

    def soft(n: int) -> int:
        """How far a column that always stays is elided before another column goes: a
        name by a quarter (it is still read), a long text down to 24 cells; wrapped text
        loses nothing, so to its minimum."""
        if columns[n].coded or columns[n].wrap:
            return least(n)
        return max(least(n), min(natural[n] * 3 // 4, 24))

    def spare() -> int:
        """What eliding can win: optional columns down to their minimum, the others to
        `soft`."""
        return sum(
            natural[n] - (least(n) if columns[n].priority else soft(n))
            for n in kept
            if columns[n].narrows
        )

    # drop the least important columns while eliding cannot make room
    while over() > spare():
        droppable = [n for n in kept if columns[n].priority > 0]
        if not droppable:
            break
        kept.remove(max(droppable, key=lambda n: (columns[n].priority, n)))
    widths = {n: natural[n] for n in kept}
    excess = over()
    flexible = sorted(  # wrapped text first (it loses nothing), then the least important
        (n for n in kept if columns[n].narrows),
        key=lambda n: (not columns[n].wrap, -columns[n].priority, -widths[n]),
    )
    for n in flexible:
        if excess <= 0:
            break
        cut = min(excess, widths[n] - least(n))
        widths[n] -= cut
        excess -= cut
    hidden = [column for n, column in enumerate(columns) if n not in kept]
    return [(n, columns[n], widths[n]) for n in kept], hidden


class FittedTable(DataTable):
    """A DataTable that keeps the columns that fit (see the module's docstring)."""

    DEFAULT_CSS = """
    FittedTable.-cut {
        border-bottom: hkey $secondary;
        border-subtitle-color: $text-muted;
    }
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._spec: list[Col] = []
        self._rows: list[tuple[str, tuple[object, ...]]] = []
        self._layout: tuple[tuple[str, int], ...] | None = None
        self._shown: dict[str, tuple[object, ...]] = {}  # the cells on screen, by row key
        self._fitted_width = 0
        self.hidden_labels: tuple[str, ...] = ()

    def set_columns(self, columns: list[Col]) -> None:
        self._spec = list(columns)
        self._layout = None
        self._fit()

    def set_rows(self, rows: Rows) -> None:
        self._rows = list(rows)
        self._fit()

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._fitted_width:  # a new height changes no column
            self._fit()

    def _room(self) -> int:
        width = self.size.width or self.app.size.width
        return max(width - SCROLLBAR, 8)

    def _fit(self) -> None:
        if not self._spec:
            return
        self._fitted_width = self.size.width
        spec = [replace(column, label=str(_(column.label))) for column in self._spec]
        chosen, hidden = choose_columns(spec, [cells for _k, cells in self._rows], self._room())
        layout = tuple((column.key, width) for _n, column, width in chosen)
        rows = [
            (key, tuple(_fitted(cells[n], c, w) for n, c, w in chosen)) for key, cells in self._rows
        ]
        keys = [key for key, _cells in rows]
        # wrapped rows take as many lines as their text: a changed cell is laid out again
        wrapping = any(column.wrap for _n, column, _w in chosen)
        if layout == self._layout and [row.value for row in self.rows] == keys:
            changes = [
                (key, column.key, cell)
                for key, cells in rows
                for n, ((_n, column, _w), cell) in enumerate(zip(chosen, cells, strict=True))
                if n >= len(self._shown.get(key, ())) or self._shown[key][n] != cell
            ]
            if not (wrapping and changes):
                for key, column_key, cell in changes:  # in place: cursor and scroll stay
                    self.update_cell(key, column_key, cell)
                self._shown = dict(rows)
                if changes:
                    forget_old_renders(self)
                return
        selected = None
        if self.row_count:
            selected = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        self._layout = layout
        self.clear(columns=True)
        for _n, column, width in chosen:
            self.add_column(column.label, key=column.key, width=width)
        for key, cells in rows:
            self.add_row(*cells, key=key, height=None if wrapping else 1)
        self._shown = dict(rows)
        if selected in keys:  # the cursor stays on its row
            self.move_cursor(row=keys.index(selected), animate=False)
        self.hidden_labels = tuple(column.label for column in hidden)
        self.set_class(bool(hidden), "-cut")
        self.border_subtitle = (
            _("hidden: {columns}", columns=", ".join(self.hidden_labels)) if hidden else ""
        )
