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

    def render_keys(self) -> None:
        text = Text()
        seen: set[str] = set()
        for active in sorted(self.screen.active_bindings.values(), key=_order):
            binding = active.binding
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            if text:
                text.append("  ")
            key = self.app.get_key_display(binding)
            style = "" if active.enabled else "dim"
            text.append(f" {key} ", style=f"bold reverse {style}".strip())
            text.append(f" {binding.description}", style=style)
        self.update(text)


def _order(active) -> tuple[int, int, str]:
    """Function keys first, in number order (F2, F3, ... F12), then the rest by name."""
    key = active.binding.key
    if key.startswith("f") and key[1:].isdigit():
        return (0, int(key[1:]), key)
    return (1, 0, key)
