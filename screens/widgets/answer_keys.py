"""Answer keys for the practice quiz and the assessment, like the defect report's quick
select: a digit (1 is the first choice) or a letter (A is the first) picks a choice and
Enter confirms it. The labels show both, so a hurried hand never has to reach for arrows.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option

LETTERS = "abcdef"  # up to six choices, as the question bank allows


def answer_bindings(action: str) -> list[Binding]:
    """Hidden bindings: 1-6 and A-F call `action(position)`."""
    return [
        *(Binding(str(n), f"{action}({n})", show=False) for n in range(1, len(LETTERS) + 1)),
        *(Binding(letter, f"{action}({n})", show=False) for n, letter in enumerate(LETTERS, 1)),
    ]


def letter_of(position: int) -> str:
    return LETTERS[position - 1].upper()


def choice_label(position: int, text: str) -> str:
    """ "B: 0 V": the letter the choice is picked by and its text, as the quiz and the
    assessment name an answer (a position of 0: no choice, the text alone)."""
    return f"{letter_of(position)}: {text}" if position else text


def choice_text(choices, position: int) -> str:
    """The choice at `position` as `choice_label` says it."""
    text = next((c.text for c in choices if c.position == position), "")
    return choice_label(position, text)


def choice_options(choices) -> list[Option]:
    """ "1 A  text": the two keys that pick a choice, then its text."""
    return [
        Option(Text(f"{c.position} {letter_of(c.position)}  {c.text}"), id=str(c.position))
        for c in choices
    ]


def keys_range(count: int) -> tuple[str, str]:
    """("1-4", "A-D") for four choices."""
    return f"1-{count}", f"A-{letter_of(count)}"


def highlight(choices: OptionList, position: int) -> None:
    choices.highlighted = position - 1
    choices.focus()
