"""Redo a screen's texts in the language just chosen, keeping everything else as it is.

A switch (Ctrl+L) must not lose the person's place: the screen stack, what was typed,
the focus, the rows loaded, which parts are shown all stay. So instead of building the
screen again, every text that came from the catalog is looked up again:

- key descriptions (the screen's and each widget's bindings: Footer and KeyHelp redraw);
- a Static/Label whose content is a `Tr` (made by `_`) or a text of the catalog;
- button labels, input placeholders, select prompts and options, tab labels, border
  titles, DataTable column headers and cells that hold a catalog text;
- the message line (screens.base.Message keeps what it said).

Texts a screen put together from data (a station card, a summary) come back through
the screen's `language_changed()` hook, which by default reloads the screen's data.

The private Textual parts touched here (DOMNode._bindings, BindingsMap.key_to_bindings,
Select._options, a DataTable column's content_width and DataTable._require_update_dimensions)
are pinned by tests/test_textual_internals.py, which fails by name on a Textual upgrade that
moves one; so are those the widgets use (DataTable._clear_caches in tables.py, Select._options
in quick_select.py, Input._on_key in scan_input.py).
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.content import Content
from textual.dom import DOMNode
from textual.widget import Widget

from kiosk.i18n import Tr, _, template_of, translate

if TYPE_CHECKING:  # loaded at the first language switch: not before the first screen
    from textual.widgets import DataTable, Select


def translate_bindings(node: DOMNode) -> None:
    """The node's key descriptions in the current language (its own copy of the bindings).

    The English descriptions are kept from the first call (a screen's constructor), so a
    switch back to English shows exactly what the code says."""
    originals: dict[tuple[str, str], str] = node.__dict__.setdefault("_qk_binding_english", {})
    bindings = node._bindings
    table: dict[str, list[Any]] = {}
    for key, items in bindings.key_to_bindings.items():
        fresh = []
        for binding in items:
            if binding.description:
                english = originals.setdefault((key, binding.action), binding.description)
                text = str(_(english)) if template_of(english) == english else english
                if text != binding.description:
                    binding = replace(binding, description=text)
            fresh.append(binding)
        table[key] = fresh
    bindings.key_to_bindings = table


def _again(widget: Widget, slot: str, value: Any, before: str) -> Any | None:
    """`value` (a text shown in `before`) in the current language; None when not ours.

    Texts made by `_` know their template. Others (a button's label, a column header) are
    looked up in the catalog once and their template kept on the widget, so switching back
    and forth never guesses between two English texts with one Chinese translation."""
    if isinstance(value, Tr):
        return value.again()
    if isinstance(value, str):
        plain = value
    elif isinstance(value, Text | Content):
        if value.spans:
            return None
        plain = value.plain
    else:
        return None
    memory: dict[str, str] = widget.__dict__.setdefault("_qk_templates", {})
    template = memory.get(slot)
    if template is None or translate(template, before) != plain:
        template = template_of(plain)
    if template is None:
        return None
    memory[slot] = template
    text = str(_(template))
    if isinstance(value, Text):
        return Text(text, style=value.style, justify=value.justify, end=value.end)
    return text


def _retranslate_widget(widget: Widget, before: str) -> None:
    # DataTable and Select cost a kiosk's start-up about 30 ms to import: here, not above
    from textual.widgets import Button, DataTable, Input, Select, Static, Tab

    from screens.base import Message
    from screens.widgets.status_bar import StatusBar

    if isinstance(widget, Message):
        widget.retranslate(before)
    elif isinstance(widget, StatusBar):  # the status bar: redraw now
        widget.refresh_status()
    elif isinstance(widget, Tab):
        label = _again(widget, "label", widget.label, before)
        if label is not None:
            widget.label = label
    elif isinstance(widget, Static):
        content = _again(widget, "content", widget.content, before)
        if content is not None:
            widget.update(content)
    elif isinstance(widget, Button):
        label = _again(widget, "label", widget.label, before)
        if label is not None:
            widget.label = label
    if isinstance(widget, Input) and widget.placeholder:
        placeholder = _again(widget, "placeholder", widget.placeholder, before)
        if placeholder is not None:
            widget.placeholder = placeholder
    if isinstance(widget, Select):
        _retranslate_select(widget, before)
    if isinstance(widget, DataTable):
        _retranslate_table(widget, before)
    if widget.border_title:
        title = _again(widget, "border_title", widget.border_title, before)
        if title is not None:
            widget.border_title = str(title)


def _retranslate_select(select: Select, before: str) -> None:
    from textual.widgets import Select

    prompt = _again(select, "prompt", select.prompt, before)
    if prompt is not None:
        select.prompt = prompt
    fresh = []
    changed = False
    for label, value in list(getattr(select, "_options", [])):
        if value is Select.NULL:  # the blank entry shows the prompt
            continue
        again = _again(select, f"option:{value}", label, before)
        changed = changed or again is not None
        fresh.append((again if again is not None else label, value))
    if not changed:
        return
    value = select.value
    with select.prevent(Select.Changed):
        select.set_options(fresh)
        if value is not Select.NULL:
            with contextlib.suppress(Exception):
                select.value = value


def _retranslate_table(table: DataTable, before: str) -> None:
    for key, column in table.columns.items():
        label = _again(table, f"column:{key.value}", column.label, before)
        if label is not None:
            column.label = label if isinstance(label, Text) else Text(str(label))
            column.content_width = max(column.content_width, column.label.cell_len)
    for row_key in list(table.rows):
        for column_key in list(table.columns):
            try:
                cell = table.get_cell(row_key, column_key)
            except Exception:  # a ragged row
                continue
            again = _again(table, f"cell:{row_key.value}:{column_key.value}", cell, before)
            if again is not None:
                table.update_cell(row_key, column_key, again, update_width=True)
    table._require_update_dimensions = True
    table.refresh()


def retranslate_screen(screen: Widget, before: str) -> None:
    """Every catalog text on `screen` (shown in `before`) in the current language; then the
    screen's own `language_changed` hook for what it made from data."""
    translate_bindings(screen)
    for node in list(screen.walk_children(with_self=False)):
        translate_bindings(node)
        if isinstance(node, Widget):
            _retranslate_widget(node, before)
    hook = getattr(screen, "language_changed", None)
    if callable(hook):
        hook()
    screen.refresh_bindings()
