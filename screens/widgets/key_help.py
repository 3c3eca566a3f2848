"""The keys a screen offers, wrapped over as many lines as the width needs.

Textual's Footer cuts off what does not fit in one line; on an 80-column
workshop terminal with a dozen function keys that hides half of them.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import ActiveBinding, Binding
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
        declared = _declared_order(self.screen)
        for active in sorted(
            self.screen.active_bindings.values(), key=lambda a: _order(a, declared)
        ):
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


def _declared_order(screen: object) -> dict[str, int]:
    """Each action's place in the screen's own BINDINGS (its class first, then the classes
    it is built on): the order the screen lists its keys in, which is the workflow's."""
    places: dict[str, int] = {}
    for cls in type(screen).__mro__:
        for binding in vars(cls).get("BINDINGS", ()):
            action = binding.action if isinstance(binding, Binding) else binding[1]
            places.setdefault(action, len(places))
    return places


def _order(active: ActiveBinding, declared: dict[str, int]) -> tuple[int, int, str]:
    """Function keys first, in number order (F2, F3, ... F12); then the screen's keys in the
    order it declares them (the workflow's: progress, fixed, verify, close...), never by
    letter; then the app's own (Ctrl+L)."""
    key = active.binding.key
    if key.startswith("f") and key[1:].isdigit():
        return (0, int(key[1:]), key)
    place = declared.get(active.binding.action)
    if place is not None:
        return (1, place, key)
    return (2, 0, key)
