"""Suppliers, or departments and line teams (admin): one list per kind, each row a code, a
name and whether it is active. Add, rename, deactivate, reactivate; quality admins (the
services check). With two lists, Tab moves between them and the keys act on the focused one.
"""

from __future__ import annotations

import functools
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from kiosk.i18n import N_, _
from kiosk.services.plant import plant_admin
from screens.admin_form import AdminForm, FormField
from screens.base import DataChanged, KioskScreen, Message
from screens.widgets.key_help import KeyHelp
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import Col, FittedTable

KIND_TITLES = {
    "supplier": N_("Suppliers"),
    "department": N_("Departments"),
    "team": N_("Line teams"),
}
KIND_NOUNS = {"supplier": N_("supplier"), "department": N_("department"), "team": N_("line team")}
NAME_COLUMNS = {
    "supplier": N_("Supplier name"),
    "department": N_("Department name"),
    "team": N_("Line team name"),
}
USED_BY = {"department": N_("Active people"), "team": N_("Active lines")}


class CodeListsScreen(KioskScreen):
    CSS_PATH = "admin_codes.tcss"
    BINDINGS = [
        Binding("f2", "add", "Add"),
        Binding("f3", "rename", "Rename"),
        Binding("f4", "toggle_active", "Deactivate/reactivate"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, kinds: tuple[str, ...]) -> None:
        super().__init__()
        self.kinds = kinds
        self.rows: dict[str, tuple[plant_admin.CodeRow, ...]] = {kind: () for kind in kinds}

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Vertical(id="codes-main"):
            for kind in self.kinds:
                yield Static(_(KIND_TITLES[kind]), classes="section")
                yield FittedTable(id=f"codes-{kind}", cursor_type="row", zebra_stripes=True)
            yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        for kind in self.kinds:
            # at 80 columns the code, the name and whether it is active stay
            columns = [
                Col("code", N_("Code")),
                Col("name", NAME_COLUMNS[kind], flex=True, min_width=12),
                Col("status", N_("Status")),
            ]
            if kind in USED_BY:
                columns.append(Col("used_by", USED_BY[kind], 1))
            self.query_one(f"#codes-{kind}", FittedTable).set_columns(columns)
        self.query_one(f"#codes-{self.kinds[0]}", FittedTable).focus()
        self.action_refresh()

    def _refreshed(self, row: Any, template: str) -> None:
        """After a form: the list again, saying what was saved (nothing when cancelled)."""
        if row:
            self.action_refresh(_(template, code=row.code))

    def action_refresh(self, message: str | None = None) -> None:
        for kind in self.kinds:
            self.call_service(
                plant_admin.code_rows,
                self.caller,
                kind,
                on_done=functools.partial(self.show, kind),
                group=f"codes-{kind}",
                latest_only=True,
            )
        if message:
            self.say(message, "success")

    def on_data_changed(self, _message: DataChanged) -> None:
        self.action_refresh()

    def show(self, kind: str, rows: tuple[plant_admin.CodeRow, ...]) -> None:
        self.rows[kind] = rows
        table = self.query_one(f"#codes-{kind}", FittedTable)
        cells: list[tuple[str, tuple[object, ...]]] = []
        for row in rows:
            cells.append(
                (
                    row.code,
                    (
                        row.code,
                        Text(row.name),
                        _("active") if row.active else Text(_("inactive"), style="dim"),
                        *((str(row.used_by),) if kind in USED_BY else ()),
                    ),
                )
            )
        table.set_rows(cells)  # the cursor stays on its row

    def focused_kind(self) -> str:
        focused = self.focused
        for kind in self.kinds:
            if focused is not None and focused.id == f"codes-{kind}":
                return kind
        return self.kinds[0]

    def current(self, kind: str) -> plant_admin.CodeRow | None:
        table = self.query_one(f"#codes-{kind}", FittedTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((row for row in self.rows[kind] if row.code == key), None)

    def action_add(self) -> None:
        kind = self.focused_kind()
        caller = self.caller
        self.app.push_screen(
            AdminForm(
                _("Add a {noun}", noun=_(KIND_NOUNS[kind])),
                [
                    FormField("code", _("Code (A-Z, 0-9, '-', up to 32)"), max_length=32),
                    FormField("name", _(NAME_COLUMNS[kind]), max_length=120),
                ],
                lambda v: plant_admin.add_code_row(caller, kind, v["code"] or "", v["name"] or ""),
                submit_label=_("Add"),
            ),
            lambda row: self._refreshed(row, N_("{code} added.")),
        )

    def _chosen(self) -> tuple[str, plant_admin.CodeRow | None]:
        kind = self.focused_kind()
        row = self.current(kind)
        if row is None:
            self.say(_("Choose a row in the list first."), "error")
        return kind, row

    def action_rename(self) -> None:
        kind, row = self._chosen()
        if row is None:
            return
        caller = self.caller
        self.app.push_screen(
            AdminForm(
                _("Rename {code}", code=row.code),
                [FormField("name", _(NAME_COLUMNS[kind]), value=row.name, max_length=120)],
                lambda v: plant_admin.rename_code_row(caller, kind, row.code, v["name"] or ""),
            ),
            lambda saved: (
                self.action_refresh(_("{code} is now {name}.", code=saved.code, name=saved.name))
                if saved
                else None
            ),
        )

    def action_toggle_active(self) -> None:
        kind, row = self._chosen()
        if row is None:
            return
        self.call_service(
            plant_admin.set_code_row_active,
            self.caller,
            kind,
            row.code,
            not row.active,
            on_done=lambda saved: self.action_refresh(
                _("{code} is active again.", code=saved.code)
                if saved.active
                else _("{code} is deactivated.", code=saved.code)
            ),
        )

    def action_back(self) -> None:
        self.dismiss()
