"""Defects and their audit trail of state changes."""

from __future__ import annotations

from uuid import UUID

from peewee import AutoField, BooleanField, CharField, ForeignKeyField, TextField, UUIDField

from models.base import BaseModel, UTCDateTimeField, new_uuid
from models.campaign import Campaign
from models.people import Employee, Team
from models.plant import ProductionLine, Station, Supplier

CATEGORIES_5M1E = ("man", "machine", "material", "method", "environment", "measurement")
SEVERITIES = ("minor", "major", "critical")
SOURCES = ("inspection", "on_site_anomaly", "incoming_material", "customer_complaint")
STATUSES = ("reported", "in_progress", "fixed", "verified", "closed")


class Defect(BaseModel):
    id = UUIDField(primary_key=True, default=new_uuid)
    campaign = ForeignKeyField(Campaign, backref="defects", null=True, on_delete="SET NULL")
    campaign_id: int | None
    station = ForeignKeyField(Station, backref="defects", on_delete="RESTRICT")
    station_id: int
    line = ForeignKeyField(ProductionLine, backref="defects", on_delete="RESTRICT")
    line_id: int
    team = ForeignKeyField(Team, backref="defects", on_delete="RESTRICT")
    team_id: int
    reporter = ForeignKeyField(Employee, backref="reported_defects", on_delete="RESTRICT")
    reporter_id: int
    category = CharField(max_length=16)
    severity = CharField(max_length=16)
    source = CharField(max_length=24)
    supplier = ForeignKeyField(Supplier, backref="defects", null=True, on_delete="RESTRICT")
    supplier_id: int | None
    lot = CharField(max_length=64, null=True)
    description = TextField()
    status = CharField(max_length=16, default="reported", index=True)
    reported_at = UTCDateTimeField(index=True)
    due_at = UTCDateTimeField(index=True)
    updated_at = UTCDateTimeField()
    fixed_by = ForeignKeyField(Employee, backref="fixed_defects", null=True, on_delete="RESTRICT")
    fixed_by_id: int | None
    fixed_at = UTCDateTimeField(null=True)
    verified_by = ForeignKeyField(
        Employee, backref="verified_defects", null=True, on_delete="RESTRICT"
    )
    verified_by_id: int | None
    verified_at = UTCDateTimeField(null=True)
    # a leader outside the responsible team confirmed a self-reported defect (step 14)
    confirmed_by = ForeignKeyField(
        Employee, backref="confirmed_defects", null=True, on_delete="RESTRICT"
    )
    confirmed_by_id: int | None
    confirmed_at = UTCDateTimeField(null=True)
    closed_at = UTCDateTimeField(null=True)
    root_cause_factor = CharField(max_length=16, null=True)
    root_cause = TextField(null=True)
    corrective_action = TextField(null=True)
    typical = BooleanField(default=False)
    terminal = CharField(max_length=64, null=True)


class DefectEvent(BaseModel):
    id = AutoField()
    defect = ForeignKeyField(Defect, backref="events", on_delete="CASCADE")
    defect_id: UUID
    actor = ForeignKeyField(Employee, backref="defect_events", null=True, on_delete="RESTRICT")
    actor_id: int | None
    at = UTCDateTimeField(index=True)
    from_status = CharField(max_length=16, null=True)
    to_status = CharField(max_length=16)
    note = TextField(default="")
    terminal = CharField(max_length=64, null=True)


class DefectProgress(BaseModel):
    """A progress update the responsible team posts while correcting a defect."""

    id = AutoField()
    defect = ForeignKeyField(Defect, backref="progress", on_delete="CASCADE")
    defect_id: UUID
    author = ForeignKeyField(Employee, backref="progress_posts", on_delete="RESTRICT")
    author_id: int
    at = UTCDateTimeField(index=True)
    text = TextField()
    terminal = CharField(max_length=64, null=True)
    # made on the kiosk, so an update sent again (an offline replay) is stored once
    client_id = CharField(max_length=36, null=True, unique=True)
