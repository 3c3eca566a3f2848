"""The admin screens' form: a dialog with the fields in a scrolling list, a summary of
what is wrong at the top, each field's message under it, and the buttons always in view.

Everything typed stays until the service accepts it (a refusal, a bad field or a dropped
database loses nothing); at 80x24 the list scrolls to the focused field.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, Select, Static

from kiosk.i18n import _
from screens.action_form import ActionForm, FormField
from screens.base import Message

__all__ = ["AdminForm", "FormField"]


class AdminForm(ActionForm):
    """ActionForm's behaviour (Ctrl+S saves, Escape cancels, dismisses with the result),
    laid out for longer forms."""

    CSS_PATH = "admin_form.tcss"

    def compose(self) -> ComposeResult:
        with Vertical(id="admin-form"):
            yield Static(self.form_title, id="form-title", markup=False)
            yield Message()
            with VerticalScroll(id="form-fields"):
                for spec in self.fields:
                    yield Label(spec.label)
                    if spec.kind == "select":
                        offered = {value for _label, value in spec.options}
                        yield Select(
                            list(spec.options),
                            prompt=_("Choose…"),
                            id=f"field-{spec.name}",
                            # a value no longer offered (an inactive team): choose again
                            value=spec.value if spec.value in offered else Select.NULL,
                        )
                    else:
                        yield spec.text_input()
                    yield Static("", id=f"error-{spec.name}", classes="field-error", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button(_(self.submit_label), variant="primary", id="form-submit")
                yield Button(_("Cancel"), id="form-cancel")
