"""Campaigns, for the quality admin: the list, a new campaign, activating one.

`CampaignsScreen` is self-contained (an admin menu can push it). The service
refuses anyone below quality admin (and audits it); the keys to create and
activate are only offered once the list has loaded for a quality admin.
`CampaignForm` keeps everything typed until the service accepts it: a refusal
marks each field with its problem and sums them up at the top.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from kiosk.errors import ServiceError, ValidationFailed
from kiosk.i18n import N_, _
from kiosk.services.plant import campaigns
from screens.base import DataChanged, KioskModal, KioskScreen, Message
from screens.discard import AsksBeforeDiscarding
from screens.widgets.form_problems import point_out
from screens.widgets.key_help import KeyHelp
from screens.widgets.limited_input import DATE_LENGTH, LimitedInput
from screens.widgets.status_bar import StatusBar
from screens.widgets.tables import Col, FittedTable

PHASE_ROWS = 6
PHASE_PARTS = ("name", "starts_on", "ends_on")
# at 80 columns the dates, which one is active and the whole name (wrapped) stay; the
# number of phases goes first
COLUMNS = [
    Col("from", N_("From")),
    Col("to", N_("To")),
    Col("active", N_("Active")),
    Col("phases", N_("Phases"), 1),
    Col("name", N_("Campaign name"), wrap=True, min_width=24),
]


def _section_title(section: str) -> str:
    return {
        "rules": _("Point rules"),
        "line_evaluation": _("Line evaluation weights (add up to 100 %)"),
        "targets": _("Targets shown on the board"),
    }[section]


class CampaignsScreen(KioskScreen):
    CSS_PATH = "campaigns.tcss"
    BINDINGS = [
        Binding("n", "new", "New campaign"),
        Binding("a", "activate", "Activate"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.admin: campaigns.CampaignAdmin | None = None
        self.select_next: str | None = None  # the campaign just created

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with Vertical(id="campaigns-main"):
            yield Static(_("Quality Month campaigns"), id="campaigns-title")
            yield FittedTable(id="campaigns", cursor_type="row", zebra_stripes=True)
            yield Message()
        yield KeyHelp()

    def on_mount(self) -> None:
        self.query_one("#campaigns", FittedTable).set_columns(COLUMNS)
        self.action_refresh()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("new", "activate"):
            return self.admin is not None  # offered once the service let this person in
        return True

    def action_refresh(self) -> None:
        self.call_service(
            campaigns.campaigns_for_admin,
            self.caller,
            on_done=self.show,
            on_error=self.refused,
            group="list",
            latest_only=True,
        )

    def on_data_changed(self, _message: DataChanged) -> None:
        if self.admin is not None:
            self.action_refresh()

    def refused(self, error: ServiceError) -> None:
        self.admin = None
        self.refresh_bindings()
        self.say(error.message, "error")

    def show(self, admin: campaigns.CampaignAdmin) -> None:
        first = self.admin is None
        self.admin = admin
        self.refresh_bindings()
        table = self.query_one("#campaigns", FittedTable)
        selected = self.select_next or self._selected_key()
        self.select_next = None
        table.set_rows(  # a short list, newest first: a new campaign sits in order
            [
                (
                    str(view.id),
                    (
                        str(view.starts_on),
                        str(view.ends_on),
                        Text(_("active"), style="bold green") if view.active else "",
                        str(len(view.phases)),
                        Text(view.name, style="bold" if view.active else ""),
                    ),
                )
                for view in admin.campaigns
            ]
        )
        if selected is not None and selected in table.rows:
            table.move_cursor(row=table.get_row_index(selected), animate=False)
        if first:
            self.say(
                _("N creates a campaign; A activates the one selected.")
                if admin.campaigns
                else _("No campaign yet: press N to create the first one.")
            )

    def _selected_key(self) -> str | None:
        table = self.query_one("#campaigns", FittedTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def _selected(self) -> campaigns.CampaignView | None:
        key = self._selected_key()
        if self.admin is None or key is None:
            return None
        return next((v for v in self.admin.campaigns if str(v.id) == key), None)

    def action_new(self) -> None:
        if self.admin is None:
            return
        self.app.push_screen(CampaignForm(self.admin.starting_rules), self._created)

    def _created(self, view: campaigns.CampaignView | None) -> None:
        if view is None:
            return
        self.select_next = str(view.id)
        self.say(
            _(
                "Campaign {name} created (inactive). Select it and press A to activate it.",
                name=view.name,
            ),
            "success",
        )
        self.action_refresh()

    def action_activate(self) -> None:
        view = self._selected()
        if view is None:
            self.say(_("Select a campaign first."), "error")
            return
        if view.active:
            self.say(_("{name} is already the active campaign.", name=view.name), "error")
            return
        assert self.admin is not None  # the campaign was chosen from it
        active = next((v.name for v in self.admin.campaigns if v.active), None)
        self.app.push_screen(
            ConfirmActivation(view, active), lambda yes: self._confirmed(view, yes)
        )

    def _confirmed(self, view: campaigns.CampaignView, yes: bool | None) -> None:
        if not yes:
            self.say(_("Nothing changed."))
            return
        self.call_service(
            campaigns.activate_campaign,
            self.caller,
            view.id,
            on_done=self._activated,
        )

    def _activated(self, view: campaigns.CampaignView) -> None:
        self.say(_("{name} is the active campaign now.", name=view.name), "success")
        self.action_refresh()

    def action_back(self) -> None:
        self.dismiss()


class ConfirmActivation(KioskModal):
    """Dismisses with True to activate, False (Esc) to leave everything as it is."""

    CSS_PATH = "campaigns.tcss"
    BINDINGS = [Binding("escape", "no", "Cancel"), Binding("y", "yes", "Activate")]

    def __init__(self, view: campaigns.CampaignView, active: str | None) -> None:
        super().__init__()
        self.view = view
        self.active = active

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(
                _("Activate {name}?", name=self.view.name), id="confirm-title", markup=False
            )
            yield Static(
                _(
                    "{active} becomes inactive; its points, defects and results stay with it "
                    "and boards and exports can still show it.",
                    active=self.active,
                )
                if self.active
                else _("No campaign is active now."),
                markup=False,
            )
            with Horizontal(id="confirm-buttons"):
                yield Button(_("Activate (Y)"), variant="warning", id="confirm-yes")
                yield Button(_("Cancel (Esc)"), id="confirm-no")
            yield Message()

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()  # Enter alone does not switch campaigns

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class CampaignForm(AsksBeforeDiscarding, KioskScreen):
    """A new campaign: name, dates, phases, every rule and target. Dismisses with the
    created campaign, or None when cancelled (with something typed, Esc asks first)."""

    CSS_PATH = "campaigns.tcss"
    BINDINGS = [Binding("ctrl+s", "submit", "Save"), Binding("escape", "cancel", "Cancel")]

    def __init__(self, starting: campaigns.CampaignView) -> None:
        super().__init__()
        self.starting = starting

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(_("New campaign"), id="form-title")
        yield Message()  # the summary of what is wrong, at the top
        with VerticalScroll(id="campaign-form"):
            yield from self._field("name", _("Campaign name"), "")
            with Horizontal(classes="dates"):
                with Vertical():
                    yield from self._field("starts_on", _("First day (YYYY-MM-DD)"), "", date=True)
                with Vertical():
                    yield from self._field("ends_on", _("Last day (YYYY-MM-DD)"), "", date=True)
            yield Static(
                _("Phases (name, first day, last day; leave a row empty if not needed)"),
                classes="section",
            )
            for number in range(1, PHASE_ROWS + 1):
                with Horizontal(classes="phase"):
                    yield LimitedInput(
                        placeholder=_("Phase {number}", number=number),
                        id=f"field-phase_{number}_name",
                        max_length=campaigns.NAME_LENGTH,
                        classes="phase-name",
                    )
                    yield LimitedInput(
                        placeholder="YYYY-MM-DD",
                        id=f"field-phase_{number}_starts_on",
                        max_length=10,
                        classes="phase-day",
                    )
                    yield LimitedInput(
                        placeholder="YYYY-MM-DD",
                        id=f"field-phase_{number}_ends_on",
                        max_length=10,
                        classes="phase-day",
                    )
                yield Static("", id=f"error-phase_{number}", classes="field-error", markup=False)
            yield Static("", id="error-phases", classes="field-error", markup=False)
            section = ""
            for rule in campaigns.RULES:
                if rule.section != section:
                    section = rule.section
                    yield Static(_section_title(section), classes="section")
                with Horizontal(classes="rule"):
                    yield Label(_(rule.label), classes="rule-label")
                    yield LimitedInput(
                        str(getattr(self.starting, rule.key)),
                        id=f"field-{rule.key}",
                        max_length=rule.high if rule.text else 6,
                        classes="rule-value rule-text" if rule.text else "rule-value",
                    )
                yield Static("", id=f"error-{rule.key}", classes="field-error", markup=False)
                if rule.key == "weight_fpy":
                    yield Static("", id="error-weights", classes="field-error", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button(_("Save (Ctrl+S)"), variant="primary", id="form-submit")
                yield Button(_("Cancel (Esc)"), id="form-cancel")
        yield KeyHelp()

    def _field(self, key: str, label: str, value: str, date: bool = False) -> ComposeResult:
        """A name (its length counted) or a date (ten characters, no counter)."""
        yield Label(label)
        yield LimitedInput(
            value,
            id=f"field-{key}",
            max_length=DATE_LENGTH if date else campaigns.NAME_LENGTH,
            counter=not date,
            placeholder="YYYY-MM-DD" if date else "",
        )
        yield Static("", id=f"error-{key}", classes="field-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#field-name", Input).focus()
        self.say(_("Fill in the campaign; Ctrl+S saves it (inactive), Esc cancels."))
        self.remember_start()

    def _value(self, key: str) -> str:
        return self.query_one(f"#field-{key}", Input).value

    def draft(self) -> campaigns.CampaignDraft:
        phases = []
        for number in range(1, PHASE_ROWS + 1):
            parts = [self._value(f"phase_{number}_{part}") for part in PHASE_PARTS]
            if any(part.strip() for part in parts):
                phases.append(campaigns.PhaseDraft(*parts))
        return campaigns.CampaignDraft(
            name=self._value("name"),
            starts_on=self._value("starts_on"),
            ends_on=self._value("ends_on"),
            phases=tuple(phases),
            rules={rule.key: self._value(rule.key) for rule in campaigns.RULES},
        )

    def action_submit(self) -> None:
        self.call_service(
            campaigns.create_campaign,
            self.caller,
            self.draft(),
            on_done=self.dismiss,
            on_error=self.refused,
            group="submit",
            busy=_("Saving…"),
        )

    def refused(self, error: ServiceError) -> None:
        problems = error.problems if isinstance(error, ValidationFailed) else {}
        if not point_out(self, problems, self._labels(), field=self._field_for, hide_empty=True):
            self.say(error.message, "error")

    def _labels(self) -> dict[str, str]:
        """Each place a problem is shown, in the form's order, and what the summary calls it."""
        labels: dict[str, str] = {
            "name": _("Campaign name"),
            "starts_on": _("First day (YYYY-MM-DD)"),
            "ends_on": _("Last day (YYYY-MM-DD)"),
        }
        labels.update(
            {f"phase_{n}": _("Phase {number}", number=n) for n in range(1, PHASE_ROWS + 1)}
        )
        labels["phases"] = _("Phases")
        for rule in campaigns.RULES:
            labels[rule.key] = _(rule.label)
            if rule.key == "weight_fpy":
                labels["weights"] = _section_title(rule.section)
        return labels

    def _field_for(self, key: str) -> Input | None:
        candidates = {
            "phases": "phase_1_name",
            "weights": "weight_5s",
        }
        name = candidates.get(key, key)
        if name.startswith("phase_") and not name.endswith("_name"):
            name = f"{name}_name"
        found = self.query(f"#field-{name}")
        return found.first(Input) if found else None

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "form-submit":
            self.action_submit()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.leave(lambda: self.dismiss(None))
