"""The admin screens' form: a dialog with the fields in a scrolling list, a summary of
what is wrong at the top, each field's message under it, and the buttons always in view.

Everything typed stays until the service accepts it (a refusal, a bad field or a dropped
database loses nothing); at 80x24 the list scrolls to the focused field.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, Select, Static

from kiosk.errors import ServiceError, ValidationFailed
from kiosk.i18n import _
from screens.action_form import ActionForm, FormField
from screens.base import Message
from screens.widgets.limited_input import LimitedInput

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
                        yield LimitedInput(
                            spec.value,
                            placeholder=spec.placeholder,
                            id=f"field-{spec.name}",
                            max_length=spec.max_length,
                        )
                    yield Static("", id=f"error-{spec.name}", classes="field-error", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button(_(self.submit_label), variant="primary", id="form-submit")
                yield Button(_("Cancel"), id="form-cancel")

    def refused(self, error: ServiceError) -> None:
        """Each field's message under it; at the top, which fields to look at."""
        problems = error.problems if isinstance(error, ValidationFailed) else {}
        labels = []
        for spec in self.fields:
            problem = problems.get(spec.name, "")
            self.query_one(f"#error-{spec.name}", Static).update(problem)
            if problem:
                labels.append(spec.label)
        others = [text for name, text in problems.items() if name not in self._names()]
        if labels:
            summary = _("Please check: {fields}.", fields="; ".join(labels))
            self.say(" ".join([summary, *others]), "error")
            first = next(spec for spec in self.fields if spec.name in problems)
            self.query_one(f"#field-{first.name}").focus()
        else:
            self.say(error.message, "error")

    def _names(self) -> set[str]:
        return {spec.name for spec in self.fields}
