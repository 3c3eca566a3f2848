"""A KioskApp for a test database and a frozen clock, and what tests do with it via the Pilot."""

from __future__ import annotations

import contextlib
import time

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.geometry import Region
from textual.widgets import DataTable, Input, Select, Static
from textual.worker import WorkerCancelled

from kiosk.app import KioskApp
from kiosk.config import Settings
from screens.action_form import ActionForm
from screens.admin import AdminMenuScreen
from screens.base import Message
from screens.coverage import CoverageScreen
from screens.defect_detail import DefectDetailScreen
from screens.defect_report import DefectReportScreen
from screens.proposals import ProposalsScreen
from screens.station import StationScreen
from screens.widgets.key_help import KeyHelp
from screens.widgets.status_bar import StatusBar
from screens.worklist import WorklistScreen

SIZE = (100, 40)  # roomy: for tests of behaviour
SMALL = (80, 24)  # the smallest terminal the screens are made for: for tests of layout


def make_app(url: str, clock, language: str = "en", *, idle: int = 120) -> KioskApp:
    settings = Settings(
        database_url=url, terminal_id="TEST-1", language=language, idle_timeout_seconds=idle
    )
    return KioskApp(settings, clock=clock)


async def settle(pilot, rounds: int = 4) -> None:
    """Let thread workers finish and their results render."""
    for _ in range(rounds):
        # a quitting app cancels what still runs: not a failure of the test
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def text_of(app: KioskApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


def post_keys(app: KioskApp, text: str) -> None:
    """Keys as a USB scanner sends them: all queued at once, no pauses between."""
    for character in text:
        if character == "\n":
            app.post_message(events.Key("enter", "\r"))
        else:
            app.post_message(events.Key(character, character))


async def sign_in(pilot, badge: str = "E1002", pin: str | None = None) -> None:
    await settle(pilot)
    await pilot.press(*badge, "enter")
    await settle(pilot)
    if pin is not None:
        await pilot.press(*pin, "enter")
        await settle(pilot)


def plain(value: object) -> str:
    return value.plain if isinstance(value, Text) else str(value)


def screen_text(app: KioskApp) -> str:
    """Everything the screen says: static texts, input placeholders, table headers and cells."""
    parts: list[str] = []
    for widget in app.screen.walk_children(with_self=False):
        if isinstance(widget, Static):
            parts.append(plain(widget.content))
        elif isinstance(widget, Input):
            parts.append(widget.placeholder)
        elif isinstance(widget, DataTable):
            parts += [column.label.plain for column in widget.columns.values()]
            parts.append(str(widget.border_subtitle or ""))  # the columns left out
            for row in range(widget.row_count):
                parts += [plain(cell) for cell in widget.get_row_at(row)]
    return "\n".join(parts)


def shown_lines(app: KioskApp) -> list[str]:
    """The terminal's lines as the person sees them (what is scrolled away or cut off by
    the screen's edge is not there)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def key_help(app: KioskApp) -> str:
    return plain(app.screen.query_one(KeyHelp).content)


def message(app: KioskApp) -> str:
    return str(app.screen.query_one(Message).content)


def error_of(app: KioskApp, key: str) -> str:
    """The problem shown beside a form's field `key` ("" when none is shown)."""
    widget = app.screen.query_one(f"#error-{key}", Static)
    return str(widget.content) if widget.display else ""


def check_layout(app: KioskApp) -> None:
    """Status bar, message, key help and the focused input inside the screen, keys all shown."""
    width, height = app.size
    whole = Region(0, 0, width, height)
    screen = app.screen
    keys = screen.query_one(KeyHelp)
    parts = [*screen.query(StatusBar), *screen.query(Message), keys]
    for widget in parts:
        if widget.display:
            assert whole.contains_region(widget.region), f"{widget} at {widget.region}"
    lines = key_help(app).split("\n")
    assert keys.region.height == len(lines), "a line of keys is cut off"
    assert all(cell_len(line) <= keys.content_region.width for line in lines), lines
    focused = app.focused
    if focused is not None and focused.screen is screen and focused.region.area:
        assert whole.contains_region(focused.region), f"{focused} at {focused.region}"
        assert not focused.region.overlaps(keys.region), "the input is under the key help"


def table_rows(app: KioskApp, selector: str) -> list[list[str]]:
    table = app.screen.query_one(selector, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def type_into(pilot, field: str, text: str) -> None:
    widget = pilot.app.screen.query_one(f"#field-{field}", Input)
    widget.focus()
    widget.value = ""
    await pilot.press(*text)


async def open_defect_from_worklist(
    pilot, app: KioskApp, short_id: str, all_teams: bool = False
) -> None:
    await pilot.press("f5")
    await settle(pilot)
    assert isinstance(app.screen, WorklistScreen)
    if all_teams:  # a leader from another team: every team's defects
        await pilot.press("a")
        await settle(pilot)
    table = app.screen.query_one("#worklist", DataTable)
    row = next(i for i in range(table.row_count) if str(table.get_row_at(i)[0]) == short_id)
    table.move_cursor(row=row)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, DefectDetailScreen)


async def fill_form(pilot, app: KioskApp, key: str, **values: str) -> None:
    """Open the action form behind `key`, fill its fields and save it (Ctrl+S)."""
    await pilot.press(key)
    await settle(pilot)
    assert isinstance(app.screen, ActionForm), f"{key} opened no form"
    await set_fields(pilot, app, **values)
    await pilot.press("ctrl+s")
    await settle(pilot)


async def set_fields(pilot, app, **values: str) -> None:
    """Set a form's fields (`#field-<name>`: inputs and selects) as if typed or chosen."""
    for name, value in values.items():
        widget = app.screen.query_one(f"#field-{name}")
        if isinstance(widget, Select):
            widget.value = value
        else:
            assert isinstance(widget, Input)
            widget.value = value
    await pilot.pause()


async def open_menu_entry(pilot, app, index: int) -> None:
    """Ctrl+O, then the admin menu's entry `index` (0 = the first)."""
    await pilot.press("ctrl+o")
    await settle(pilot)
    assert isinstance(app.screen, AdminMenuScreen)
    for _ in range(index):
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)


async def open_coverage(pilot, app: KioskApp) -> None:
    await pilot.press("f8")
    await settle(pilot)
    await pilot.press("g")
    await settle(pilot)
    assert isinstance(app.screen, CoverageScreen)


async def open_proposals(pilot, app: KioskApp) -> ProposalsScreen:
    assert isinstance(app.screen, StationScreen)
    await pilot.press("f11")
    await settle(pilot)
    assert isinstance(app.screen, ProposalsScreen)
    return app.screen


async def open_defect_report(pilot, station: str = "L1-S02") -> None:
    """Signed in: scan a station, F2: the defect report form is open."""
    post_keys(pilot.app, f"{station}\n")
    await settle(pilot)
    await pilot.press("f2")
    await settle(pilot)
    assert isinstance(pilot.app.screen, DefectReportScreen)


async def quiet(pilot, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        await pilot.pause(0.05)
    await settle(pilot)
