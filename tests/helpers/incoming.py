"""Incoming-material defects made by hand on the demo plant (supplier ranking, anomalies)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models import Defect, Employee, Station, Supplier, db


def noon(month: int, day: int) -> datetime:
    """Midday UTC: the same calendar day in any plant time zone within ±11 h."""
    return datetime(2025, month, day, 12, 0, tzinfo=UTC)


def add_defect(
    when: datetime,
    *,
    source: str = "incoming_material",
    supplier: str | None = None,
    lot: str | None = None,
    category: str = "material",
    severity: str = "major",
    station: str = "L3-S01",
) -> None:
    with db.connection(), db.write_transaction():
        place = Station.get(Station.code == station)
        Defect.create(
            station=place,
            line=place.line,
            team=place.line.team,
            reporter=Employee.get(Employee.badge_code == "E6002"),
            category=category,
            severity=severity,
            source=source,
            supplier=Supplier.get(Supplier.code == supplier) if supplier else None,
            lot=lot,
            description="hand-made test defect",
            reported_at=when,
            due_at=when + timedelta(hours=48),
            updated_at=when,
        )


def seed_incoming() -> None:
    """On top of the demo's one incoming defect (SUP-CN02, lot SP-2509-114, 9 Sept).

    September (the campaign):  CN01 4, CN02 3 (1 demo + 2), CN03 2 (1 critical), CN04 1 = 10
    2-31 August (the previous 30 days): CN01 2, CN02 3, CN03 5, SUP-X9 1 = 11
    """
    with db.connection():
        Supplier.create(code="SUP-X9", name="Ningbo Fastener Trading")
    for day, lot in ((2, "A1"), (3, "A1"), (4, "A2"), (8, "A3")):
        add_defect(noon(9, day), supplier="SUP-CN01", lot=lot)
    for day in (5, 6):
        add_defect(noon(9, day), supplier="SUP-CN02", lot="P7")
    add_defect(noon(9, 3), supplier="SUP-CN03", lot="E1", severity="critical")
    add_defect(noon(9, 7), supplier="SUP-CN03", lot="E2", severity="minor")
    add_defect(noon(9, 8), supplier="SUP-CN04", lot="R1")
    for day in (10, 28):
        add_defect(noon(8, day), supplier="SUP-CN01", lot="A0")
    for day in (5, 15, 29):
        add_defect(noon(8, day), supplier="SUP-CN02", lot="P6")
    for day in (3, 4, 20, 30, 31):
        add_defect(noon(8, day), supplier="SUP-CN03", lot="E0")
    add_defect(noon(8, 12), supplier="SUP-X9", lot="X1")
    # none of these count: not incoming material, or outside both periods
    add_defect(noon(9, 9), source="inspection", supplier="SUP-CN04", lot="R1")
    add_defect(noon(9, 9), source="on_site_anomaly", category="method")
    add_defect(noon(8, 1), supplier="SUP-CN04", lot="R0")
    add_defect(noon(10, 1), supplier="SUP-CN04", lot="R2")
