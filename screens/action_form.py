"""A small dialog that collects a few fields and runs one service call with them.

The dialog stays open with everything typed until the service accepts it, so a
refusal, a missing field or a dropped database never loses what was entered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from kiosk.errors import ServiceError, ValidationFailed
from kiosk.i18n import N_, _
from screens.base import KioskModal, Message
from screens.discard import AsksBeforeDiscarding
from screens.widgets.form_problems import point_out
from screens.widgets.limited_input import DATE_LENGTH, LimitedInput
from screens.widgets.quick_select import QuickSelect, numbered

SHORT_LENGTH = 64  # a number or a code (a badge): long enough for any scan


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    # "input" (free text: its length counted), "select", or "date", "number", "code" (typed
    # or scanned in a few characters: no counter)
    kind: str = "input"
    options: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (label, value)
    placeholder: str = ""
    max_length: int = 1000
    value: str = ""  # what the field starts with

    def text_input(self) -> LimitedInput:
        """The input for a field that is not a select."""
        short = {"date": DATE_LENGTH, "number": SHORT_LENGTH, "code": SHORT_LENGTH}
        return LimitedInput(
            self.value,
            placeholder=self.placeholder or ("YYYY-MM-DD" if self.kind == "date" else ""),
            id=f"field-{self.name}",
            max_length=min(self.max_length, short.get(self.kind, self.max_length)),
            counter=self.kind == "input",
        )


class ActionForm(AsksBeforeDiscarding, KioskModal):
    """Dismisses with the service's result, or None when cancelled (Esc or Cancel with
    something typed asks first: screens/discard.py)."""

    CSS_PATH: ClassVar[str | PurePath | list[str | PurePath] | None] = "action_form.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "submit", "Save")]

    def __init__(
        self,
        title: str,
        fields: list[FormField],
        submit: Callable[[dict[str, str | None]], Any],
        submit_label: str = N_("Save"),
    ) -> None:
        super().__init__()
        self.form_title = title
        self.fields = fields
        self.submit = submit
        self.submit_label = submit_label

    def compose(self) -> ComposeResult:
        with Vertical(id="action-form"):
            with Horizontal(id="form-buttons"):  # docked at the bottom: always in view
                yield Button(_(self.submit_label), variant="primary", id="form-submit")
                yield Button(_("Cancel"), id="form-cancel")
                yield Static(_("Ctrl+S saves · Esc cancels"), id="form-hint")
            with Vertical(id="form-head"):  # docked at the top: what is wrong stays in view
                yield Static(self.form_title, id="form-title", markup=False)
                yield Message()
            with VerticalScroll(id="form-fields"):  # scrolls to the focused field at 80x24
                yield from self.compose_fields()

    def compose_fields(self) -> ComposeResult:
        for spec in self.fields:
            yield Label(spec.label)
            if spec.kind == "select" and len(spec.options) <= 9:  # a digit picks one
                yield QuickSelect(
                    numbered(list(spec.options)),
                    prompt=_("Choose…"),
                    id=f"field-{spec.name}",
                    value=spec.value if spec.value else Select.NULL,
                )
            elif spec.kind == "select":
                yield Select(
                    list(spec.options),
                    prompt=_("Choose…"),
                    id=f"field-{spec.name}",
                    value=spec.value if spec.value else Select.NULL,
                )
            else:
                yield spec.text_input()
            yield Static("", id=f"error-{spec.name}", classes="field-error", markup=False)

    def on_mount(self) -> None:
        if self.fields:
            self.query_one(f"#field-{self.fields[0].name}").focus()
        else:
            self.query_one("#form-submit", Button).focus()
        self.remember_start()

    def values(self) -> dict[str, str | None]:
        values: dict[str, str | None] = {}
        for spec in self.fields:
            widget = self.query_one(f"#field-{spec.name}")
            if isinstance(widget, Select):
                values[spec.name] = None if widget.value is Select.NULL else str(widget.value)
            else:
                assert isinstance(widget, Input)
                values[spec.name] = widget.value
        return values

    def action_submit(self) -> None:
        self.call_service(
            self.submit,
            self.values(),
            on_done=self.dismiss,
            on_error=self.refused,
            group="submit",
            busy=_("Saving…"),
        )

    def refused(self, error: ServiceError) -> None:
        """Each field's problem under it, the fields named at the top, the first focused."""
        problems = error.problems if isinstance(error, ValidationFailed) else {}
        if not point_out(self, problems, {spec.name: spec.label for spec in self.fields}):
            self.say(error.message, "error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "form-submit":
            self.action_submit()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.leave(lambda: self.dismiss(None))
