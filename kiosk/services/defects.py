"""Defect reporting (the operator's part of the "Eagle Eye" lifecycle)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from kiosk.clock import Clock, SystemClock
from kiosk.services.auth import EmployeeView
from kiosk.services.campaigns import active_campaign_row, campaign_view
from kiosk.services.errors import NotFound, ValidationFailed
from kiosk.services.text import clean_text, shorten
from kiosk.services.uow import read_only, transaction
from models import Defect, DefectEvent, Employee, ProductionLine, Station, Supplier
from models.defects import CATEGORIES_5M1E, SEVERITIES, SOURCES

CATEGORY_LABELS = {
    "man": "Man (people, skills)",
    "machine": "Machine (equipment, tools)",
    "material": "Material (parts, supplies)",
    "method": "Method (process, instructions)",
    "environment": "Environment (light, dust, ESD)",
    "measurement": "Measurement (gauges, testing)",
}
SEVERITY_LABELS = {"minor": "Minor", "major": "Major", "critical": "Critical"}
SOURCE_LABELS = {
    "inspection": "Inspection",
    "on_site_anomaly": "On-site anomaly",
    "incoming_material": "Incoming material",
    "customer_complaint": "Customer complaint",
}
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


@read_only
def report_options() -> ReportOptions:
    campaign = active_campaign_row()
    window = campaign.correction_window_hours if campaign else 48
    suppliers = Supplier.select().where(Supplier.active).order_by(Supplier.name)
    return ReportOptions(
        categories=tuple(Option(key, CATEGORY_LABELS[key]) for key in CATEGORIES_5M1E),
        severities=tuple(Option(key, SEVERITY_LABELS[key]) for key in SEVERITIES),
        sources=tuple(Option(key, SOURCE_LABELS[key]) for key in SOURCES),
        suppliers=tuple(Option(s.code, f"{s.name} ({s.code})") for s in suppliers),
        correction_window_hours=window,
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
        problems["category"] = "Choose the 5M1E category (man, machine, material, method, ...)."
    if draft.severity not in SEVERITIES:
        problems["severity"] = "Choose a severity: minor, major or critical."
    if draft.source not in SOURCES:
        problems["source"] = "Choose where the defect was found."
    description = clean_text(draft.description, keep_newlines=True)
    if not description:
        problems["description"] = "Describe the defect: what is wrong, and where."
    elif len(description) > DESCRIPTION_MAX:
        problems["description"] = (
            f"The description is {len(description):,} characters long; "
            f"keep it under {DESCRIPTION_MAX:,}."
        )
    if draft.source == "incoming_material":
        if not draft.supplier_code:
            problems["supplier"] = "Incoming material: choose the supplier."
        lot = clean_text(draft.lot or "")
        if not lot:
            problems["lot"] = "Incoming material: enter the lot number from the label."
        elif len(lot) > LOT_MAX:
            problems["lot"] = f"The lot number is too long (at most {LOT_MAX} characters)."
    return problems


def report_defect(
    reporter: EmployeeView,
    draft: DefectDraft,
    *,
    terminal: str | None = None,
    clock: Clock | None = None,
    defect_id: uuid.UUID | None = None,
) -> DefectReceipt:
    """File a defect against a station's responsible team; due = now + correction window."""
    clock = clock or SystemClock()
    problems = validate_draft(draft)
    if problems:
        raise ValidationFailed(problems)
    with transaction():
        station = (
            Station.select(Station, ProductionLine)
            .join(ProductionLine)
            .where((Station.code == draft.station_code.strip().upper()) & Station.active)
            .first()
        )
        if station is None:
            raise NotFound(
                f"Station {shorten(draft.station_code)} is not known any more. Scan it again."
            )
        team = station.team or station.line.team
        if team is None:
            raise NotFound(
                f"Station {station.code} has no responsible team. Ask the quality office."
            )
        employee = Employee.get_or_none((Employee.id == reporter.id) & Employee.active)
        if employee is None:
            raise NotFound("Your badge is no longer active. Sign in again.")
        supplier = None
        lot = None
        if draft.source == "incoming_material":
            supplier = Supplier.get_or_none(
                (Supplier.code == (draft.supplier_code or "").strip().upper()) & Supplier.active
            )
            if supplier is None:
                raise ValidationFailed({"supplier": "That supplier is not known. Choose one."})
            lot = clean_text(draft.lot or "")
        campaign = active_campaign_row()
        window_hours = campaign_view(campaign).correction_window_hours if campaign else 48
        now = clock.now()
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
            terminal=terminal,
        )
        DefectEvent.create(
            defect=defect,
            actor=employee,
            at=now,
            from_status=None,
            to_status="reported",
            note=f"reported at station {station.code}",
            terminal=terminal,
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
