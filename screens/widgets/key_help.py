"""The keys a screen offers, wrapped over as many lines as the width needs.

Textual's Footer cuts off what does not fit in one line; on an 80-column
workshop terminal with a dozen function keys that hides half of them.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class KeyHelp(Static):
    DEFAULT_CSS = """
    KeyHelp {
        dock: bottom;
        height: auto;
        background: $panel;
        padding: 0 1;
    }
    """

    def __init__(self) -> None:
        super().__init__("", markup=False)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, lambda _screen: self.render_keys())
        self.render_keys()

    def on_resize(self) -> None:
        self.render_keys()

    def render_keys(self) -> None:
        items: list[Text] = []
        seen: set[str] = set()
        for active in sorted(self.screen.active_bindings.values(), key=_order):
            binding = active.binding
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            key = self.app.get_key_display(binding)
            offered = getattr(self.screen, "key_offered", None)
            enabled = active.enabled and (offered is None or offered(binding))
            item = Text(no_wrap=True)
            if enabled:
                item.append(f" {key} ", style="bold reverse")
                item.append(f" {binding.description}")
            else:  # greyed out: no key cap, struck through (not a dim grey lost on black)
                item.append(f" {key} ", style="strike")
                item.append(f" {binding.description}", style="strike italic")
            items.append(item)
        self.update(pack(items, self.size.width - 2))


def pack(items: list[Text], width: int) -> Text:
    """The keys in lines of at most `width` cells, a key never split from its description
    (Chinese descriptions are two cells a character and may wrap anywhere)."""
    text = Text()
    used = 0
    for item in items:
        if used and width > 0 and used + 2 + item.cell_len > width:
            text.append("\n")
            used = 0
        elif used:
            text.append("  ")
            used += 2
        text.append_text(item)
        used += item.cell_len
    return text


def _order(active) -> tuple[int, int, str]:
    """Function keys first, in number order (F2, F3, ... F12), then the rest by name."""
    key = active.binding.key
    if key.startswith("f") and key[1:].isdigit():
        return (0, int(key[1:]), key)
    return (1, 0, key)
