"""Weekly line inspections ("Eagle Eye" 5): checklist data, inspections, results.

Team leaders (and above) inspect each line once a week against the active
checklist items (5S/7S and standardized operation). Every item gets pass, fail
or n/a; a failed item needs a note and raises a defect in one step. The
checklist itself is data: imported from a TOML or CSV file, upserted by code.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

from peewee import JOIN

from kiosk.clock import Clock, SystemClock, format_local, to_local
from kiosk.errors import NotFound, ValidationFailed
from kiosk.i18n import N_, _
from kiosk.services.defects.defects import DefectDraft, DefectReceipt, receipt_of, report_defect
from kiosk.services.platform.auth import EmployeeView, record_action, require_role
from kiosk.services.platform.tabular import NESTED_TOO_DEEPLY, read_utf8_text
from kiosk.services.platform.text import clean_text, csv_rows, shorten
from kiosk.services.platform.uow import read_only, transaction
from models import (
    ChecklistItem,
    Defect,
    Employee,
    Inspection,
    InspectionResult,
    ProductionLine,
    Station,
    Team,
    db,
)
from models.defects import CATEGORIES_5M1E
from models.inspections import CHECKLIST_AREAS, OUTCOMES

MINIMUM_ROLE = "team_leader"
ACTION = "run_an_inspection"  # refusal: "Only a team leader or above may run an inspection."
NOTE_MAX = 500
ITEM_TEXT_MAX = 300
POSITION_MAX = 100_000
IMPORT_MAX_BYTES = 1_000_000
FILE_KEYS = ("code", "area", "text", "category", "position")
REQUIRED_KEYS = FILE_KEYS[:4]
OUTCOME_ALIASES = {"pass": "pass", "fail": "fail", "n/a": "n/a", "na": "n/a", "n.a.": "n/a"}
_ITEM_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,31}$")
_TOML_ITEM_HEADER = re.compile(r"^\s*\[\[\s*item\s*\]\]")
OUTCOME_WORDS = {"pass": N_("pass"), "fail": N_("FAIL"), "n/a": N_("n/a")}


# -- views handed to screens ------------------------------------------------------


@dataclass(frozen=True)
class StationOption:
    code: str
    name: str


@dataclass(frozen=True)
class ItemResultView:
    """One checklist item with this inspection's result for it (outcome None: unchecked)."""

    code: str
    area: str
    text: str
    category: str
    outcome: str | None
    note: str
    defect_id: str | None
    defect_short_id: str | None
    recorded_at: datetime | None


@dataclass(frozen=True)
class InspectionView:
    id: str
    week: str
    line_code: str
    line_name: str
    team_name: str
    inspector_name: str
    started_at: datetime
    completed_at: datetime | None
    items: tuple[ItemResultView, ...]
    stations: tuple[StationOption, ...]
    resumed: bool = False

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def checked(self) -> int:
        return sum(1 for item in self.items if item.outcome is not None)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.items if item.outcome is None)

    @property
    def completed(self) -> bool:
        return self.completed_at is not None

    @property
    def progress_text(self) -> str:
        return _("{checked} of {total} items checked", checked=self.checked, total=self.total)

    def count(self, outcome: str) -> int:
        return sum(1 for item in self.items if item.outcome == outcome)

    def item(self, code: str) -> ItemResultView | None:
        return next((item for item in self.items if item.code == code), None)


@dataclass(frozen=True)
class LineView:
    """A line and where its inspection stands in the current week."""

    id: int
    code: str
    name: str
    team_name: str
    week: str
    status: str  # "not inspected", "in progress" or "completed"
    inspection_id: str | None
    inspector_name: str
    checked: int
    total: int
    completed_at: datetime | None


@dataclass(frozen=True)
class ChecklistEntry:
    """A validated checklist item read from a file."""

    code: str
    area: str
    text: str
    category: str
    position: int


def iso_week(moment: datetime) -> str:
    """The ISO week of a moment in this terminal's local time, e.g. "2025-W37"."""
    year, week, _day = to_local(moment).isocalendar()
    return f"{year}-W{week:02d}"


# -- checklist import ---------------------------------------------------------------


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


def _upsert(entries: list[ChecklistEntry], *, source: str = "", who: str = "") -> int:
    """Insert or update the items by code; with a `source` file, audited in the same
    transaction."""
    with transaction():
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


# -- inspections ----------------------------------------------------------------------


def start_inspection(
    inspector: EmployeeView,
    line_code: str,
    *,
    clock: Clock | None = None,
    terminal: str | None = None,
) -> InspectionView:
    """Start this week's inspection of a line, or resume the one already under way."""
    clock = clock or SystemClock()
    code = clean_text(line_code).upper()
    _require_leader(inspector, f"line {shorten(code, 32)}", clock, terminal)
    with transaction():
        line = _locked(
            ProductionLine.select().where((ProductionLine.code == code) & ProductionLine.active)
        ).first()
        if line is None:
            raise NotFound(
                _("Line {code} is not known here (or no longer active).", code=shorten(code))
            )
        employee = _active_employee(inspector)
        if not ChecklistItem.select().where(ChecklistItem.active).exists():
            raise NotFound(
                _(
                    "There is no inspection checklist yet. Ask the quality office to import one "
                    "(kiosk import checklist FILE)."
                )
            )
        now = clock.now()
        week = iso_week(now)
        underway = (
            Inspection.select()
            .where(
                (Inspection.line == line)
                & (Inspection.week == week)
                & Inspection.completed_at.is_null()
            )
            .order_by(Inspection.started_at)
            .first()
        )
        if underway is not None:
            return _view(underway, resumed=True)
        inspection = Inspection.create(line=line, inspector=employee, week=week, started_at=now)
        record_action(
            employee, "start_inspection", f"line {line.code} {week}", now, terminal=terminal
        )
        return _view(inspection)


def record_result(
    inspector: EmployeeView,
    inspection_id: str | uuid.UUID,
    item_code: str,
    outcome: str,
    note: str = "",
    *,
    change: bool = False,
    clock: Clock | None = None,
    terminal: str | None = None,
) -> InspectionView:
    """Record pass / fail / n/a for one item.

    A recorded result changes to another outcome only when asked explicitly
    (``change=True``, the screen's confirmation) and the change is audited. A failed
    result that raised a defect stays failed: the defect follows it up.
    """
    clock = clock or SystemClock()
    _require_leader(inspector, f"inspection {str(inspection_id)[:8]}", clock, terminal)
    outcome = OUTCOME_ALIASES.get(clean_text(outcome or "").lower(), "")
    if outcome not in OUTCOMES:
        raise ValidationFailed({"outcome": _("Choose pass, fail or n/a.")})
    note = clean_text(note or "")
    if len(note) > NOTE_MAX:
        raise ValidationFailed(
            {
                "note": _(
                    "The note is {count:,} characters long; keep it to {NOTE_MAX}.",
                    count=len(note),
                    NOTE_MAX=NOTE_MAX,
                )
            }
        )
    if outcome == "fail" and not note:
        raise ValidationFailed({"note": _("A failed item needs a note: say what is wrong.")})
    with transaction():
        inspection = _open_inspection(inspection_id)
        item = _item(item_code, inspection)
        now = clock.now()
        recorded = _locked(
            InspectionResult.select().where(
                (InspectionResult.inspection == inspection) & (InspectionResult.item == item)
            )
        ).first()
        if recorded is not None and recorded.outcome != outcome:
            _check_change(recorded, item, outcome, change)
            record_action(
                _active_employee(inspector),
                "change_inspection_result",
                f"inspection {str(inspection.id)[:8]} {item.code}",
                now,
                detail=f"{recorded.outcome} -> {outcome}; note was: {shorten(recorded.note, 200)}",
                terminal=terminal,
            )
        InspectionResult.insert(
            inspection=inspection, item=item, outcome=outcome, note=note, recorded_at=now
        ).on_conflict(
            conflict_target=[InspectionResult.inspection, InspectionResult.item],
            update={
                InspectionResult.outcome: outcome,
                InspectionResult.note: note,
                InspectionResult.recorded_at: now,
            },
        ).execute()
        return _view(inspection)


def _check_change(recorded: InspectionResult, item: ChecklistItem, outcome: str, change: bool):
    """Refuse a silent flip of a recorded result, and any flip of a failure with a defect."""
    if recorded.outcome == "fail" and recorded.defect_id is not None:
        raise ValidationFailed(
            {
                "outcome": _(
                    "{code} stays FAIL: defect {defect_short_id} was raised from it. Follow the "
                    "defect up instead.",
                    code=item.code,
                    defect_short_id=str(recorded.defect_id)[:8],
                )
            }
        )
    if not change:
        raise ValidationFailed(
            {
                "change": _(
                    "{code} is already recorded as {old}. Confirm to change it to {new}.",
                    code=item.code,
                    old=_(OUTCOME_WORDS[recorded.outcome]),
                    new=_(OUTCOME_WORDS[outcome]),
                )
            }
        )


def raise_defect_from_failure(
    inspector: EmployeeView,
    inspection_id: str | uuid.UUID,
    item_code: str,
    station_code: str,
    *,
    clock: Clock | None = None,
    terminal: str | None = None,
) -> DefectReceipt:
    """Report the defect behind a failed item in one step; once per result.

    The draft is pre-filled from the item (its 5M1E category, severity minor,
    source inspection) and the note. A second call for the same result returns
    the defect already raised.
    """
    clock = clock or SystemClock()
    _require_leader(inspector, f"inspection {str(inspection_id)[:8]}", clock, terminal)
    with transaction():
        inspection = _inspection(inspection_id)
        item = _item(item_code, inspection)
        result = _locked(
            InspectionResult.select().where(
                (InspectionResult.inspection == inspection) & (InspectionResult.item == item)
            )
        ).first()
        if result is None or result.outcome != "fail":
            raise ValidationFailed(
                {
                    "outcome": _(
                        "{code} is not marked failed: only a failed item raises a defect.",
                        code=item.code,
                    )
                }
            )
        if result.defect_id is not None:
            existing = Defect.get_or_none(Defect.id == result.defect_id)
            if existing is not None:
                return receipt_of(existing)
        wanted = clean_text(station_code or "").upper()
        station = Station.get_or_none(
            (Station.code == wanted) & (Station.line == inspection.line_id) & Station.active
        )
        if station is None:
            raise ValidationFailed(
                {
                    "station": _(
                        "Station {value} is not on line {code}: choose one of its stations.",
                        value=shorten(wanted) or "(none)",
                        code=inspection.line.code,
                    )
                }
            )
        receipt = report_defect(
            inspector,
            DefectDraft(
                station_code=station.code,
                category=item.category,
                severity="minor",
                source="inspection",
                description=(
                    f"Inspection {inspection.week} {item.code}: {item.text.rstrip('. ')}. "
                    f"{result.note}"
                ),
            ),
            terminal=terminal,
            clock=clock,
        )
        InspectionResult.update(defect=uuid.UUID(receipt.id)).where(
            InspectionResult.id == result.id
        ).execute()
        return receipt


def complete_inspection(
    inspector: EmployeeView,
    inspection_id: str | uuid.UUID,
    *,
    clock: Clock | None = None,
    terminal: str | None = None,
) -> InspectionView:
    """Close the inspection once every active item has a result (idempotent)."""
    clock = clock or SystemClock()
    _require_leader(inspector, f"inspection {str(inspection_id)[:8]}", clock, terminal)
    with transaction():
        inspection = _inspection(inspection_id)
        if inspection.completed_at is not None:
            return _view(inspection)
        view = _view(inspection)
        if view.missing:
            raise ValidationFailed(
                {
                    "missing": _(
                        "{count} of {total} items are not checked yet: {items}. Check them, "
                        "then complete.",
                        count=len(view.missing),
                        total=view.total,
                        items=", ".join(view.missing),
                    )
                }
            )
        now = clock.now()
        Inspection.update(completed_at=now).where(Inspection.id == inspection.id).execute()
        record_action(
            _active_employee(inspector),
            "complete_inspection",
            f"line {view.line_code} {view.week}",
            now,
            terminal=terminal,
        )
        return _view(Inspection.get_by_id(inspection.id))


@read_only
def inspection_view(inspection_id: str | uuid.UUID) -> InspectionView:
    """An inspection with every item's current outcome, note and defect."""
    return _view(_inspection(inspection_id, lock=False))


@read_only
def lines_for_inspection(*, clock: Clock | None = None) -> list[LineView]:
    """Every active line with this week's inspection status."""
    return _line_views(clock or SystemClock())


@read_only
def lines_missing_inspection(*, clock: Clock | None = None) -> list[LineView]:
    """Active lines with no completed inspection in the current week (supervisor board)."""
    return [line for line in _line_views(clock or SystemClock()) if line.status != "completed"]


# -- helpers -----------------------------------------------------------------------------


def _require_leader(
    inspector: EmployeeView, target: str, clock: Clock, terminal: str | None
) -> None:
    # Before any transaction of ours: the refusal's audit row must not be rolled back.
    require_role(inspector, MINIMUM_ROLE, ACTION, target=target, terminal=terminal, clock=clock)


def _locked(query):
    """Row locks on PostgreSQL; SQLite's write transactions are exclusive already."""
    return query.for_update() if db.is_postgresql() else query


def _active_employee(person: EmployeeView) -> Employee:
    employee = Employee.get_or_none((Employee.id == person.id) & Employee.active)
    if employee is None:
        raise NotFound(_("Your badge is no longer active. Sign in again."))
    return employee


def _inspection(inspection_id: str | uuid.UUID, *, lock: bool = True) -> Inspection:
    missing = NotFound(_("That inspection is not known any more. Choose the line again."))
    try:
        key = uuid.UUID(str(inspection_id))
    except ValueError:
        raise missing from None
    query = Inspection.select().where(Inspection.id == key)
    inspection = (_locked(query) if lock else query).first()
    if inspection is None:
        raise missing
    return inspection


def _open_inspection(inspection_id: str | uuid.UUID) -> Inspection:
    inspection = _inspection(inspection_id)
    if inspection.completed_at is not None:
        raise ValidationFailed(
            {
                "inspection": _(
                    "The inspection of line {code} for {week} was completed at {time}; its "
                    "results can no longer change.",
                    code=inspection.line.code,
                    week=inspection.week,
                    time=format_local(inspection.completed_at),
                )
            }
        )
    return inspection


def _item(item_code: str, inspection: Inspection) -> ChecklistItem:
    code = clean_text(item_code or "").upper()
    item = ChecklistItem.get_or_none(ChecklistItem.code == code)
    if item is not None and not item.active:
        has_result = (
            InspectionResult.select()
            .where((InspectionResult.inspection == inspection) & (InspectionResult.item == item))
            .exists()
        )
        item = item if has_result else None
    if item is None:
        raise NotFound(
            _("Checklist item {value} is not on the checklist.", value=shorten(code) or "(none)")
        )
    return item


def _view(inspection: Inspection, *, resumed: bool = False) -> InspectionView:
    line = (
        ProductionLine.select(ProductionLine, Team)
        .join(Team, JOIN.LEFT_OUTER, on=(ProductionLine.team == Team.id))
        .where(ProductionLine.id == inspection.line_id)
        .get()
    )
    inspector = Employee.get_by_id(inspection.inspector_id)
    results = {
        result.item_id: result
        for result in InspectionResult.select().where(InspectionResult.inspection == inspection)
    }
    items = (
        ChecklistItem.select()
        .where(ChecklistItem.active | ChecklistItem.id.in_(list(results) or [-1]))
        .order_by(ChecklistItem.position, ChecklistItem.code)
    )
    stations = (
        Station.select().where((Station.line == line) & Station.active).order_by(Station.code)
    )
    views = []
    for item in items:
        result = results.get(item.id)
        defect_id = str(result.defect_id) if result and result.defect_id else None
        views.append(
            ItemResultView(
                code=item.code,
                area=item.area,
                text=item.text,
                category=item.category,
                outcome=result.outcome if result else None,
                note=result.note if result else "",
                defect_id=defect_id,
                defect_short_id=defect_id[:8] if defect_id else None,
                recorded_at=result.recorded_at if result else None,
            )
        )
    return InspectionView(
        id=str(inspection.id),
        week=inspection.week,
        line_code=line.code,
        line_name=line.name,
        team_name=line.team.name if line.team_id else _("(no team)"),
        inspector_name=inspector.name,
        started_at=inspection.started_at,
        completed_at=inspection.completed_at,
        items=tuple(views),
        stations=tuple(StationOption(s.code, s.name) for s in stations),
        resumed=resumed,
    )


def _line_views(clock: Clock) -> list[LineView]:
    week = iso_week(clock.now())
    active_items = [item.id for item in ChecklistItem.select().where(ChecklistItem.active)]
    lines = (
        ProductionLine.select(ProductionLine, Team)
        .join(Team, JOIN.LEFT_OUTER, on=(ProductionLine.team == Team.id))
        .where(ProductionLine.active)
        .order_by(ProductionLine.code)
    )
    inspections = list(
        Inspection.select(Inspection, Employee)
        .join(Employee)
        .where(Inspection.week == week)
        .order_by(Inspection.started_at)
    )
    views = []
    for line in lines:
        mine = [i for i in inspections if i.line_id == line.id]
        done = [i for i in mine if i.completed_at is not None]
        underway = [i for i in mine if i.completed_at is None]
        chosen = done[-1] if done else (underway[0] if underway else None)
        status = "completed" if done else ("in progress" if underway else "not inspected")
        checked = 0
        if chosen is not None:
            checked = (
                InspectionResult.select()
                .where(
                    (InspectionResult.inspection == chosen)
                    & InspectionResult.item.in_(active_items or [-1])
                )
                .count()
            )
        views.append(
            LineView(
                id=line.id,
                code=line.code,
                name=line.name,
                team_name=line.team.name if line.team_id else _("(no team)"),
                week=week,
                status=status,
                inspection_id=str(chosen.id) if chosen else None,
                inspector_name=chosen.inspector.name if chosen else "",
                checked=checked,
                total=len(active_items),
                completed_at=chosen.completed_at if chosen else None,
            )
        )
    return views
