"""People (admin): search by name or badge, a page at a time; add, change, deactivate or
reactivate, print a badge label, give an enrolment code, lift a PIN lock. Supervisors and
quality admins (the services check)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from kiosk.config import data_dir
from kiosk.i18n import N_, _
from kiosk.services.plant import plant_admin
from kiosk.services.platform import auth
from screens.admin_form import AdminForm, FormField
from screens.base import DataChanged, KioskScreen, Message
from screens.widgets.key_help import KeyHelp
from screens.widgets.limited_input import LimitedInput
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import Col, FittedTable

PAGE = 50
SEARCH_DELAY = 0.3  # seconds after the last key before the search runs


def labels_dir():
    """Where printed labels go: the user data folder's labels/."""
    return data_dir() / "labels"


class PeopleScreen(KioskScreen):
    CSS_PATH = "admin_people.tcss"
    BINDINGS = [
        Binding("f2", "add", "Add person"),
        Binding("f3", "edit", "Edit"),
        Binding("f4", "toggle_active", "Deactivate/reactivate"),
        Binding("f5", "print_badge", "Print badge"),
        Binding("f6", "enrolment_code", "Enrolment code"),
        Binding("f7", "page(-1)", "Previous page"),
        Binding("f8", "page(1)", "Next page"),
        Binding("f9", "unlock_pin", "Unlock PIN"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.first_row = 0
        self.shown_page: plant_admin.PeoplePage | None = None
        self._search_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Vertical(id="people-main"):
            with Horizontal(id="search-row"):
                yield Static(_("Search ▸ "), id="search-label")
                yield LimitedInput(
                    placeholder=_("name or badge"), id="people-search", max_length=60
                )
            yield Static("", id="people-count", markup=False)
            yield FittedTable(id="people", cursor_type="row", zebra_stripes=True)
            yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        self.query_one("#people", FittedTable).set_columns(
            [
                Col("badge", N_("Badge")),
                Col("name", N_("Name"), flex=True, min_width=8),
                Col("department", N_("Department"), 3, flex=True, min_width=8),
                Col("team", N_("Team"), 2),
                Col("role", N_("Role"), 1),
                Col("status", N_("Status")),
            ]
        )
        self.query_one("#people-search", Input).focus()
        self.action_refresh()

    # -- reading -------------------------------------------------------------------------

    def action_refresh(self, message: str | None = None) -> None:
        self.carry_message(message)
        self.call_service(
            plant_admin.search_people,
            self.caller,
            self.query_one("#people-search", Input).value,
            offset=self.first_row,
            limit=PAGE,
            on_done=self.show,
            group="people",
            latest_only=True,
        )

    def on_data_changed(self, _message: DataChanged) -> None:
        self.action_refresh()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, self._search)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._search()
        self.query_one("#people", DataTable).focus()

    def _search(self) -> None:
        self.first_row = 0
        self.action_refresh()

    def show(self, page: plant_admin.PeoplePage, message: str | None = None) -> None:
        self.shown_page = page
        table = self.query_one("#people", FittedTable)
        selected = self.selected()
        table.set_rows(
            [
                (
                    row.badge_code,
                    (
                        row.badge_code,
                        Text(row.name),
                        Text(row.department),
                        Text(row.team_code or "—"),
                        row.role_title,
                        _("active") if row.active else Text(_("inactive"), style="dim"),
                    ),
                )
                for row in page.rows
            ]
        )
        codes = [row.badge_code for row in page.rows]
        if selected is not None and selected.badge_code in codes:
            table.move_cursor(row=codes.index(selected.badge_code), animate=False)
        if page.total:
            counted = _(
                "{first}–{last} of {total:,} people",
                first=page.offset + 1,
                last=page.offset + len(page.rows),
                total=page.total,
            )
        else:
            counted = _("Nobody matches.")
        self.query_one("#people-count", Static).update(counted)
        message = self.carried_message(message)
        if message:
            self.say(message, "success")

    def action_page(self, step: int) -> None:
        page = self.shown_page
        if page is None:
            return
        if step > 0 and not page.has_next:
            self.say(_("This is the last page."))
            return
        if step < 0 and self.first_row == 0:
            self.say(_("This is the first page."))
            return
        self.first_row = max(self.first_row + step * PAGE, 0)
        self.action_refresh()

    def selected(self) -> plant_admin.PersonRow | None:
        table = self.query_one("#people", DataTable)
        if self.shown_page is None or not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((row for row in self.shown_page.rows if row.badge_code == key), None)

    def _chosen(self) -> plant_admin.PersonRow | None:
        row = self.selected()
        if row is None:
            self.say(_("Choose a person in the list first (search, then the arrow keys)."), "error")
        return row

    # -- acting --------------------------------------------------------------------------

    def _with_choices(self, then) -> None:
        self.call_service(plant_admin.admin_choices, on_done=then)

    def _fields(
        self, choices: plant_admin.AdminChoices, row: plant_admin.PersonRow | None
    ) -> list[FormField]:
        user = self.caller.person
        departments = tuple((f"{d.name} ({d.code})", d.code) for d in choices.departments)
        current_department = ""
        if row is not None:
            current_department = next(
                (d.code for d in choices.departments if d.name == row.department), ""
            )
        roles = plant_admin.roles_for(user)
        if row is not None and row.role not in roles:
            roles = (*roles, row.role)  # shown as it is; the service decides
        fields = []
        if row is None:
            fields.append(FormField("badge_code", _("Badge code"), "code", max_length=32))
        fields += [
            FormField("name", _("Name"), value=row.name if row else "", max_length=120),
            FormField(
                "department", _("Department"), "select", departments, value=current_department
            ),
            FormField(
                "team",
                _("Team"),
                "select",
                tuple((f"{t.code} {t.name}", t.code) for t in choices.teams),
                value=row.team_code if row else "",
            ),
            FormField(
                "role",
                _("Role"),
                "select",
                tuple((plant_admin.role_title(role), role) for role in roles),
                value=row.role if row else "operator",
            ),
        ]
        return fields

    def action_add(self) -> None:
        self._with_choices(self._open_add)

    def _open_add(self, choices: plant_admin.AdminChoices) -> None:
        caller = self.caller
        self.app.push_screen(
            AdminForm(
                _("Add a person"),
                self._fields(choices, None),
                lambda v: plant_admin.add_person(
                    caller,
                    v["badge_code"] or "",
                    v["name"] or "",
                    v["department"] or "",
                    v["team"] or "",
                    v["role"] or "",
                ),
                submit_label=_("Add"),
            ),
            lambda row: self._saved(row, _("Added")),
        )

    def action_edit(self) -> None:
        row = self._chosen()
        if row is not None:
            self._with_choices(lambda choices: self._open_edit(choices, row))

    def _open_edit(self, choices: plant_admin.AdminChoices, row: plant_admin.PersonRow) -> None:
        caller = self.caller
        self.app.push_screen(
            AdminForm(
                _("Change {badge_code} {name}", badge_code=row.badge_code, name=row.name),
                self._fields(choices, row),
                lambda v: plant_admin.change_person(
                    caller,
                    row.badge_code,
                    name=v["name"] or "",
                    department=v["department"] or row.department,
                    team_code=v["team"] or "",
                    role=v["role"] or "",
                ),
            ),
            lambda saved: self._saved(saved, _("Saved")),
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def _saved(self, row: plant_admin.PersonRow | None, verb: str) -> None:
        if row is None:
            return
        self.action_refresh(
            _(
                "{verb}: {badge_code} {name} · {team} · {role}.",
                verb=verb,
                badge_code=row.badge_code,
                name=row.name,
                team=row.team_code or "—",
                role=row.role_title,
            )
        )

    def action_toggle_active(self) -> None:
        row = self._chosen()
        if row is None:
            return
        self.call_service(
            plant_admin.set_person_active,
            self.caller,
            row.badge_code,
            not row.active,
            on_done=self._toggled,
        )

    def _toggled(self, row: plant_admin.PersonRow) -> None:
        if row.active:
            message = _(
                "{badge_code} {name} is active again.", badge_code=row.badge_code, name=row.name
            )
        else:
            message = _(
                "{badge_code} {name} is deactivated: their history stays. F4 again reactivates.",
                badge_code=row.badge_code,
                name=row.name,
            )
        self.action_refresh(message)

    def action_print_badge(self) -> None:
        row = self._chosen()
        if row is None:
            return
        self.say(_("Printing the badge of {name}…", name=row.name))
        self.call_service(
            plant_admin.print_label,
            self.caller,
            "B",
            row.badge_code,
            labels_dir(),
            on_done=lambda path: self.say(
                _("Badge label written to {path}", path=str(path)), "success"
            ),
        )

    def action_enrolment_code(self) -> None:
        """A one-time PIN enrolment code for the chosen person (a reset if they have a
        PIN: the screen asks first); the service decides who may issue one to whom."""
        row = self._chosen()
        if row is None:
            return
        from screens.enrolment_code import IssueEnrolmentCodeScreen

        self.app.push_screen(IssueEnrolmentCodeScreen(row.badge_code))

    def action_unlock_pin(self) -> None:
        """Lift the chosen person's PIN lock on every channel (audited; the service decides
        who may unlock whom)."""
        row = self._chosen()
        if row is None:
            return
        self.call_service(
            auth.unlock_pin,
            self.caller,
            row.badge_code,
            on_done=self._unlocked,
        )

    def _unlocked(self, result: auth.UnlockResult) -> None:
        if result.was_locked:
            message = _(
                "{badge_code} {name}: PIN unlocked (it was locked on: {channels}).",
                badge_code=result.badge_code,
                name=result.name,
                channels=result.shown,
            )
        else:
            message = _(
                "{badge_code} {name} was not locked: the count of wrong PINs starts again.",
                badge_code=result.badge_code,
                name=result.name,
            )
        self.say(message, "success")

    def action_back(self) -> None:
        self.dismiss()
