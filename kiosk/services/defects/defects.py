"""Defect reporting (the operator's part of the "Eagle Eye" lifecycle)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import JOIN, ModelSelect

from kiosk.caller import Caller
from kiosk.errors import NotFound, ValidationFailed
from kiosk.i18n import N_, LazyLabels, _
from kiosk.services.plant.campaigns import CampaignView, active_campaign_row, rules_of
from kiosk.services.platform import uow
from kiosk.services.platform.auth import active_employee
from kiosk.services.platform.text import clean_text, shorten
from models import Defect, DefectEvent, Employee, ProductionLine, Station, Supplier, Team
from models.defects import CATEGORIES_5M1E, SEVERITIES, SOURCES

CATEGORY_LABELS = LazyLabels(
    {
        "man": N_("Man (people, skills)"),
        "machine": N_("Machine (equipment, tools)"),
        "material": N_("Material (parts, supplies)"),
        "method": N_("Method (process, instructions)"),
        "environment": N_("Environment (light, dust, ESD)"),
        "measurement": N_("Measurement (gauges, testing)"),
    }
)
SEVERITY_LABELS = LazyLabels(
    {"minor": N_("Minor"), "major": N_("Major"), "critical": N_("Critical")}
)
SOURCE_LABELS = LazyLabels(
    {
        "inspection": N_("Inspection"),
        "on_site_anomaly": N_("On-site anomaly"),
        "incoming_material": N_("Incoming material"),
        "customer_complaint": N_("Customer complaint"),
    }
)
DESCRIPTION_MAX = 2000
LOT_MAX = 64


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class ReportOptions:
    categories: tuple[Option, ...]
    severities: tuple[Option, ...]
    sources: tuple[Option, ...]
    suppliers: tuple[Option, ...]
    correction_window_hours: int
    # the points at stake, said on the receipt (offline: the rules' defaults)
    ontime_points: int = CampaignView.ontime_points
    late_points: int = CampaignView.late_points


@uow.read
def report_options() -> ReportOptions:
    campaign = active_campaign_row()
    rules = rules_of(campaign)
    suppliers = Supplier.select().where(Supplier.active).order_by(Supplier.name)
    return ReportOptions(
        categories=tuple(Option(key, CATEGORY_LABELS[key]) for key in CATEGORIES_5M1E),
        severities=tuple(Option(key, SEVERITY_LABELS[key]) for key in SEVERITIES),
        sources=tuple(Option(key, SOURCE_LABELS[key]) for key in SOURCES),
        suppliers=tuple(Option(s.code, f"{s.name} ({s.code})") for s in suppliers),
        correction_window_hours=rules.correction_window_hours,
        ontime_points=rules.ontime_points,
        late_points=rules.late_points,
    )


@dataclass(frozen=True)
class DefectDraft:
    """What the person entered on the report form."""

    station_code: str
    category: str | None
    severity: str | None
    source: str | None
    description: str
    supplier_code: str | None = None
    lot: str | None = None


@dataclass(frozen=True)
class DefectReceipt:
    id: str
    short_id: str
    station_code: str
    line_name: str
    team_name: str
    reported_at: datetime
    due_at: datetime


def validate_draft(draft: DefectDraft) -> dict[str, str]:
    """Field problems in a draft, as messages for the form (empty when fine)."""
    problems: dict[str, str] = {}
    if draft.category not in CATEGORIES_5M1E:
        problems["category"] = _("Choose the 5M1E category (man, machine, material, method, ...).")
    if draft.severity not in SEVERITIES:
        problems["severity"] = _("Choose a severity: minor, major or critical.")
    if draft.source not in SOURCES:
        problems["source"] = _("Choose where the defect was found.")
    description = clean_text(draft.description, keep_newlines=True)
    if not description:
        problems["description"] = _("Describe the defect: what is wrong, and where.")
    elif len(description) > DESCRIPTION_MAX:
        problems["description"] = _(
            "The description is {count:,} characters long; keep it under {DESCRIPTION_MAX:,}.",
            count=len(description),
            DESCRIPTION_MAX=DESCRIPTION_MAX,
        )
    if draft.source == "incoming_material":
        if not draft.supplier_code:
            problems["supplier"] = _("Incoming material: choose the supplier.")
        lot = clean_text(draft.lot or "")
        if not lot:
            problems["lot"] = _("Incoming material: enter the lot number from the label.")
        elif len(lot) > LOT_MAX:
            problems["lot"] = _(
                "The lot number is too long (at most {LOT_MAX} characters).", LOT_MAX=LOT_MAX
            )
    return problems


# a dropped connection: retried once, stored once
@uow.write(idempotent=True, ids={"defect_id": uuid.uuid4})
def report_defect(
    caller: Caller, draft: DefectDraft, *, defect_id: uuid.UUID | None = None
) -> DefectReceipt:
    """File a defect against a station's responsible team; due = now + correction window."""
    reporter = caller.person
    problems = validate_draft(draft)
    if problems:
        raise ValidationFailed(problems)
    if defect_id is not None and (known := Defect.get_or_none(Defect.id == defect_id)):
        return receipt_of(known)  # sent before (an offline replay, a resend): once is enough
    station = (
        Station.select(Station, ProductionLine)
        .join(ProductionLine)
        .where((Station.code == draft.station_code.strip().upper()) & Station.active)
        .first()
    )
    if station is None:
        raise NotFound(
            _(
                "Station {station_code} is not known any more. Scan it again.",
                station_code=shorten(draft.station_code),
            )
        )
    team = station.team or station.line.team
    if team is None:
        raise NotFound(
            _(
                "Station {code} has no responsible team. Ask the quality office.",
                code=station.code,
            )
        )
    employee = active_employee(reporter)
    supplier = None
    lot = None
    if draft.source == "incoming_material":
        supplier = Supplier.get_or_none(
            (Supplier.code == (draft.supplier_code or "").strip().upper()) & Supplier.active
        )
        if supplier is None:
            raise ValidationFailed({"supplier": _("That supplier is not known. Choose one.")})
        lot = clean_text(draft.lot or "")
    campaign = active_campaign_row()
    window_hours = rules_of(campaign).correction_window_hours
    now = caller.now()
    defect = Defect.create(
        id=defect_id or uuid.uuid4(),
        campaign=campaign,
        station=station,
        line=station.line,
        team=team,
        reporter=employee,
        category=draft.category,
        severity=draft.severity,
        source=draft.source,
        supplier=supplier,
        lot=lot,
        description=clean_text(draft.description, keep_newlines=True),
        status="reported",
        reported_at=now,
        due_at=now + timedelta(hours=window_hours),
        updated_at=now,
        terminal=caller.terminal,
    )
    DefectEvent.create(
        defect=defect,
        actor=employee,
        at=now,
        from_status=None,
        to_status="reported",
        note=f"reported at station {station.code}",
        terminal=caller.terminal,
    )
    return DefectReceipt(
        id=str(defect.id),
        short_id=str(defect.id)[:8],
        station_code=station.code,
        line_name=station.line.name,
        team_name=team.name,
        reported_at=now,
        due_at=defect.due_at,
    )


def receipt_of(defect: Defect) -> DefectReceipt:
    """What the person who reported a defect is told about it."""
    return DefectReceipt(
        id=str(defect.id),
        short_id=str(defect.id)[:8],
        station_code=defect.station.code,
        line_name=defect.line.name,
        team_name=defect.team.name,
        reported_at=defect.reported_at,
        due_at=defect.due_at,
    )


# -- listings of many defects (exports, the handbook) -------------------------------------


def defects_with_places() -> ModelSelect[Defect]:
    """Defects joined with their station, line, responsible team and supplier (if any),
    for listings that show every defect's place; the caller adds where and order_by."""
    return (
        Defect.select(Defect, Station, ProductionLine, Team, Supplier)
        .join(Station, on=(Defect.station == Station.id))
        .switch(Defect)
        .join(ProductionLine, on=(Defect.line == ProductionLine.id))
        .switch(Defect)
        .join(Team, on=(Defect.team == Team.id))
        .switch(Defect)
        .join(Supplier, JOIN.LEFT_OUTER, on=(Defect.supplier == Supplier.id))
    )


def employee_names() -> Callable[[int | None], str]:
    """Every employee's name by id, read once: "" for no one (who fixed an open defect)."""
    names = {e.id: e.name for e in Employee.select(Employee.id, Employee.name)}
    return lambda employee_id: names.get(employee_id, "") if employee_id else ""
