"""Cleaning text that came from a scanner, a keyboard or a paste."""

from __future__ import annotations

import re

_ESCAPE_SEQUENCE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|.)",
    re.DOTALL,
)
_INVISIBLE = "\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff"
_CONTROL = re.compile(rf"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]")
_CONTROL_EXCEPT_NEWLINE = re.compile(rf"[\x00-\x09\x0b-\x1f\x7f-\x9f{_INVISIBLE}]")


def clean_text(text: str, *, keep_newlines: bool = False) -> str:
    """Drop terminal escape sequences, control and invisible characters; trim spaces."""
    control = _CONTROL_EXCEPT_NEWLINE if keep_newlines else _CONTROL
    return control.sub("", _ESCAPE_SEQUENCE.sub("", text)).strip()


def shorten(text: str, limit: int = 40) -> str:
    """Cleaned text cut to `limit` characters, for quoting back on screen."""
    text = clean_text(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
