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

from kiosk.i18n import _


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

    _told = False  # said once that typing here picks nothing (until the next pick)

    def on_key(self, event: events.Key) -> None:
        if self.expanded or not event.character or not event.character.isprintable():
            return
        choices = self._choices()
        character = event.character
        if character == " ":
            return  # Select's own key: opens the list
        index = self._index_of(character, choices)
        if index is None:
            self._say_no_choice(character, len(choices))
            return
        event.stop()
        event.prevent_default()
        self._told = False
        self.value = choices[index][1]
        self.post_message(self.Picked(self))

    def _index_of(self, character: str, choices: list[tuple[str, str]]) -> int | None:
        """The option a key picks: a digit by its number, a letter the next option whose
        label starts with it; None when it picks none."""
        if character.isdigit() and character != "0":
            index = int(character) - 1
            return index if index < len(choices) else None
        if not character.isalpha():
            return None
        labels = [label.split(" ", 1)[-1].casefold() for label, _value in choices]
        starts = [n for n, label in enumerate(labels) if label.startswith(character.casefold())]
        if not starts:
            return None
        current = next((n for n, (_l, v) in enumerate(choices) if v == self.value), -1)
        return next((n for n in starts if n > current), starts[0])

    def _say_no_choice(self, character: str, count: int) -> None:
        """Typing into a choice (a description begun before the category was picked) would
        vanish without a word: say so, once, and how to pick."""
        if self._told or not count:
            return
        self._told = True
        self.notify(
            _(
                "“{key}” is not one of the choices here: a digit 1–{count} picks one, then "
                "type on in the next field.",
                key=character,
                count=min(count, 9),
            ),
            severity="warning",
            timeout=8,
        )
