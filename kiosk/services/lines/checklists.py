"""The inspection checklist as data: items imported from a TOML or CSV file, upserted by code.

The weekly inspections (inspections.py) check each line against the active items.
`kiosk import checklist FILE` and the demo plant (kiosk/data/checklist.toml) come here.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from kiosk.clock import SystemClock
from kiosk.errors import ValidationFailed
from kiosk.i18n import _
from kiosk.services.platform import uow
from kiosk.services.platform.auth import record_action
from kiosk.services.platform.tabular import NESTED_TOO_DEEPLY, read_utf8_text
from kiosk.services.platform.text import clean_text, csv_rows, shorten
from models import ChecklistItem
from models.defects import CATEGORIES_5M1E
from models.inspections import CHECKLIST_AREAS

ITEM_TEXT_MAX = 300
POSITION_MAX = 100_000
IMPORT_MAX_BYTES = 1_000_000
FILE_KEYS = ("code", "area", "text", "category", "position")
REQUIRED_KEYS = FILE_KEYS[:4]
_ITEM_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,31}$")
_TOML_ITEM_HEADER = re.compile(r"^\s*\[\[\s*item\s*\]\]")


@dataclass(frozen=True)
class ChecklistEntry:
    """A validated checklist item read from a file."""

    code: str
    area: str
    text: str
    category: str
    position: int


def import_checklist(path: Path | str, *, who: str = "") -> int:
    """Insert or update checklist items from a TOML or CSV file; all or nothing.

    TOML: `[[item]]` tables with code, area, text, category and an optional
    position. CSV: a header `code,area,text,category[,position]`. Every row is
    checked first; any problem refuses the whole file (ValidationFailed naming
    each bad row's line). Returns the number of items in the file.
    """
    path = Path(path)
    kind = path.suffix.lower()
    if kind not in (".toml", ".csv"):
        raise ValidationFailed(
            {
                "file": _(
                    "{name}: a checklist is a .toml or a .csv file, not {value}.",
                    name=path.name,
                    value=kind or "this",
                )
            }
        )
    text = read_utf8_text(path, IMPORT_MAX_BYTES)
    entries = _entries_from_toml(text, path.name) if kind == ".toml" else _entries_from_csv(text)
    return _upsert(entries, source=path.name, who=who)


def load_default_checklist() -> int:
    """The checklist shipped with the kiosk (kiosk/data/checklist.toml)."""
    resource = resources.files("kiosk").joinpath("data/checklist.toml")
    return _upsert(_entries_from_toml(resource.read_text(encoding="utf-8"), "checklist.toml"))


def _entries_from_toml(text: str, source: str) -> list[ChecklistEntry]:
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise ValidationFailed({"file": _(NESTED_TOO_DEEPLY, name=source)}) from None
    except tomllib.TOMLDecodeError as exc:
        raise ValidationFailed(
            {"file": _("{source} is not valid TOML: {exc}.", source=source, exc=exc)}
        ) from None
    items = data.get("item")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        others = ", ".join(sorted(data)) or "nothing"
        raise ValidationFailed(
            {
                "file": _(
                    "{source} holds no [[item]] tables (it holds: {others}).",
                    source=source,
                    others=shorten(others, 60),
                )
            }
        )
    headers = [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if _TOML_ITEM_HEADER.match(line)
    ]
    rows: list[tuple[str, Mapping[str, object]]]
    if len(headers) == len(items):
        rows = [
            (_("item {n} (line {line})", n=n, line=line), item)
            for n, (line, item) in enumerate(zip(headers, items, strict=True), start=1)
        ]
    else:
        rows = [(f"item {n}", item) for n, item in enumerate(items, start=1)]
    return _validated(rows, source)


def _entries_from_csv(text: str) -> list[ChecklistEntry]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_line = 0
    rows: list[tuple[str, Mapping[str, object]]] = []
    problems: dict[str, str] = {}
    try:
        for start, row in csv_rows(reader):
            if header is None:
                header, header_line = [cell.strip().lower() for cell in row], start
                _check_csv_header(header, header_line)
                continue
            location = f"line {start}"
            cells = list(row)
            while len(cells) > len(header) and not cells[-1].strip():
                cells.pop()  # trailing empty cells (a spreadsheet's extra commas)
            if len(cells) != len(header):
                problems[location] = _(
                    "{location}: has {count} fields, the header on line {header_line} names "
                    "{count2}",
                    location=location,
                    count=len(cells),
                    header_line=header_line,
                    count2=len(header),
                )
                continue
            rows.append((location, dict(zip(header, cells, strict=True))))
    except csv.Error as exc:
        raise ValidationFailed(
            {
                "file": _(
                    "line {line_num}: the CSV cannot be read there ({exc}).",
                    line_num=reader.line_num,
                    exc=exc,
                )
            }
        ) from None
    if header is None:
        raise ValidationFailed({"file": _("The file is empty: no header, no items.")})
    entries, more = _check_rows(rows)
    problems.update(more)
    if problems:
        ordered = sorted(problems.items(), key=lambda pair: int(pair[0].split()[-1]))
        raise ValidationFailed(dict(ordered))
    if not entries:
        raise ValidationFailed({"file": _("The file holds a header but no checklist items.")})
    return entries


def _check_csv_header(header: list[str], line: int) -> None:
    missing = [key for key in REQUIRED_KEYS if key not in header]
    unknown = [key for key in header if key not in FILE_KEYS]
    doubled = sorted({key for key in header if header.count(key) > 1})
    if missing or unknown or doubled:
        details = []
        if missing:
            details.append(f"missing {', '.join(missing)}")
        if unknown:
            details.append(f"unknown {', '.join(shorten(key, 20) for key in unknown)}")
        if doubled:
            details.append(_("named twice {items}", items=", ".join(doubled)))
        raise ValidationFailed(
            {
                "header": _(
                    "line {line}: the header must be code,area,text,category[,position] ({items}).",
                    line=line,
                    items="; ".join(details),
                )
            }
        )


def _validated(rows: list[tuple[str, Mapping[str, object]]], source: str) -> list[ChecklistEntry]:
    entries, problems = _check_rows(rows)
    if problems:
        raise ValidationFailed(problems)
    if not entries:
        raise ValidationFailed({"file": _("{source} holds no checklist items.", source=source)})
    return entries


def _check_rows(
    rows: list[tuple[str, Mapping[str, object]]],
) -> tuple[list[ChecklistEntry], dict[str, str]]:
    """Validate every row; duplicate codes are reported on their second use."""
    entries: list[ChecklistEntry] = []
    problems: dict[str, str] = {}
    first_use: dict[str, str] = {}
    for number, (location, fields) in enumerate(rows, start=1):
        entry, found = _check_fields(fields, number)
        code = entry.code if entry else _clean_code(fields.get("code"))
        if code and _ITEM_CODE.match(code):
            if code in first_use:
                found.append(
                    _(
                        "code {code} is used twice (first at {first_use})",
                        code=code,
                        first_use=first_use[code],
                    )
                )
            else:
                first_use[code] = location
        if found:
            problems[location] = f"{location}: {'; '.join(found)}"
        elif entry is not None:
            entries.append(entry)
    return entries, problems


def _clean_code(value: object) -> str:
    return clean_text(value).upper() if isinstance(value, str) else ""


def _text_value(fields: Mapping[str, object], key: str, found: list[str]) -> str:
    value = fields.get(key)
    if value is None:
        found.append(_("{key} is missing", key=key))
        return ""
    if not isinstance(value, str):
        found.append(_("{key} must be text (in quotes)", key=key))
        return ""
    cleaned = clean_text(value)
    if not cleaned:
        found.append(_("{key} is empty", key=key))
    return cleaned


def _check_fields(
    fields: Mapping[str, object], number: int
) -> tuple[ChecklistEntry | None, list[str]]:
    found: list[str] = []
    unknown = [key for key in fields if key not in FILE_KEYS]
    for key in unknown:
        found.append(
            _(
                "unknown key {key!r} (keys: {items})",
                key=shorten(str(key), 20),
                items=", ".join(FILE_KEYS),
            )
        )
    code = _text_value(fields, "code", found).upper()
    if code and not _ITEM_CODE.match(code):
        found.append(
            _(
                "code {code!r} may hold only letters, digits, '.', '_' and '-' (at most 32 "
                "characters)",
                code=shorten(code, 40),
            )
        )
    area_given = _text_value(fields, "area", found)
    areas = {area.lower(): area for area in CHECKLIST_AREAS}
    area = areas.get(area_given.lower(), "")
    if area_given and not area:
        found.append(
            _(
                "area {area_given!r} is not one of: {items}",
                area_given=shorten(area_given, 30),
                items=", ".join(CHECKLIST_AREAS),
            )
        )
    text = _text_value(fields, "text", found)
    if len(text) > ITEM_TEXT_MAX:
        found.append(
            _(
                "text is {count} characters long; keep it to {ITEM_TEXT_MAX}",
                count=len(text),
                ITEM_TEXT_MAX=ITEM_TEXT_MAX,
            )
        )
    category = _text_value(fields, "category", found).lower()
    if category and category not in CATEGORIES_5M1E:
        found.append(
            _(
                "category {category!r} is not a 5M1E category ({items})",
                category=shorten(category, 20),
                items=", ".join(CATEGORIES_5M1E),
            )
        )
    position = _position(fields.get("position"), number, found)
    if found:
        return None, found
    return ChecklistEntry(code, area, text, category, position), found


def _position(value: object, default: int, found: list[str]) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    else:
        try:
            number = int(str(value).strip())
        except ValueError:
            number = None
    if number is None or not 0 <= number <= POSITION_MAX:
        found.append(
            _(
                "position {value!r} is not a whole number 0..{POSITION_MAX}",
                value=shorten(str(value), 20),
                POSITION_MAX=POSITION_MAX,
            )
        )
        return default
    return number


@uow.write
def _upsert(entries: list[ChecklistEntry], *, source: str = "", who: str = "") -> int:
    """Insert or update the items by code; with a `source` file, audited in the same
    transaction."""
    for entry in entries:
        ChecklistItem.insert(
            code=entry.code,
            area=entry.area,
            text=entry.text,
            category=entry.category,
            position=entry.position,
            active=True,
        ).on_conflict(
            conflict_target=[ChecklistItem.code],
            update={
                ChecklistItem.area: entry.area,
                ChecklistItem.text: entry.text,
                ChecklistItem.category: entry.category,
                ChecklistItem.position: entry.position,
                ChecklistItem.active: True,
            },
        ).execute()
    if source:
        detail = f"{len(entries)} checklist items"
        record_action(
            None,
            "import_checklist",
            shorten(source, 128),
            SystemClock().now(),
            detail=f"{detail}; by {who}" if who else detail,
        )
    return len(entries)
