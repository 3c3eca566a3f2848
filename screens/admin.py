"""The admin menu (Ctrl+O on the station screen; supervisors and quality admins only).

Each entry names the least role that sees it and the screen it opens ("module:Class",
loaded when chosen). To add a screen, add an AdminEntry to ADMIN_ENTRIES.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from kiosk.i18n import N_, _
from screens.base import KioskScreen, Message
from screens.station import ROLE_KEYS
from screens.widgets.key_help import KeyHelp
from screens.widgets.status_bar import StatusBar

ADMIN_ROLE = ROLE_KEYS["admin"]  # the least role that may open the menu at all


@dataclass(frozen=True)
class AdminEntry:
    id: str
    title: str  # N_(): shown in the terminal's language
    hint: str  # N_()
    minimum: str  # the least role that sees the entry
    screen: str  # "module:Class", imported when chosen
    args: tuple[object, ...] = ()

    def open(self) -> Screen:
        module, _sep, name = self.screen.partition(":")
        return getattr(importlib.import_module(module), name)(*self.args)


ADMIN_ENTRIES: list[AdminEntry] = [
    AdminEntry(
        "people",
        N_("People"),
        N_("search, add, move, deactivate, print a badge"),
        "supervisor",
        "screens.admin_people:PeopleScreen",
    ),
    AdminEntry(
        "lines",
        N_("Lines & stations"),
        N_("add, rename, move to a team, deactivate, print a label"),
        "supervisor",
        "screens.admin_lines:LinesAdminScreen",
    ),
    AdminEntry(
        "suppliers",
        N_("Suppliers"),
        N_("add, rename, deactivate"),
        "quality_admin",
        "screens.admin_codes:CodeListsScreen",
        (("supplier",),),
    ),
    AdminEntry(
        "structure",
        N_("Departments & teams"),
        N_("add, rename, deactivate"),
        "quality_admin",
        "screens.admin_codes:CodeListsScreen",
        (("department", "team"),),
    ),
    AdminEntry(
        "campaigns",
        N_("Campaigns"),
        N_("the Quality Month: dates, phases, point rules, targets; activate"),
        "quality_admin",
        "screens.campaigns:CampaignsScreen",
    ),
]


def entries_for(user) -> list[AdminEntry]:
    return [entry for entry in ADMIN_ENTRIES if user is not None and user.has_role(entry.minimum)]


class AdminMenuScreen(KioskScreen):
    CSS_PATH = "admin.tcss"
    BINDINGS = [Binding("escape", "back", "Back")]

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Vertical(id="admin-main"):
            yield Static(_("Administration"), id="admin-title")
            yield OptionList(id="admin-menu")
            yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        self._fill()
        menu = self.query_one("#admin-menu", OptionList)
        menu.highlighted = 0
        menu.focus()
        self.say(_("Choose with the arrow keys and Enter."))

    def _fill(self) -> None:
        menu = self.query_one("#admin-menu", OptionList)
        highlighted = menu.highlighted
        menu.clear_options()
        menu.add_options(
            Option(Text.assemble((_(entry.title), "bold"), "  ·  ", _(entry.hint)), id=entry.id)
            for entry in entries_for(self.kiosk_app.user)
        )
        menu.highlighted = highlighted if highlighted is not None else 0

    def language_changed(self) -> None:
        self._fill()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        entry = next(e for e in ADMIN_ENTRIES if e.id == event.option.id)
        self.app.push_screen(entry.open())

    def action_back(self) -> None:
        self.dismiss()
