"""DataTable helpers shared by the boards and lists."""

from __future__ import annotations

from textual.widgets import DataTable


def fill_rows(table: DataTable, rows: list[tuple[str, tuple[object, ...]]]) -> None:
    """Update rows in place (cursor and scroll stay), add new ones, drop vanished ones.

    Only cells whose value changed are touched. A DataTable keeps what it rendered under
    the count of its updates (up to 10,000 cells and 1,000 rows and lines a table), and
    every later update makes all of that unreachable; so after a change the old renders
    are dropped at once. Without this a live board refreshed every second grew by about
    30 KB a refresh until the caches were full (issue 16).
    """
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
