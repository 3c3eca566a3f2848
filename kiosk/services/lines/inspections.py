"""Weekly line inspections ("Eagle Eye" 5): inspections and their results.

Team leaders (and above) inspect each line once a week against the active
checklist items (5S/7S and standardized operation). Every item gets pass, fail
or n/a; a failed item needs a note and raises a defect in one step. The
checklist itself is data (checklists.py: imported from a TOML or CSV file).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from peewee import JOIN

from kiosk.caller import Caller
from kiosk.clock import Clock, format_local, to_local
from kiosk.errors import NotFound, ValidationFailed
from kiosk.i18n import N_, _
from kiosk.services.defects.defects import DefectDraft, DefectReceipt, receipt_of, report_defect
from kiosk.services.platform import uow
from kiosk.services.platform.auth import active_employee, record_action
from kiosk.services.platform.refusals import requires_role
from kiosk.services.platform.text import clean_text, shorten
from kiosk.services.platform.uow import for_update
from models import (
    ChecklistItem,
    Defect,
    Employee,
    Inspection,
    InspectionResult,
    ProductionLine,
    Station,
    Team,
)
from models.inspections import OUTCOMES

MINIMUM_ROLE = "team_leader"
ACTION = "run_an_inspection"  # refusal: "Only a team leader or above may run an inspection."
NOTE_MAX = 500
OUTCOME_ALIASES = {"pass": "pass", "fail": "fail", "n/a": "n/a", "na": "n/a", "n.a.": "n/a"}
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


def iso_week(moment: datetime) -> str:
    """The ISO week of a moment in this terminal's local time, e.g. "2025-W37"."""
    year, week, _day = to_local(moment).isocalendar()
    return f"{year}-W{week:02d}"


# -- inspections ----------------------------------------------------------------------

# Refused below MINIMUM_ROLE before the unit of work runs: the refusal's audit row must
# not be rolled back with it.
_on_line = requires_role(
    MINIMUM_ROLE,
    ACTION,
    lambda given: f"line {shorten(clean_text(given['line_code']).upper(), 32)}",
)
_on_inspection = requires_role(
    MINIMUM_ROLE, ACTION, lambda given: f"inspection {str(given['inspection_id'])[:8]}"
)


@_on_line
@uow.write
def start_inspection(
    caller: Caller,
    line_code: str,
    *,
    again: bool = False,
) -> InspectionView:
    """Start this week's inspection of a line, or resume the one already under way. A line
    already inspected this week shows that completed inspection (read-only) unless `again`
    asks for another one (audited as such)."""
    inspector = caller.person
    code = clean_text(line_code).upper()
    line = for_update(
        ProductionLine.select().where((ProductionLine.code == code) & ProductionLine.active)
    ).first()
    if line is None:
        raise NotFound(
            _("Line {code} is not known here (or no longer active).", code=shorten(code))
        )
    employee = active_employee(inspector)
    if not ChecklistItem.select().where(ChecklistItem.active).exists():
        raise NotFound(
            _(
                "There is no inspection checklist yet. Ask the quality office to import one "
                "(kiosk import checklist FILE)."
            )
        )
    now = caller.now()
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
    if not again:
        done = (
            Inspection.select()
            .where((Inspection.line == line) & (Inspection.week == week))
            .order_by(Inspection.completed_at.desc())
            .first()
        )
        if done is not None:
            return _view(done)
    inspection = Inspection.create(line=line, inspector=employee, week=week, started_at=now)
    record_action(
        employee,
        "start_inspection_again" if again else "start_inspection",
        f"line {line.code} {week}",
        now,
        terminal=caller.terminal,
    )
    return _view(inspection)


@_on_inspection
@uow.write
def record_result(
    caller: Caller,
    inspection_id: str | uuid.UUID,
    item_code: str,
    outcome: str,
    note: str = "",
    *,
    change: bool = False,
) -> InspectionView:
    """Record pass / fail / n/a for one item.

    A recorded result changes to another outcome only when asked explicitly
    (``change=True``, the screen's confirmation) and the change is audited. A failed
    result that raised a defect stays failed: the defect follows it up.
    """
    inspector = caller.person
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
    inspection = _open_inspection(inspection_id)
    item = _item(item_code, inspection)
    now = caller.now()
    recorded = for_update(
        InspectionResult.select().where(
            (InspectionResult.inspection == inspection) & (InspectionResult.item == item)
        )
    ).first()
    if recorded is not None and recorded.outcome != outcome:
        _check_change(recorded, item, outcome, change)
        record_action(
            active_employee(inspector),
            "change_inspection_result",
            f"inspection {str(inspection.id)[:8]} {item.code}",
            now,
            detail=f"{recorded.outcome} -> {outcome}; note was: {shorten(recorded.note, 200)}",
            terminal=caller.terminal,
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


def _check_change(
    recorded: InspectionResult, item: ChecklistItem, outcome: str, change: bool
) -> None:
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


@_on_inspection
@uow.write
def raise_defect_from_failure(
    caller: Caller,
    inspection_id: str | uuid.UUID,
    item_code: str,
    station_code: str,
) -> DefectReceipt:
    """Report the defect behind a failed item in one step; once per result.

    The draft is pre-filled from the item (its 5M1E category, severity minor,
    source inspection) and the note. A second call for the same result returns
    the defect already raised.
    """
    inspection = _inspection(inspection_id)
    item = _item(item_code, inspection)
    result = for_update(
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
        caller,
        DefectDraft(
            station_code=station.code,
            category=item.category,
            severity="minor",
            source="inspection",
            description=(
                f"Inspection {inspection.week} {item.code}: {item.text.rstrip('. ')}. {result.note}"
            ),
        ),
    )
    InspectionResult.update(defect=uuid.UUID(receipt.id)).where(
        InspectionResult.id == result.id
    ).execute()
    return receipt


@_on_inspection
@uow.write
def complete_inspection(
    caller: Caller,
    inspection_id: str | uuid.UUID,
) -> InspectionView:
    """Close the inspection once every active item has a result (idempotent)."""
    inspector = caller.person
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
    now = caller.now()
    Inspection.update(completed_at=now).where(Inspection.id == inspection.id).execute()
    record_action(
        active_employee(inspector),
        "complete_inspection",
        f"line {view.line_code} {view.week}",
        now,
        terminal=caller.terminal,
    )
    return _view(Inspection.get_by_id(inspection.id))


@uow.read
def inspection_view(inspection_id: str | uuid.UUID) -> InspectionView:
    """An inspection with every item's current outcome, note and defect."""
    return _view(_inspection(inspection_id, lock=False))


@uow.read
def lines_for_inspection(caller: Caller) -> list[LineView]:
    """Every active line with this week's inspection status."""
    return _line_views(caller.clock)


@uow.read
def lines_missing_inspection(caller: Caller) -> list[LineView]:
    """Active lines with no completed inspection in the current week (supervisor board)."""
    return [line for line in _line_views(caller.clock) if line.status != "completed"]


# -- helpers -----------------------------------------------------------------------------


def _inspection(inspection_id: str | uuid.UUID, *, lock: bool = True) -> Inspection:
    missing = NotFound(_("That inspection is not known any more. Choose the line again."))
    try:
        key = uuid.UUID(str(inspection_id))
    except ValueError:
        raise missing from None
    query = Inspection.select().where(Inspection.id == key)
    inspection: Inspection | None = (for_update(query) if lock else query).first()
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
        team_name=line.team.name if line.team else _("(no team)"),
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
                team_name=line.team.name if line.team else _("(no team)"),
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
