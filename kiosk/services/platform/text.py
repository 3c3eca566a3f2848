"""Cleaning text that came from a scanner, a keyboard or a paste."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from kiosk.i18n import _

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
    """Cleaned text cut to `limit` characters, for quoting back on screen. A cut inside a
    double-quoted part closes the quote after the ellipsis, so no quote is left open."""
    text = clean_text(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1] + "…"
    return cut + '"' if cut.count('"') % 2 else cut


def header_problems(names: list[str], known: Iterable[str], required: Iterable[str]) -> list[str]:
    """What is wrong with a CSV header row: unknown, doubled and missing columns."""
    known = set(known)
    problems: list[str] = []
    unknown = [name for name in names if name not in known]
    if unknown:
        problems.append(
            _("unknown column(s) {items}", items=", ".join(repr(shorten(u, 20)) for u in unknown))
        )
    doubled = sorted(name for name, count in Counter(names).items() if count > 1)
    if doubled:
        problems.append(_("column(s) {items} given twice", items=", ".join(doubled)))
    present = set(names)
    missing = [name for name in required if name not in present]
    if missing:
        problems.append(_("missing column(s) {items}", items=", ".join(missing)))
    return problems


def csv_rows(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """(the line a row starts on, its cells) for every row of a csv.reader that has
    something in it; blank rows are skipped, csv.Error reaches the caller."""
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        if any(cell.strip() for cell in row):
            yield line, row
