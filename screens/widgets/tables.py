"""DataTable helpers shared by the boards and lists."""

from __future__ import annotations

from textual.widgets import DataTable


def fill_rows(table: DataTable, rows: list[tuple[str, tuple[object, ...]]]) -> None:
    """Update rows in place (cursor and scroll stay), add new ones, drop vanished ones."""
    wanted = {key for key, _ in rows}
    for row_key in list(table.rows):
        if row_key.value not in wanted:
            table.remove_row(row_key)
    existing = {row_key.value for row_key in table.rows}
    columns = list(table.columns)
    for key, cells in rows:
        if key in existing:
            for column, cell in zip(columns, cells, strict=True):
                table.update_cell(key, column, cell)
        else:
            table.add_row(*cells, key=key)


def count_title(total: int, shown: int, nothing: str, every: str, some: str) -> str:
    """A list's title by how much of it is on screen: none at all, every row, or some
    (a page, or the first ones) of `total`."""
    if not total:
        return nothing
    return every if total <= shown else some
