"""A Select that picks by key while it is closed, for hurried hands at a kiosk.

A digit picks the option with that number (1 is the first; the labels show the numbers),
a letter the next option whose label starts with it. Either way the form hears `Picked`
and may move on to the next field, so a choice costs one key instead of Enter, arrows
and Enter again.
"""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import Select


def numbered(choices: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Labels with the digit that picks them: "2 Machine" (up to nine options)."""
    return [
        (f"{number} {label}" if number <= 9 else label, value)
        for number, (label, value) in enumerate(choices, start=1)
    ]


class QuickSelect(Select[str]):
    class Picked(Message):
        """An option was picked by a key (not by opening the list)."""

        def __init__(self, select: QuickSelect) -> None:
            super().__init__()
            self.select = select

        @property
        def control(self) -> QuickSelect:
            return self.select

    def _choices(self) -> list[tuple[str, str]]:
        return [(str(label), value) for label, value in self._options if isinstance(value, str)]

    def on_key(self, event: events.Key) -> None:
        if self.expanded or not event.character or not event.character.isprintable():
            return
        choices = self._choices()
        character = event.character
        if character.isdigit() and character != "0":
            index = int(character) - 1
            if index >= len(choices):
                return
        elif character.isalpha():
            labels = [label.split(" ", 1)[-1].casefold() for label, _value in choices]
            starts = [n for n, label in enumerate(labels) if label.startswith(character.casefold())]
            if not starts:
                return
            current = next((n for n, (_l, v) in enumerate(choices) if v == self.value), -1)
            index = next((n for n in starts if n > current), starts[0])
        else:
            return
        event.stop()
        event.prevent_default()
        self.value = choices[index][1]
        self.post_message(self.Picked(self))
