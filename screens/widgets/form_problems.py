"""What every form does when its fields are refused: each problem under its field, a summary
at the top naming the fields ("2 fields need attention: Description, Quantity"), and the
focus on the first of them, scrolled into view (at 80x24 it may be below the fold)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from textual.widget import Widget
from textual.widgets import Static

from kiosk.i18n import current_language, ngettext

if TYPE_CHECKING:
    from screens.base import ServiceCalls


def short_label(label: str) -> str:
    """A field's label as the summary names it: "Day (YYYY-MM-DD)" is "Day"."""
    first = label.strip().split("\n")[0]
    return re.split(r"\s*[(（]", first)[0].rstrip(":：?？ ") or first


def summary(labels: list[str]) -> str:
    separator = "、" if current_language().startswith("zh") else ", "  # 描述、数量
    return ngettext(
        "{count} field needs attention: {fields}.",
        "{count} fields need attention: {fields}.",
        len(labels),
        fields=separator.join(short_label(label) for label in labels),
    )


def point_out(
    screen: ServiceCalls,
    problems: Mapping[str, str],
    labels: Mapping[str, str],
    *,
    field: Callable[[str], Widget | None] | None = None,
    hide_empty: bool = False,
) -> bool:
    """Show a refusal's `problems` (field name: message) on a form whose fields are `labels`
    (field name: label, in the form's order): `#error-<name>` under each field, the summary
    in the screen's message, the focus on the first bad field (`field(name)`, by default
    `#field-<name>`). Problems of no field are said after the summary. False (nothing said)
    when no problem names a field: the caller says the error as it is."""
    for name in labels:
        for error in screen.query(f"#error-{name}").results(Static):
            problem = problems.get(name, "")
            error.update(problem)
            if hide_empty or problem:
                error.display = bool(problem)
    bad = [name for name in labels if problems.get(name)]
    if not bad:
        return False
    others = [text for name, text in problems.items() if name not in labels]
    screen.say(" ".join([summary([labels[name] for name in bad]), *others]), "error")
    find = field or (lambda name: screen.query_one(f"#field-{name}"))
    widget = find(bad[0])
    if widget is not None:
        widget.focus()
        widget.scroll_visible(animate=False)
    return True
