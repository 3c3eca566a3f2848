"""The Ctrl+L language switch (screens/i18n_refresh.py) redraws texts in place, and for
that it touches a few of Textual's private parts. Each is pinned here, so a Textual upgrade
that renames or reshapes one fails this test by name instead of leaving a screen half in
English after Ctrl+L."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingsMap
from textual.screen import Screen
from textual.widgets import DataTable, Input, Select

from kiosk.i18n import set_process_language
from screens.i18n_refresh import retranslate_screen


class _ProbeScreen(Screen[None]):
    BINDINGS = [Binding("f5", "refresh", "Refresh")]

    def compose(self) -> ComposeResult:
        yield Select([("Minor", "minor"), ("Major", "major")], prompt="Severity", id="choice")
        yield DataTable(id="table")


class _Probe(App[None]):
    def on_mount(self) -> None:
        self.push_screen(_ProbeScreen())


async def test_the_private_textual_parts_the_language_switch_uses_are_still_there():
    app = _Probe()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        bindings = screen._bindings
        assert isinstance(bindings, BindingsMap), "DOMNode._bindings is no BindingsMap"
        assert isinstance(bindings.key_to_bindings, dict), "BindingsMap.key_to_bindings moved"
        assert [b.description for b in bindings.key_to_bindings["f5"]] == ["Refresh"]

        select = screen.query_one("#choice", Select)
        options = select._options
        assert [value for _, value in options if value is not Select.NULL] == ["minor", "major"]

        table = screen.query_one("#table", DataTable)
        table.add_column("Team", key="team")
        table.add_row("Line 1", key="r1")
        column = table.columns[next(iter(table.columns))]
        assert isinstance(column.content_width, int), "DataTable Column.content_width moved"
        flag = getattr(table, "_require_update_dimensions", None)
        assert isinstance(flag, bool), "DataTable._require_update_dimensions moved"
        # the live board drops a table's stale renders (screens/widgets/tables.py)
        assert callable(getattr(table, "_clear_caches", None)), "DataTable._clear_caches moved"

        before = set_process_language("zh_CN")
        try:
            retranslate_screen(screen, before)
            await pilot.pause()
            assert [b.description for b in screen._bindings.key_to_bindings["f5"]] == ["刷新"]
            labels = {value: str(label) for label, value in select._options}
            assert labels["minor"] == "轻微"
            assert str(table.columns[next(iter(table.columns))].label) == "班组"
        finally:
            set_process_language(before)


def test_the_private_input_handler_the_scan_field_calls_is_still_there():
    """ScanInput (screens/widgets/scan_input.py) frames a scan in its own `_on_key` and hands
    every other key to `Input._on_key` by name: renamed, typing into the scan field would
    fail. (QuickSelect reads `Select._options`: pinned above.)"""
    assert callable(getattr(Input, "_on_key", None)), "Input._on_key moved"
